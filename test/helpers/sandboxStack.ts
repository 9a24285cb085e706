/**
 * The service as `npm start` runs it, on a dev server of its own: the API (sandbox Twilio and EHR
 * receiver included) and a worker in this process, clients through the configured data converter.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
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
  api: ApiServer;
  /** http://127.0.0.1:<port> of the API. */
  base: string;
  stop(): Promise<void>;
}

/** `settings` are environment variables on top of the port, Temporal address, data folder and task queue. */
export async function startSandboxStack(
  name: string,
  settings: Record<string, string> = {},
): Promise<SandboxStack> {
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
  const api = await startApi(
    config,
    new Client({ connection: env.connection, dataConverter: dataConverterOf(config) }),
  );
  const worker = await createWorker(config, env.nativeConnection);
  const workerRun = worker.run();
  return {
    env,
    config,
    api,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      worker.shutdown();
      await workerRun;
      await api.close();
      await env.teardown();
    },
  };
}
