/**
 * The service as `npm start` runs it, on a dev server of its own: the API (sandbox Twilio and EHR
 * receiver included) and a worker in this process, clients through the configured data converter.
 * Or, with startStackWithApp, the same worker beside an app the test builds (its own routers).
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { startApi, type ApiServer } from '../../src/apiServer';
import { parseConfig, type AppConfig } from '../../src/config';
import { dataConverterOf } from '../../src/temporal/dataConverter';
import { createWorker } from '../../src/worker';
import { freePort } from './ports';
import { devServerEnv, uniqueTaskQueue } from './temporal';
import { sandboxEnv } from './config';

export interface SandboxStack {
  env: TestWorkflowEnvironment;
  config: AppConfig;
  /** A client on the dev server through the configured data converter (payloads as the service reads them). */
  client: Client;
  api: ApiServer;
  /** http://127.0.0.1:<port> of the API. */
  base: string;
  stop(): Promise<void>;
}

/** A fresh dev server and the configuration both kinds of stack run with (see startSandboxStack's `settings`). */
async function stackConfig(
  name: string,
  settings: Record<string, string>,
): Promise<{ env: TestWorkflowEnvironment; config: AppConfig; client: Client; port: number }> {
  const env = await devServerEnv();
  const port = await freePort();
  const config = parseConfig({
    ...(settings.TWILIO_ACCOUNT_SID ? {} : sandboxEnv()),
    PORT: String(port),
    // Activities reach the phone conversation workflow through this address.
    TEMPORAL_ADDRESS: env.address,
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), `${name}-`)),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(name),
    LOG_LEVEL: 'silent',
    ...settings,
  });
  const client = new Client({ connection: env.connection, dataConverter: dataConverterOf(config) });
  return { env, config, client, port };
}

/** The service's worker, running until `stop()` (which resolves once it has drained). */
async function runWorker(
  config: AppConfig,
  env: TestWorkflowEnvironment,
): Promise<{ stop(): Promise<void> }> {
  const worker: Worker = await createWorker(config, env.nativeConnection);
  const workerRun = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await workerRun;
    },
  };
}

/** `settings` are environment variables on top of the port, Temporal address, data folder and task queue. */
export async function startSandboxStack(
  name: string,
  settings: Record<string, string> = {},
): Promise<SandboxStack> {
  const { env, config, client, port } = await stackConfig(name, settings);
  const api = await startApi(config, client);
  const worker = await runWorker(config, env);
  return {
    env,
    config,
    client,
    api,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      await worker.stop();
      await api.close();
      await env.teardown();
    },
  };
}

export type AppStack = Omit<SandboxStack, 'api'>;

/**
 * A dev server, the configuration and client startSandboxStack would use, the app `appFor` builds from them served on
 * 127.0.0.1 at its PORT (where the worker's sandbox clients send), and the service's worker. stop() drains the
 * worker, awaits `beforeClose`, then closes the app's server (kept-alive connections too) and the dev server.
 */
export async function startStackWithApp(
  name: string,
  settings: Record<string, string>,
  appFor: (config: AppConfig, env: TestWorkflowEnvironment, client: Client) => Express,
  beforeClose: () => Promise<void> = async () => undefined,
): Promise<AppStack> {
  const { env, config, client, port } = await stackConfig(name, settings);
  const app = appFor(config, env, client);
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
    listening.once('error', reject);
  });
  const worker = await runWorker(config, env);
  return {
    env,
    config,
    client,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      await worker.stop();
      await beforeClose();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await env.teardown();
    },
  };
}
