/**
 * A Temporal Cloud-style connection (issue 11.4): TLS with the server's CA and name, and an API key,
 * by Temporal's own environment-configuration names. Debian's nginx terminates TLS in front of the
 * dev server and lets only calls with the API key through; the API, the worker and the activities'
 * client all connect through it and a booking is texted end to end.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { parseConfig, type AppConfig } from '../../src/config';
import { startApi, type ApiServer } from '../../src/apiServer';
import { connectWithRetry, connectWorkerWithRetry } from '../../src/temporal/connection';
import { describeConnection, temporalConnectionOptions } from '../../src/temporal/connectionOptions';
import { createWorker } from '../../src/worker';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/processes';
import { devServerEnv, uniqueTaskQueue } from '../helpers/temporal';
import { startTlsProxy, type TlsProxy } from '../helpers/tlsProxy';
import { sandboxEnv } from '../helpers/config';

jest.setTimeout(120_000);

/** grpc.status.UNAUTHENTICATED (as src/ingest/appointmentGateway.ts names gRPC codes). */
const GRPC_UNAUTHENTICATED = 16;
const API_KEY = 'tls-test-api-key-0123456789abcdef';
let env: TestWorkflowEnvironment;
let proxy: TlsProxy;
let config: AppConfig;

beforeAll(async () => {
  env = await devServerEnv();
  proxy = await startTlsProxy(env.address, API_KEY);
  config = parseConfig({
    ...sandboxEnv(),
    PORT: String(await freePort()),
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'tls-')),
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_API_KEY: API_KEY,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: proxy.caPath,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('tls'),
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await proxy?.stop();
  await env?.teardown();
});

describe('Temporal over TLS with an API key', () => {
  test('the configuration turns into TLS with the CA and server name, and the API key', () => {
    const options = temporalConnectionOptions(config);
    expect(describeConnection(options)).toEqual({ address: proxy.address, tls: true, apiKey: true });
    expect(options.tls).toMatchObject({ serverNameOverride: 'localhost' });
  });

  test('without the API key, or without TLS, the endpoint refuses', async () => {
    const tls = temporalConnectionOptions(config).tls;
    const noKey = Connection.connect({ address: proxy.address, tls, connectTimeout: 5_000 }).then((c) =>
      c.workflowService.getSystemInfo({}),
    );
    // nginx's 401 reaches the client as gRPC UNAUTHENTICATED: the key is what was missing.
    await expect(noKey).rejects.toMatchObject({ cause: { code: GRPC_UNAUTHENTICATED } });
    // The same TLS settings with the key get through.
    const withKey = await Connection.connect({
      address: proxy.address,
      tls,
      apiKey: API_KEY,
      connectTimeout: 5_000,
    });
    await expect(withKey.workflowService.getSystemInfo({})).resolves.toBeDefined();
    await withKey.close();
    const plaintext = Connection.connect({
      address: proxy.address,
      apiKey: API_KEY,
      connectTimeout: 5_000,
    }).then((c) => c.workflowService.getSystemInfo({}));
    await expect(plaintext).rejects.toThrow();
  });

  test('API, worker and activities connect through it: a booking is texted', async () => {
    const connection = await connectWithRetry(temporalConnectionOptions(config), { timeoutMs: 20_000 });
    const api: ApiServer = await startApi(config, new Client({ connection }));
    const workerConnection = await connectWorkerWithRetry(temporalConnectionOptions(config), 20_000);
    const worker = await createWorker(config, workerConnection);
    const base = `http://127.0.0.1:${config.env.PORT}`;
    try {
      await worker.runUntil(async () => {
        const start = DateTime.now().setZone('America/Denver').plus({ days: 3 }).set({ hour: 9, minute: 0 });
        const posted = await fetch(`${base}/v1/ehr/events`, {
          method: 'POST',
          headers: { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/json' },
          body: JSON.stringify({
            event_type: 'BOOKED',
            appointment_id: `TLS-${Date.now()}`,
            appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
            appointment_timezone: 'America/Denver',
            patient_id: 'P-TLS',
            patient_phone: '+13035550177',
          }),
        });
        expect(posted.status).toBe(202);
        const texts = await waitFor(async () => {
          const res = await fetch(`${base}/v1/sandbox/messages`);
          const list = (await res.json()) as Array<{ to: string }>;
          return list.some((m) => m.to === '+13035550177') ? list : undefined;
        });
        expect(texts.length).toBeGreaterThan(0);
      });
    } finally {
      await api.close();
      await workerConnection.close();
      await connection.close();
    }
  });
});
