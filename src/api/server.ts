/**
 * Builds the HTTP server around the app: Temporal client, readiness, feature routers.
 * `npm run api` runs it alone (multi-process topology); `npm start` runs it in-process.
 */
import { describeConnection, temporalConnectionOptions } from '../temporal/connectionOptions';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, type AppConfig } from '../config';
import { logger } from '../log';
import { connectWithRetry, createClient } from '../temporal/connection';
import { dataConverterOf } from '../temporal/dataConverter';
import { createApp } from './app';
import { apiRouters, createGateways } from './routes';
import { handleHl7Message } from './hl7';
import { startMllpListener, type MllpListener } from './mllp';
import { temporalReadiness } from './readiness';
import { startMetricsServer, type MetricsServer } from '../metrics/endpoint';

export interface ApiServer {
  readonly server: Server;
  readonly url: string;
  /** The HL7 MLLP listener's port, when HL7_MLLP_PORT is set. */
  readonly mllpPort?: number;
  /** The separate /metrics listener's port, when METRICS_PORT is set. */
  readonly metricsPort?: number;
  close(): Promise<void>;
}

export async function startApi(config: AppConfig, client: Client): Promise<ApiServer> {
  const gateways = createGateways(config, client);
  const routers = apiRouters(config, gateways, logger);
  const metricsOptions = config.env.METRICS_BEARER_TOKEN
    ? { bearerToken: config.env.METRICS_BEARER_TOKEN }
    : {};
  const app = createApp({
    logger,
    routers,
    readiness: temporalReadiness(client, config.env.TEMPORAL_NAMESPACE, config.env.TEMPORAL_TASK_QUEUE),
    // METRICS_PORT: /metrics on a port of its own, none on the API's.
    metrics: config.env.METRICS_PORT === undefined ? metricsOptions : false,
    trustProxy: config.env.TRUST_PROXY,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    // Express 5 hands a listen error (EADDRINUSE) to this callback: without the check the API would
    // say it listens and serve nothing.
    const done = (err?: Error): void => (err ? reject(err) : resolve(listening));
    const listening =
      config.apiHost === undefined
        ? app.listen(config.env.PORT, done)
        : app.listen(config.env.PORT, config.apiHost, done);
  });
  const closeHttp = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  let metrics: MetricsServer | undefined;
  if (config.env.METRICS_PORT !== undefined) {
    const host = config.env.METRICS_HOST ?? config.apiHost;
    try {
      metrics = await startMetricsServer({
        ...metricsOptions,
        port: config.env.METRICS_PORT,
        ...(host === undefined ? {} : { host }),
      });
    } catch (err) {
      await closeHttp();
      throw err;
    }
  }
  let mllp: MllpListener | undefined;
  if (config.env.HL7_MLLP_PORT !== undefined) {
    try {
      mllp = await startMllpListener({
        port: config.env.HL7_MLLP_PORT,
        host: config.env.HL7_MLLP_HOST,
        allowedClients: config.env.HL7_MLLP_ALLOWED_CLIENTS,
        idleTimeoutMs: config.env.HL7_MLLP_IDLE_TIMEOUT_MS,
        maxConnections: config.env.HL7_MLLP_MAX_CONNECTIONS,
        maxFrameBytes: config.env.HL7_MLLP_MAX_FRAME_BYTES,
        ...mllpTls(config),
        logger: logger.child({ component: 'mllp' }),
        handle: (message) =>
          handleHl7Message(message, {
            gateway: gateways.appointments,
            defaultCountry: config.env.DEFAULT_COUNTRY,
            defaultTimezone: config.defaultTimezone,
            textTestMessages: config.env.HL7_TEXT_TEST_MESSAGES === 'true',
            logger,
          }),
      });
    } catch (err) {
      await metrics?.close();
      await closeHttp();
      throw err;
    }
  }
  return {
    server,
    url: `http://localhost:${config.env.PORT}`,
    mllpPort: mllp?.port,
    metricsPort: metrics?.port,
    close: async () => {
      // MLLP first: messages already received still reach Temporal before we stop.
      await mllp?.close();
      await closeHttp();
      await metrics?.close();
    },
  };
}

/** The MLLP listener's TLS material, read at start-up (a path that cannot be read is a configuration error). */
function mllpTls(config: AppConfig): { tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer } } {
  const {
    HL7_MLLP_TLS_CERT_PATH: cert,
    HL7_MLLP_TLS_KEY_PATH: key,
    HL7_MLLP_TLS_CLIENT_CA_PATH: ca,
  } = config.env;
  if (!cert || !key) return {};
  const read = (name: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError([`${name}: cannot be read (${(err as NodeJS.ErrnoException).code})`]);
    }
  };
  return {
    tls: {
      cert: read('HL7_MLLP_TLS_CERT_PATH', cert),
      key: read('HL7_MLLP_TLS_KEY_PATH', key),
      ...(ca ? { clientCa: read('HL7_MLLP_TLS_CLIENT_CA_PATH', ca) } : {}),
    },
  };
}

async function main(): Promise<void> {
  process.umask(0o077); // files it creates under DATA_DIR (sandbox stores, snapshots) are owner-only
  const config = loadConfig();
  logger.level = config.env.LOG_LEVEL;
  const connection = await connectWithRetry(temporalConnectionOptions(config), { logger });
  const api = await startApi(
    config,
    createClient(connection, config.env.TEMPORAL_NAMESPACE, dataConverterOf(config)),
  );
  logger.info(
    { url: api.url, temporal: describeConnection(temporalConnectionOptions(config)) },
    'API listening',
  );
  const stop = async (): Promise<void> => {
    await api.close();
    await connection.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    logger.fatal({ err }, 'API failed');
    process.exit(1);
  });
}
