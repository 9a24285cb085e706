/**
 * The cluster profile for tests: a real multi-service Temporal server (built from
 * go.temporal.io/server) on a private PostgreSQL, in a data folder of its own, on free ports.
 * Whatever it started is killed when the calling process exits, however it exits.
 */
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from './cluster';

export interface ClusterProfile {
  address: string;
  namespace: string;
  dataDir: string;
  /** Graceful stop of Temporal then PostgreSQL. */
  stop(): Promise<void>;
  /** SIGKILL the Temporal server process(es) only (PostgreSQL keeps running). */
  kill(): Promise<void>;
  /** Start Temporal again on the same data (after kill or stop). */
  restart(): Promise<void>;
}

/** The namespace tests use (registered with docker-compose's 72 h retention and our search attributes). */
export const PROFILE_NAMESPACE = 'default';

/**
 * Builds the pinned Temporal server first if needed (minutes on a cold Go cache; `npm run
 * cluster:up` or the cluster tests' global setup do it ahead). Without `dataDir`, a new temporary
 * folder (the caller removes it when done).
 */
export async function startClusterProfile(
  options: { dataDir?: string; log?: (line: string) => void } = {},
): Promise<ClusterProfile> {
  const dataDir = path.resolve(options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'cluster-profile-')));
  const log = options.log ?? (() => undefined);
  openTempAncestors(dataDir, log);
  const { cluster } = await Cluster.start({
    dataDir,
    log,
    namespace: PROFILE_NAMESPACE,
    // Tests run beside other servers (a dev server on 7233, other test files): always free ports.
    frontendPort: 'free',
    stopOnExit: true,
  });
  return {
    address: cluster.address,
    namespace: cluster.namespace,
    dataDir: cluster.dataDir,
    stop: () => cluster.stop(),
    kill: () => cluster.killTemporal(),
    async restart() {
      await cluster.restart();
    },
  };
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must traverse every folder above the data
 * folder; `mkdtemp` makes owner-only folders. Those between the OS temp folder and the data folder
 * get search permission for others (x only: nobody else can list them).
 */
function openTempAncestors(dataDir: string, log: (line: string) => void): void {
  if (process.getuid?.() !== 0) return;
  const tmp = path.resolve(os.tmpdir());
  const relative = path.relative(tmp, path.dirname(dataDir));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return;
  let dir = tmp;
  for (const part of relative.split(path.sep).filter(Boolean)) {
    dir = path.join(dir, part);
    const mode = statSync(dir).mode & 0o777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      log(`gave ${dir} search permission for others (PostgreSQL runs as the postgres user)`);
    }
  }
}
