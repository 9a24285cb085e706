/**
 * Runs once before the cluster tests: builds the pinned Temporal server (minutes on a cold Go
 * cache, nothing when built) and finds or installs PostgreSQL, so no test's timeout pays for them.
 */
import { ensureTemporalServerBuild } from '../../src/cluster/build';
import { ensurePostgres } from '../../src/cluster/postgres';

export default async function globalSetup(): Promise<void> {
  const log = (line: string): void => {
    process.stdout.write(`[cluster setup] ${line}\n`);
  };
  process.stdout.write('\n');
  await ensureTemporalServerBuild(log);
  log(`PostgreSQL binaries: ${ensurePostgres(log)}`);
  // Test workers inherit it: the cluster tests run only under this config, never under plain `npm test`.
  process.env.CLUSTER_PROFILE_TESTS = '1';
}
