/**
 * `npm run cluster:up` / `npm run cluster:down`: the cluster profile from a shell. `up` builds
 * what is missing, starts PostgreSQL and the four Temporal services in the background, prints
 * where they are and exits; `down` stops them (Temporal first). The data folder is kept.
 */
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { projectRoot } from '../paths';
import { formatBytes } from './build';
import { Cluster, stopClusterAt } from './cluster';
import { parseClusterSettings, type ClusterSettings } from './settings';

/** The profile's settings (README "Cluster profile"); `.env` is read as `npm start` reads it. */
function settings(): ClusterSettings {
  loadDotenv({ path: path.join(projectRoot, '.env'), quiet: true });
  return parseClusterSettings(process.env);
}

const log = (line: string): void => console.log(`[cluster] ${line}`);

async function up(): Promise<void> {
  const s = settings();
  const dataDir = path.resolve(projectRoot, s.CLUSTER_DATA_DIR);
  const { cluster, figures } = await Cluster.start({
    dataDir,
    log,
    namespace: s.TEMPORAL_NAMESPACE,
    frontendPort: s.CLUSTER_TEMPORAL_PORT ?? 'prefer-default',
    ...(s.CLUSTER_POSTGRES_PORT === undefined ? {} : { postgresPort: s.CLUSTER_POSTGRES_PORT }),
    ...(s.CLUSTER_POSTGRES_BIN_DIR === undefined ? {} : { postgresBinDir: s.CLUSTER_POSTGRES_BIN_DIR }),
    stopOnExit: false,
    temporalLogLevel: s.CLUSTER_TEMPORAL_LOG_LEVEL,
  });
  const record = cluster.build.record;
  const relative = path.relative(projectRoot, dataDir) || '.';
  const address = cluster.address;
  const namespaceEnv = cluster.namespace === 'default' ? '' : ` TEMPORAL_NAMESPACE=${cluster.namespace}`;
  const lines = [
    '',
    `Cluster profile ${figures.alreadyRunning ? 'already running' : 'up'} ` +
      `(${figures.bringUpSeconds.toFixed(1)} s${figures.buildSeconds > 0 ? `, after a ${figures.buildSeconds.toFixed(0)} s build` : ''}):`,
    `  Temporal ${cluster.build.version} (go.temporal.io/server, built with ${record.goVersion} in ${record.buildSeconds} s, ` +
      `${formatBytes(record.downloadedBytes)} downloaded): frontend, history, matching, worker, one process each`,
    `  PostgreSQL ${cluster.postgres.version()} on 127.0.0.1:${cluster.postgres.port}, namespace "${cluster.namespace}" (72 h retention)`,
    `  data and logs: ${relative}/ (logs/temporal-<service>.log, logs/postgres.log)`,
    '',
    `  TEMPORAL_ADDRESS=${address}${namespaceEnv}`,
    '',
    'Point the service at it (sandbox mode must be asked for when TEMPORAL_ADDRESS is set):',
    `  TEMPORAL_ADDRESS=${address}${namespaceEnv} SANDBOX_MODE=true npm start      # worker + API in one process`,
    `  TEMPORAL_ADDRESS=${address}${namespaceEnv} SANDBOX_MODE=true npm run api    # or separately: the API ...`,
    `  TEMPORAL_ADDRESS=${address}${namespaceEnv} SANDBOX_MODE=true npm run worker # ... and one or more workers`,
    `Temporal CLI: temporal --address ${address} workflow list${namespaceEnv ? ` --namespace ${cluster.namespace}` : ''}`,
    'Stop: npm run cluster:down (the data stays; delete the folder to start from nothing)',
  ];
  console.log(lines.join('\n'));
}

async function down(): Promise<void> {
  const s = settings();
  const dataDir = path.resolve(projectRoot, s.CLUSTER_DATA_DIR);
  const stopped = await stopClusterAt(dataDir, log, s.CLUSTER_POSTGRES_BIN_DIR);
  log(stopped ? `stopped (data kept in ${dataDir})` : `nothing was running on ${dataDir}`);
}

const command = process.argv[2];
const run = command === 'up' ? up : command === 'down' ? down : undefined;
if (!run) {
  console.error('usage: tsx src/cluster/cli.ts up|down');
  process.exit(2);
}
run().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
