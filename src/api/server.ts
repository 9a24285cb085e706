/**
 * Builds the HTTP server around the app: Temporal client, readiness, feature routers.
 * `npm run api` runs it alone (multi-process topology); `npm start` runs it in-process.
 */
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { loadConfig, type AppConfig } from '../config';
import { logger } from '../log';
import { connectWithRetry, createClient } from '../temporal/connection';
import { createApp } from './app';
import { apiRouters, createGateways } from './routes';
import { temporalReadiness } from './readiness';

export interface ApiServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

export async function startApi(config: AppConfig, client: Client): Promise<ApiServer> {
  const routers = apiRouters(config, createGateways(config, client), logger);
  const app = createApp({
    logger,
    routers,
    readiness: temporalReadiness(client, config.env.TEMPORAL_NAMESPACE, config.env.TEMPORAL_TASK_QUEUE),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.env.PORT, () => resolve(listening));
    listening.once('error', reject);
  });
  return {
    server,
    url: `http://localhost:${config.env.PORT}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.env.LOG_LEVEL;
  const connection = await connectWithRetry(config.temporalAddress, { logger });
  const api = await startApi(config, createClient(connection, config.env.TEMPORAL_NAMESPACE));
  logger.info({ url: api.url }, 'API listening');
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
