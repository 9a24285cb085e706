/**
 * `npm start`: the whole system on one machine. Starts the Temporal dev server (unless
 * TEMPORAL_ADDRESS points at a cluster), the worker and the API; on Ctrl-C or SIGTERM drains the
 * worker first, then the API, then stops the dev server, leaving no process behind. Exit codes and
 * time bounds: README "Stopping, draining and exit codes".
 */
import { temporalConnectionOptions } from './temporal/connectionOptions';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { sandboxAdminPasswordFile, sandboxOperatorTokenFile } from './config/sandboxSecrets';
import { logger } from './log';
import { apiDrainMs, apiListenTargets, startApi, type ApiServer } from './apiServer';
import { assertCanListen, EXIT_CODES, ListenError, onStopSignals, type ListenTarget } from './lifecycle';
import { binaryVersion, resolveTemporalBinary, TemporalBinaryNotFound } from './temporal/binaries';
import {
  connectWithRetry,
  connectWorkerWithRetry,
  createClient,
  ensureSearchAttributes,
} from './temporal/connection';
import {
  DataDirInUseError,
  DEV_SERVER_STOP_GRACE_MS,
  startDevServer,
  stopStaleDevServer,
  type DevServer,
} from './temporal/devServer';
import { codecKeysOf, dataConverterOf, payloadCodecOf } from './temporal/dataConverter';
import { createWorker, WORKER_SHUTDOWN_FORCE_MS } from './worker';
import { installTemporalRuntime } from './temporal/runtimeLogger';
import { TemplatesFileError } from './activities/sms';
import type { Worker } from '@temporalio/worker';

/** The dev server's own ports (it listens on loopback), checked with ours before anything starts. */
function devServerListenTargets(config: AppConfig): ListenTarget[] {
  const { env } = config;
  return [
    {
      listener: 'the Temporal dev server',
      port: env.TEMPORAL_DEV_SERVER_PORT,
      host: '127.0.0.1',
      portSetting: 'TEMPORAL_DEV_SERVER_PORT',
    },
    {
      listener: 'the Temporal Web UI',
      port: env.TEMPORAL_UI_PORT,
      host: '127.0.0.1',
      portSetting: 'TEMPORAL_UI_PORT',
    },
  ];
}

/** The exit code and the message of a failed start-up. */
function startFailure(err: unknown): { code: number; message?: string } {
  if (err instanceof ListenError) return { code: EXIT_CODES.listen, message: err.message };
  if (
    err instanceof TemporalBinaryNotFound ||
    err instanceof TemplatesFileError ||
    err instanceof DataDirInUseError
  )
    return { code: EXIT_CODES.failed, message: err.message };
  return { code: EXIT_CODES.failed };
}

