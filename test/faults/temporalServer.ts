/**
 * The Temporal server the fault suite runs against, behind one small interface: the CLI dev server (SQLite file in the
 * suite's work folder) by default, or the PostgreSQL multi-service cluster profile with FAULTS_TARGET=cluster. Both
 * can be SIGKILLed and started again on the same data.
 */
import { freePort } from '../../bench/load/serviceProcesses';
import { resolveTemporalBinary } from '../../src/temporal/binaries';
import { connectWithRetry } from '../../src/temporal/connection';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';

export interface TemporalUnderTest {
  /** `dev server` or `cluster profile`, for the suite's output. */
  readonly label: string;
  /** host:port of the frontend (gRPC). */
  readonly address: string;
  readonly namespace: string;
  /** SIGKILL to Temporal only (every server process of it); resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same data; resolves once its frontend answers. */
  restart(): Promise<void>;
  /** Stops it for good (graceful, then forced). */
  stop(): Promise<void>;
}

export type FaultsTarget = 'dev' | 'cluster';

export function faultsTarget(value = process.env.FAULTS_TARGET): FaultsTarget {
  if (value === undefined || value === '' || value === 'dev') return 'dev';
  if (value === 'cluster') return 'cluster';
  throw new Error(`FAULTS_TARGET must be "dev" (default) or "cluster", not "${value}"`);
}

export async function startTemporalUnderTest(
  target: FaultsTarget,
  dataDir: string,
  log: (line: string) => void,
): Promise<TemporalUnderTest> {
  return target === 'cluster' ? startClusterTarget(dataDir, log) : startDevServerTarget(dataDir, log);
}

/** How long a (re)started server may take to answer: the cluster profile's services start one after another. */
const READY_TIMEOUT_MS = 120_000;

async function untilAnswering(address: string): Promise<void> {
  const connection = await connectWithRetry(address, { timeoutMs: READY_TIMEOUT_MS });
  await connection.close();
}

async function startDevServerTarget(
  dataDir: string,
  log: (line: string) => void,
): Promise<TemporalUnderTest> {
  const binary = resolveTemporalBinary('cli', { log });
  // Fixed for the suite's life: a restart must come back where the worker and API reconnect.
  const options = { binary, dataDir, port: await freePort(), uiPort: await freePort(), namespace: 'default' };
  let server: DevServer = startDevServer(options);
  const exited = (child: DevServer): Promise<void> =>
    new Promise((resolve) => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) resolve();
      else child.process.once('exit', () => resolve());
    });
  await untilAnswering(server.address);
  return {
    label: 'dev server',
    address: server.address,
    namespace: options.namespace,
    async kill() {
      const { pid } = server.process;
      if (pid === undefined) return;
      const gone = exited(server);
      try {
        process.kill(-pid, 'SIGKILL'); // its own process group (startDevServer spawns it detached)
      } catch {
        /* already gone */
      }
      await gone;
    },
    async restart() {
      if (server.process.exitCode === null && server.process.signalCode === null) await server.stop();
      server = startDevServer(options);
      await untilAnswering(server.address);
    },
    async stop() {
      await server.stop();
    },
  };
}

/** The PostgreSQL cluster profile (src/cluster/profile.ts), loaded only when a run targets it. */
async function startClusterTarget(dataDir: string, log: (line: string) => void): Promise<TemporalUnderTest> {
  const { startClusterProfile } = await import('../../src/cluster/profile');
  const profile = await startClusterProfile({ dataDir, log });
  await untilAnswering(profile.address);
  return {
    label: 'cluster profile',
    address: profile.address,
    namespace: profile.namespace,
    kill: () => profile.kill(),
    async restart() {
      await profile.restart();
      await untilAnswering(profile.address);
    },
    stop: () => profile.stop(),
  };
}
