/**
 * `npm start`: the whole system on one machine. Starts the Temporal dev server (unless
 * TEMPORAL_ADDRESS points at a cluster), the worker and the API; on Ctrl-C or SIGTERM drains the
 * worker first, then closes the API and stops the dev server, leaving no process behind.
 */
import { temporalConnectionOptions } from './temporal/connectionOptions';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { sandboxAdminPasswordFile, sandboxOperatorTokenFile } from './config/sandboxSecrets';
import { logger } from './log';
import { startApi, type ApiServer } from './api/server';
import { binaryVersion, resolveTemporalBinary, TemporalBinaryNotFound } from './temporal/binaries';
import {
  connectWithRetry,
  connectWorkerWithRetry,
  createClient,
  ensureSearchAttributes,
} from './temporal/connection';
import { startDevServer, type DevServer } from './temporal/devServer';
import { codecKeysOf, dataConverterOf, payloadCodecOf } from './temporal/dataConverter';
import { createWorker } from './worker';
import { installTemporalRuntime } from './temporal/runtimeLogger';
import { TemplatesFileError } from './activities/sms';
import type { Worker } from '@temporalio/worker';

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
      process.exit(2);
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

  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining worker, then API, then Temporal dev server');
    try {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone;
      await api?.close();
      await devServer?.stop();
    } finally {
      logger.info('stopped');
      process.exit(0);
    }
  };
  let workerDone: Promise<void> = Promise.resolve();
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
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
      devServer.process.once('exit', (code) => {
        if (!stopping) {
          logger.fatal({ code, log: devServer?.logFile }, 'Temporal dev server exited unexpectedly');
          void shutdown('dev-server-exit');
        }
      });
    }
    const connection = await connectWithRetry(temporalConnectionOptions(config), { logger });
    const added = await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
    if (added.length > 0) logger.info({ added }, 'registered search attributes');

    const workerConnection = await connectWorkerWithRetry(temporalConnectionOptions(config));
    worker = await createWorker(config, workerConnection);
    workerDone = worker.run().then(
      () => workerConnection.close(),
      (err: unknown) => {
        logger.fatal({ err }, 'worker failed');
        void shutdown('worker-failed');
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
    if (err instanceof TemporalBinaryNotFound || err instanceof TemplatesFileError)
      console.error(err.message);
    else logger.fatal({ err }, 'start-up failed');
    await shutdown('startup-failed');
    process.exit(1);
  }
}

void main();
