/** Loopback ports: a free one, whether a given one is free, one in a range (the cluster's membership ports). */
import net from 'node:net';

/** A TCP port that was free on `host` (default 127.0.0.1) a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

/** True when nothing listens on 127.0.0.1:port (we could bind it). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port in [min, max], tried at random. Temporal stores each service's membership port in a
 * `smallint` column (cluster_membership.rpc_port), so those must stay below 32768, under the
 * kernel's ephemeral range that `freePort` draws from.
 */
export async function freePortBetween(min: number, max: number, avoid: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const candidate = min + Math.floor(Math.random() * (max - min + 1));
    if (!avoid.has(candidate) && (await isPortFree(candidate))) return candidate;
  }
  throw new Error(`no free port between ${min} and ${max}`);
}
