/**
 * The Temporal worker: runs appointment and phone workflows and their activities, with an explicit
 * workflow cache and concurrency (WORKER_* settings).
 * `npm run worker` runs it alone (for the multi-process topology); `npm start` runs it in-process.
 */
import { temporalConnectionOptions } from './temporal/connectionOptions';
import { NativeConnection, Worker } from '@temporalio/worker';
import { activityDepsFromConfig, createActivities } from './activities';
import { loadConfig, type AppConfig } from './config';
import { logger } from './log';
import { installTemporalRuntime } from './temporal/runtimeLogger';
import { connectWithRetry, connectWorkerWithRetry, ensureSearchAttributes } from './temporal/connection';
import { WORKFLOW_BUNDLER_OPTIONS } from './temporal/workflowBundle';
import { dataConverterOf } from './temporal/dataConverter';

export async function createWorker(config: AppConfig, connection: NativeConnection): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.env.TEMPORAL_NAMESPACE,
    taskQueue: config.env.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows'),
    bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
    activities: createActivities(activityDepsFromConfig(config)),
    // Patient data leaves the process encrypted when keys are configured (README "Security").
    dataConverter: dataConverterOf(config),
    // Bounded memory: an evicted workflow is replayed from its (short) history when it next wakes.
    maxCachedWorkflows: config.env.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: config.env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: config.env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.env.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    // Lets in-flight activities (an SMS send, an EHR POST) finish before the process exits.
    shutdownGraceTime: '10s',
    // Then activities are cancelled; one that ignores cancellation must not hold the process for ever.
    shutdownForceTime: '20s',
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
  installTemporalRuntime(logger);
  await registerSearchAttributes(config);
  const connection = await connectWorkerWithRetry(temporalConnectionOptions(config));
  const worker = await createWorker(config, connection);
  logger.info(
    { taskQueue: config.env.TEMPORAL_TASK_QUEUE, address: config.temporalAddress },
    'worker started',
  );
  // The SDK installs SIGINT/SIGTERM handlers that drain the worker; run() resolves once it has stopped.
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  main().catch((err) => {
    logger.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
