/**
 * Issue 15.5(a): a listener that cannot open ends start-up with a message naming the setting to change
 * and exit code 3, for every listener: the API (PORT/API_HOST), METRICS_PORT, the HL7 MLLP listener and
 * the standalone worker's WORKER_METRICS_PORT. Port taken, permission denied, an address this machine
 * does not have. (`npm start` as a whole: test/e2e/processHygieneStart.test.ts.)
 */
import { chownSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { startApi } from '../../src/apiServer';
import { parseConfig } from '../../src/config';
import { EXIT_CODES, ListenError } from '../../src/lifecycle';
import { sandboxEnv } from '../helpers/config';
import { freePort } from '../helpers/ports';
import { removeTempDirs, startService, tempDir } from '../helpers/processHygiene';

jest.setTimeout(60_000);

/** TEST-NET-3 (RFC 5737): never an address of this machine. */
const FOREIGN_ADDRESS = '203.0.113.77';

const squatters: net.Server[] = [];
/** Holds `port` on loopback as something else would. */
async function occupy(port: number): Promise<void> {
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  squatters.push(squatter);
}
afterEach(async () => {
  await Promise.all(squatters.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Resolves true when `port` can be bound on loopback: whoever opened it has let it go. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function dataDir(): string {
  return tempDir('hygiene-listen-');
}
afterAll(removeTempDirs);

/** A client that never connects: every listener fails before the API would need Temporal. */
const offlineClient = (): Client => new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });

function apiConfig(env: Record<string, string>): ReturnType<typeof parseConfig> {
  return parseConfig(sandboxEnv({ DATA_DIR: dataDir(), LOG_LEVEL: 'silent', ...env }));
}

async function listenFailureOf(env: Record<string, string>): Promise<ListenError> {
  const failure: unknown = await startApi(apiConfig(env), offlineClient()).then(
    async (api) => {
      await api.close();
      return undefined;
    },
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(ListenError);
  return failure as ListenError;
}

describe('startApi names the listener and the setting it cannot open', () => {
  test('the API port taken: EADDRINUSE, PORT', async () => {
    const port = await freePort();
    await occupy(port);
    const err = await listenFailureOf({ PORT: String(port) });
    expect(err.code).toBe('EADDRINUSE');
    expect(err.message).toBe(
      `the API cannot listen on 127.0.0.1 port ${port} (PORT, EADDRINUSE): the port is already in use; stop what holds it or set PORT to a free port`,
    );
  });

  test('an API_HOST that is not an address of this machine: EADDRNOTAVAIL, API_HOST', async () => {
    const local = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
    expect(local.map((info) => info.address)).not.toContain(FOREIGN_ADDRESS);
    const err = await listenFailureOf({ PORT: String(await freePort()), API_HOST: FOREIGN_ADDRESS });
    expect(err.code).toBe('EADDRNOTAVAIL');
    expect(err.message).toContain(`the API cannot listen on ${FOREIGN_ADDRESS}`);
    expect(err.message).toContain('set API_HOST to one of its addresses');
  });

  test('METRICS_PORT taken: METRICS_PORT named, and the API port is let go', async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    await occupy(metricsPort);
    const err = await listenFailureOf({ PORT: String(apiPort), METRICS_PORT: String(metricsPort) });
    expect(err.code).toBe('EADDRINUSE');
    expect(err.message).toContain(
      `the metrics endpoint cannot listen on 127.0.0.1 port ${metricsPort} (METRICS_PORT`,
    );
    expect(await isFree(apiPort)).toBe(true);
  });

  test('METRICS_HOST not on this machine: METRICS_HOST named', async () => {
    const err = await listenFailureOf({
      PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
      METRICS_HOST: FOREIGN_ADDRESS,
    });
    expect(err.code).toBe('EADDRNOTAVAIL');
    expect(err.message).toContain('set METRICS_HOST to one of its addresses');
  });

  test('HL7_MLLP_PORT taken: HL7_MLLP_PORT named, and the API and metrics ports are let go', async () => {
    const [apiPort, metricsPort, mllpPort] = [await freePort(), await freePort(), await freePort()];
    await occupy(mllpPort);
    const err = await listenFailureOf({
      PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      HL7_MLLP_PORT: String(mllpPort),
    });
    expect(err.code).toBe('EADDRINUSE');
    expect(err.message).toContain(
      `the HL7 MLLP listener cannot listen on 127.0.0.1 port ${mllpPort} (HL7_MLLP_PORT`,
    );
    expect(await isFree(apiPort)).toBe(true);
    expect(await isFree(metricsPort)).toBe(true);
  });

  test('HL7_MLLP_HOST not on this machine: HL7_MLLP_HOST named', async () => {
    const err = await listenFailureOf({
      PORT: String(await freePort()),
      HL7_MLLP_PORT: String(await freePort()),
      HL7_MLLP_HOST: FOREIGN_ADDRESS,
    });
    expect(err.code).toBe('EADDRNOTAVAIL');
    expect(err.message).toContain('set HL7_MLLP_HOST to one of its addresses');
  });
});

describe('the processes exit 3 with that message, before they wait for Temporal', () => {
  // Nothing answers there: a process that waited for Temporal first would still be waiting.
  const unreachableTemporal = { SANDBOX_MODE: 'true', TEMPORAL_ADDRESS: '127.0.0.1:1' };

  test('npm run api: PORT taken', async () => {
    const port = await freePort();
    await occupy(port);
    const api = startService('src/apiServer.ts', {
      ...sandboxEnv(unreachableTemporal),
      DATA_DIR: dataDir(),
      PORT: String(port),
    });
    const exit = await api.exited;
    expect(exit.code).toBe(EXIT_CODES.listen);
    expect(api.output()).toContain(`the API cannot listen on 127.0.0.1 port ${port} (PORT, EADDRINUSE)`);
  });

  test('npm run api: HL7_MLLP_PORT taken', async () => {
    const mllpPort = await freePort();
    await occupy(mllpPort);
    const api = startService('src/apiServer.ts', {
      ...sandboxEnv(unreachableTemporal),
      DATA_DIR: dataDir(),
      PORT: String(await freePort()),
      HL7_MLLP_PORT: String(mllpPort),
    });
    expect((await api.exited).code).toBe(EXIT_CODES.listen);
    expect(api.output()).toContain(`port ${mllpPort} (HL7_MLLP_PORT, EADDRINUSE)`);
  });

  // A kernel that lets anyone bind any port has no "permission denied" to provoke.
  const unprivilegedFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  (unprivilegedFrom > 0 ? test : test.skip)(
    'npm run api: a port below 1024 without privileges is permission denied',
    async () => {
      const port = Math.min(unprivilegedFrom - 1, 1023);
      const dir = dataDir();
      // As root the test drops to nobody for the child, as a service account would run.
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      if ('uid' in asNobody) chownSync(dir, 65534, 65534);
      const api = startService(
        'src/apiServer.ts',
        { ...sandboxEnv(unreachableTemporal), DATA_DIR: dir, PORT: String(port), HOME: dir },
        asNobody,
      );
      expect((await api.exited).code).toBe(EXIT_CODES.listen);
      expect(api.output()).toContain(
        `the API cannot listen on 127.0.0.1 port ${port} (PORT, EACCES): permission denied; ports below 1024 need privileges`,
      );
    },
  );

  test('npm run worker: WORKER_METRICS_PORT taken', async () => {
    const port = await freePort();
    await occupy(port);
    const worker = startService('src/worker.ts', {
      ...sandboxEnv(unreachableTemporal),
      DATA_DIR: dataDir(),
      WORKER_METRICS_PORT: String(port),
    });
    expect((await worker.exited).code).toBe(EXIT_CODES.listen);
    expect(worker.output()).toContain(
      `the metrics endpoint cannot listen on 127.0.0.1 port ${port} (WORKER_METRICS_PORT, EADDRINUSE)`,
    );
  });
});
