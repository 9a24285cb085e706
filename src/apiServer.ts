/**
 * The API process: its Temporal client, the app with the routers composition/api.ts builds, the
 * listeners (HTTP, METRICS_PORT, HL7 MLLP) and their drain. `npm run api` runs it alone (multi-process
 * topology); `npm start` (main.ts) runs it in-process beside the worker.
 */
import { describeConnection, temporalConnectionOptions } from './temporal/connectionOptions';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { logger } from './log';
import { connectWithRetry, createClient } from './temporal/connection';
import { dataConverterOf } from './temporal/dataConverter';
import { createApp } from './api/app';
import { apiRouters } from './composition/api';
import { createGateways } from './composition/gateways';
import { handleHl7Message } from './api/hl7';
import { startMllpListener, type MllpListener } from './api/mllp';
import { temporalReadiness } from './api/readiness';
import { drainableServer } from './http/drainableServer';
import { startMetricsServer, type MetricsServer } from './metrics/endpoint';
import {
  assertCanListen,
  EXIT_CODES,
  listen,
  ListenError,
  onStopSignals,
  type ListenTarget,
} from './lifecycle';

export interface ApiServer {
  readonly server: Server;
  readonly url: string;
  /** The HL7 MLLP listener's port, when HL7_MLLP_PORT is set. */
  readonly mllpPort?: number;
  /** The separate /metrics listener's port, when METRICS_PORT is set. */
  readonly metricsPort?: number;
  /**
   * Drains: stops accepting connections, answers 503 to requests that arrive on kept-alive ones, lets
   * requests in flight finish (at most apiDrainMs), then closes every connection and the other listeners.
   * Resolves true when every request finished, false when the drain time cut some short.
   */
  close(): Promise<boolean>;
}

/** In-flight requests get this long after a stop beyond the longest wait for Temporal on a request's path. */
const DRAIN_MARGIN_MS = 5_000;

/** How long close() lets requests in flight finish: TEMPORAL_SUBMIT_TIMEOUT_MS + 5 s (10 s by default). */
export function apiDrainMs(config: AppConfig): number {
  return config.env.TEMPORAL_SUBMIT_TIMEOUT_MS + DRAIN_MARGIN_MS;
}

function apiTarget(config: AppConfig): ListenTarget {
  return {
    listener: 'the API',
    port: config.env.PORT,
    ...(config.apiHost === undefined ? {} : { host: config.apiHost }),
    portSetting: 'PORT',
    hostSetting: 'API_HOST',
  };
}

/** Every listener startApi opens, in that order: the API, then METRICS_PORT and HL7_MLLP_PORT when set. */
export function apiListenTargets(config: AppConfig): ListenTarget[] {
  const { env } = config;
  const targets = [apiTarget(config)];
  const metricsHost = env.METRICS_HOST ?? config.apiHost;
  if (env.METRICS_PORT !== undefined) {
    targets.push({
      listener: 'the metrics endpoint',
      port: env.METRICS_PORT,
      ...(metricsHost === undefined ? {} : { host: metricsHost }),
      portSetting: 'METRICS_PORT',
      hostSetting: 'METRICS_HOST',
    });
  }
  if (env.HL7_MLLP_PORT !== undefined) {
    targets.push({
      listener: 'the HL7 MLLP listener',
      port: env.HL7_MLLP_PORT,
      host: env.HL7_MLLP_HOST,
      portSetting: 'HL7_MLLP_PORT',
      hostSetting: 'HL7_MLLP_HOST',
    });
  }
  return targets;
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
  // Our own server rather than Express's app.listen, which hands a listen error to its callback (a
  // server that says it listens and serves nothing when unchecked) and cannot drain.
  const http = drainableServer(app);
  const { server } = http;
  await listen(server, apiTarget(config));
  server.on('error', (err) => logger.error({ err }, 'API listener error'));
  const closeHttp = (): Promise<boolean> => http.drain(0);
  let metrics: MetricsServer | undefined;
  if (config.env.METRICS_PORT !== undefined) {
    const host = config.env.METRICS_HOST ?? config.apiHost;
    try {
      metrics = await startMetricsServer({
        ...metricsOptions,
        port: config.env.METRICS_PORT,
        ...(host === undefined ? {} : { host }),
        portSetting: 'METRICS_PORT',
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
      // Both transports drain at once; messages and requests already received still reach Temporal.
      const [, drained] = await Promise.all([mllp?.close(), http.drain(apiDrainMs(config))]);
      await metrics?.close();
      return drained;
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
  // A port it cannot have ends start-up now, not after the wait for Temporal.
  await assertCanListen(apiListenTargets(config));
  const connection = await connectWithRetry(temporalConnectionOptions(config), { logger });
  const api = await startApi(
    config,
    createClient(connection, config.env.TEMPORAL_NAMESPACE, dataConverterOf(config)),
  );
  logger.info(
    { url: api.url, temporal: describeConnection(temporalConnectionOptions(config)) },
    'API listening',
  );
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const drainMs = apiDrainMs(config);
    logger.info({ signal, drainMs }, 'draining: no new connections, requests in flight finish');
    // close() cuts what is left at drainMs; this is the backstop should anything else hang.
    setTimeout(() => {
      logger.error('the API did not stop in time; exiting');
      process.exit(EXIT_CODES.failed);
    }, drainMs + 5_000).unref();
    const drained = await api.close();
    await connection.close();
    logger.info({ drained }, 'stopped');
    // A drain cut short at drainMs is not a clean stop: requests were dropped (their senders retry).
    process.exit(drained ? EXIT_CODES.stopped : EXIT_CODES.failed);
  };
  onStopSignals((signal) => void stop(signal), logger);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError || err instanceof ListenError) {
      console.error(err.message);
      process.exit(err instanceof ConfigError ? EXIT_CODES.config : EXIT_CODES.listen);
    }
    logger.fatal({ err }, 'API failed');
    process.exit(EXIT_CODES.failed);
  });
}