async function main(): Promise<void> {
  // Files this process and its children (the dev server's SQLite, logs, stores, keys) create are owner-only.
  process.umask(0o077);
  let config: AppConfig;
  try {
    // No cluster and no Twilio: the embedded default, in sandbox mode (it encrypts too, with keys per data folder).
    config = loadConfig({ embeddedDefault: true });
    codecKeysOf(config); // reads and checks the key file now: a bad one is a configuration error, listed like the rest
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(EXIT_CODES.config);
    }
    throw err;
  }
  const { env } = config;
  logger.level = config.env.LOG_LEVEL; // .env may set it after the logger was created
  installTemporalRuntime(logger);

  let devServer: DevServer | undefined;
  let worker: Worker | undefined;
  let api: ApiServer | undefined;
  let stopping = false;
  /** Resolves once the worker has stopped: true when it drained, false when its drain was cut short or it failed. */
  let workerDone: Promise<boolean> = Promise.resolve(true);
  // Past every step's own bound (worker, API, dev server), the process ends anyway.
  const shutdownDeadlineMs = WORKER_SHUTDOWN_FORCE_MS + apiDrainMs(config) + DEV_SERVER_STOP_GRACE_MS + 5_000;

  /** Stops what has started, in order, then exits with `exitCode` (1 if a step could not finish cleanly). */
  const shutdown = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down: draining worker, then API, then Temporal dev server');
    setTimeout(() => {
      logger.error({ deadlineMs: shutdownDeadlineMs }, 'shutdown did not finish in time; exiting');
      process.exit(EXIT_CODES.failed);
    }, shutdownDeadlineMs).unref();
    let code = exitCode;
    // How long each step took, in the last line: where a slow stop spent its time.
    const tookMs: Record<string, number> = {};
    const step = async (name: string, run: () => Promise<unknown>): Promise<void> => {
      const started = Date.now();
      await run();
      tookMs[name] = Date.now() - started;
    };
    try {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await step('worker', async () => {
        if (!(await workerDone)) code ||= EXIT_CODES.failed;
      });
      await step('api', async () => {
        if ((await api?.close()) === false) code ||= EXIT_CODES.failed;
      });
      await step('devServer', async () => devServer?.stop());
    } catch (err) {
      logger.error({ err }, 'shutdown step failed');
      code ||= EXIT_CODES.failed;
    } finally {
      logger.info({ exitCode: code, tookMs }, 'stopped');
      process.exit(code);
    }
  };
  onStopSignals((signal) => void shutdown(signal, EXIT_CODES.stopped), logger);

  try {
    if (config.embeddedTemporal) {
      // Before the port checks: a dev server left behind by a start that was killed holds those ports.
      const stale = await stopStaleDevServer(config.dataDir);
      if (stale)
        logger.warn({ devServerPid: stale }, 'stopped a Temporal dev server an earlier start left running');
    }
    // Every port now, before the dev server and the workflow bundle: a taken one fails in a second.
    await assertCanListen([
      ...apiListenTargets(config),
      ...(config.embeddedTemporal ? devServerListenTargets(config) : []),
    ]);
    if (config.embeddedTemporal) {
      const binary = resolveTemporalBinary('cli');
      logger.info({ binary, version: binaryVersion(binary) }, 'starting Temporal dev server');
      devServer = startDevServer({
        binary,
        dataDir: config.dataDir,
        port: env.TEMPORAL_DEV_SERVER_PORT,
        uiPort: env.TEMPORAL_UI_PORT,
        namespace: env.TEMPORAL_NAMESPACE,
        // Its Web UI shows decrypted payloads to an operator signed in at our /codec/sign-in.
        ...(payloadCodecOf(config) ? { codecEndpoint: `http://localhost:${env.PORT}/codec` } : {}),
      });
      devServer.process.once('exit', (code, signal) => {
        if (!stopping) {
          logger.fatal({ code, signal, log: devServer?.logFile }, 'Temporal dev server exited unexpectedly');
          void shutdown('dev-server-exit', EXIT_CODES.failed);
        }
      });
    }
    const connection = await connectWithRetry(temporalConnectionOptions(config), { logger });
    const added = await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
    if (added.length > 0) logger.info({ added }, 'registered search attributes');

    const workerConnection = await connectWorkerWithRetry(temporalConnectionOptions(config));
    worker = await createWorker(config, workerConnection);
    workerDone = worker.run().then(
      async () => {
        await workerConnection.close();
        return true;
      },
      (err: unknown) => {
        // During a shutdown this is the drain cut short at WORKER_SHUTDOWN_FORCE_MS.
        logger.fatal({ err }, stopping ? 'worker did not drain in time' : 'worker failed');
        void shutdown('worker-failed', EXIT_CODES.failed);
        return false;
      },
    );
    api = await startApi(config, createClient(connection, env.TEMPORAL_NAMESPACE, dataConverterOf(config)));

    const lines = [
      `API:          ${api.url}  (health ${api.url}/healthz, ready ${api.url}/readyz)`,
      `Admin console: ${api.url}/admin` +
        // loadConfig fills a generated password into the config: the environment says whether one was chosen.
        (config.sandbox && !process.env.APPLICATION_PASSWORD
          ? `  (password in ${sandboxAdminPasswordFile(config)}; the code arrives on the virtual phone)`
          : ''),
      `OpenAPI:      ${api.url}/openapi.json`,
      ...(api.mllpPort ? [`HL7 MLLP:     tcp://localhost:${api.mllpPort}`] : []),
      devServer
        ? `Temporal UI:  ${devServer.uiUrl}  (namespace ${env.TEMPORAL_NAMESPACE})`
        : `Temporal:     ${config.temporalAddress} (namespace ${env.TEMPORAL_NAMESPACE})`,
      config.sandbox
        ? `Sandbox mode: texts stay on this machine; sandbox routes answer loopback only. EHR API key: ${config.ehrApiKeys[0]}`
        : 'Twilio mode: texts are sent through Twilio',
      ...(payloadCodecOf(config)
        ? [
            `Payloads:     encrypted in Temporal; to read them in the Web UI sign in at ${api.url}/codec/sign-in` +
              (config.sandbox
                ? ` (OPERATOR_TOKEN, else the token in ${sandboxOperatorTokenFile(config)})`
                : ' (OPERATOR_TOKEN)'),
          ]
        : []),
      `Data:         ${config.dataDir}`,
      'Press Ctrl-C to stop.',
    ];
    console.log(`\nAppointment messaging is running\n  ${lines.join('\n  ')}\n`);
  } catch (err) {
    if (stopping) return; // a signal's shutdown is already under way and ends the process
    const failure = startFailure(err);
    if (failure.message) console.error(failure.message);
    else logger.fatal({ err }, 'start-up failed');
    await shutdown('startup-failed', failure.code);
  }
}

void main();
