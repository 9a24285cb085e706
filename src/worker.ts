/**
 * The Temporal worker: runs appointment and phone workflows and their activities, with an explicit
 * workflow cache and concurrency (WORKER_* settings).
 * `npm run worker` runs it alone (for the multi-process topology); `npm start` runs it in-process.
 */
import { describeConnection, temporalConnectionOptions } from './temporal/connectionOptions';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { activityDepsFromConfig } from './composition/activities';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { logger } from './log';
import { startMetricsServer, type MetricsServer } from './metrics/endpoint';
import { installTemporalRuntime } from './temporal/runtimeLogger';
import { connectWithRetry, connectWorkerWithRetry, ensureSearchAttributes } from './temporal/connection';
import { WORKFLOW_BUNDLER_OPTIONS } from './temporal/workflowBundle';
import { dataConverterOf } from './temporal/dataConverter';
import { EXIT_CODES, ListenError, onStopSignals } from './lifecycle';

/**
 * SIGTERM drains the worker: it stops polling, and activities in flight (an SMS send, an EHR POST) get
 * WORKER_SHUTDOWN_GRACE_MS to finish before they are cancelled. WORKER_SHUTDOWN_FORCE_MS after the
 * signal the SDK gives up on whatever still runs (Temporal retries it on another worker after its
 * timeout) and the process exits 1. README "Stopping, draining and exit codes".
 */
export const WORKER_SHUTDOWN_GRACE_MS = 10_000;
export const WORKER_SHUTDOWN_FORCE_MS = 20_000;

/** The bundle built into the image (`npm run build:workflows`), when there is one: no webpack at start-up. */
function prebuiltBundle(config: AppConfig): { workflowBundle: { codePath: string } } | undefined {
  const codePath = config.env.WORKFLOW_BUNDLE_PATH ?? path.join(__dirname, 'workflow-bundle.js');
  return existsSync(codePath) ? { workflowBundle: { codePath } } : undefined;
}

export async function createWorker(config: AppConfig, connection: NativeConnection): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.env.TEMPORAL_NAMESPACE,
    taskQueue: config.env.TEMPORAL_TASK_QUEUE,
    ...(prebuiltBundle(config) ?? {
      workflowsPath: require.resolve('./workflows'),
      bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
    }),
    activities: createActivities(activityDepsFromConfig(config)),
    // Patient data leaves the process encrypted when keys are configured (README "Security").
    dataConverter: dataConverterOf(config),
    // Bounded memory: an evicted workflow is replayed from its (short) history when it next wakes.
    maxCachedWorkflows: config.env.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: config.env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: config.env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.env.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    // Lets in-flight activities (an SMS send, an EHR POST) finish before the process exits.
    shutdownGraceTime: WORKER_SHUTDOWN_GRACE_MS,
    // Counted from the signal: an activity that ignores its cancellation must not hold the process for ever.
    shutdownForceTime: WORKER_SHUTDOWN_FORCE_MS,
  });
}

/** A standalone worker may be the first process on a new cluster: make sure operators can filter. */
async function registerSearchAttributes(config: AppConfig): Promise<void> {
  const connection = await connectWithRetry(temporalConnectionOptions(config), { logger });
  try {
    const added = await ensureSearchAttributes(connection, config.env.TEMPORAL_NAMESPACE);
    if (added.length > 0) logger.info({ added }, 'registered search attributes');
  } catch (err) {
    // Temporal Cloud and locked-down clusters register attributes out of band (tcld / temporal operator).
    logger.warn({ err }, 'could not register search attributes; register them with your cluster tooling');
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  process.umask(0o077); // files it creates under DATA_DIR (sandbox stores, snapshots) are owner-only
  const config = loadConfig();
  logger.level = config.env.LOG_LEVEL; // .env may set it after the logger was created
  installTemporalRuntime(logger, config.env.TEMPORAL_SDK_METRICS_ADDRESS);
  // The SDK's own SIGINT/SIGTERM handlers drain the worker (a signal before it runs stops it as soon as it
  // exists); ours log it and bound the whole stop.
  onStopSignals((signal) => {
    logger.info({ signal, graceMs: WORKER_SHUTDOWN_GRACE_MS }, 'draining the worker');
    setTimeout(() => {
      logger.error('the worker did not stop in time; exiting');
      process.exit(EXIT_CODES.failed);
    }, WORKER_SHUTDOWN_FORCE_MS + 5_000).unref();
  }, logger);
  const metrics = await startWorkerMetrics(config);
  await registerSearchAttributes(config);
  const connection = await connectWorkerWithRetry(temporalConnectionOptions(config));
  const worker = await createWorker(config, connection);
  logger.info(
    // Whether TLS and an API key are in use, never the key itself.
    {
      taskQueue: config.env.TEMPORAL_TASK_QUEUE,
      temporal: describeConnection(temporalConnectionOptions(config)),
    },
    'worker started',
  );
  // Container health (WORKER_HEALTH_FILE): touched while the worker runs; docker-compose checks its age.
  const healthFile = config.env.WORKER_HEALTH_FILE;
  const beat = healthFile
    ? setInterval(() => {
        if (worker.getState() === 'RUNNING') writeFileSync(healthFile, new Date().toISOString());
      }, 10_000)
    : undefined;
  try {
    // Resolves once a signal's drain has finished; rejects when the drain was cut short (the force time).
    await worker.run();
  } finally {
    if (beat) clearInterval(beat);
    await metrics?.close();
  }
  await connection.close();
  logger.info('worker stopped');
  // Whatever handle is left (a gRPC channel winding down) must not keep a stopped worker's process alive.
  process.exit(EXIT_CODES.stopped);
}

/**
 * The standalone worker's own /metrics (texts, lateness, callbacks, snapshots) on WORKER_METRICS_PORT
 * (0: none). A port it cannot have stops the worker (ListenError, exit 3): a worker that runs without
 * its metrics is one nobody sees fail.
 */
async function startWorkerMetrics(config: AppConfig): Promise<MetricsServer | undefined> {
  const port = config.env.WORKER_METRICS_PORT;
  if (port === 0) return undefined;
  const host = config.env.METRICS_HOST ?? config.apiHost;
  const server = await startMetricsServer({
    port,
    ...(host === undefined ? {} : { host }),
    ...(config.env.METRICS_BEARER_TOKEN ? { bearerToken: config.env.METRICS_BEARER_TOKEN } : {}),
    portSetting: 'WORKER_METRICS_PORT',
  });
  logger.info({ port: server.port, host: host ?? 'all interfaces' }, 'worker metrics at /metrics');
  return server;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError || err instanceof ListenError) {
      console.error(err.message);
      process.exit(err instanceof ConfigError ? EXIT_CODES.config : EXIT_CODES.listen);
    }
    // GracefulShutdownPeriodExpiredError too: the drain was cut short at WORKER_SHUTDOWN_FORCE_MS.
    logger.fatal({ err }, 'worker failed');
    process.exit(EXIT_CODES.failed);
  });
}
