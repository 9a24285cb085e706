/**
 * The API refuses to start on a port already taken (issue 15's fault campaign found it logging
 * "API listening" and serving nothing: Express 5 hands EADDRINUSE to the listen callback).
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startApi } from '../../src/apiServer';
import { parseConfig } from '../../src/config';
import { sandboxEnv } from '../helpers/config';
import { freePort } from '../helpers/ports';

test('a port already taken: startApi rejects with EADDRINUSE instead of claiming to listen', async () => {
  const port = await freePort();
  const squatter: Server = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  try {
    const config = parseConfig(
      sandboxEnv({
        PORT: String(port),
        DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'port-taken-')),
        LOG_LEVEL: 'silent',
      }),
    );
    // Never connected: the API must fail before it needs Temporal.
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    await expect(startApi(config, client)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});
