import net from 'node:net';
import { freePort, isPortFree } from '../../src/ports';

describe('freePort', () => {
  it('finds a port free on 127.0.0.1 by default', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    await expect(isPortFree(port)).resolves.toBe(true);
  });

  it('finds a port free on the host it is given', async () => {
    const port = await freePort('0.0.0.0');
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '0.0.0.0', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
