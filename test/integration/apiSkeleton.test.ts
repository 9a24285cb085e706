import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import express from 'express';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { temporalReadiness } from '../../src/api/readiness';
import { logger } from '../../src/log';
import { bundleWorkflows, devServerEnv, uniqueTaskQueue } from '../helpers/temporal';
import { freePort } from '../helpers/ports';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(() => env?.teardown());

const quiet = logger.child({}, { level: 'silent' });

describe('API skeleton', () => {
  test('GET /healthz answers while the process is up', async () => {
    const app = createApp({
      logger: quiet,
      readiness: temporalReadiness(env.client, 'default', uniqueTaskQueue('h')),
    });
    await request(app).get('/healthz').expect(200, { status: 'ok' });
  });

  test('GET /readyz is 503 until a worker polls the task queue, then 200', async () => {
    const taskQueue = uniqueTaskQueue('ready');
    const app = createApp({ logger: quiet, readiness: temporalReadiness(env.client, 'default', taskQueue) });
    const before = await request(app).get('/readyz').expect(503);
    expect(before.body).toMatchObject({ ready: false, temporal: 'reachable', worker: 'not-polling' });

    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflows(require.resolve('../fixtures/workflows')),
    });
    await worker.runUntil(async () => {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await request(app).get('/readyz')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    });
  });

  test('GET /readyz is 503 with temporal unreachable when the server is down', async () => {
    const { Connection, Client } = await import('@temporalio/client');
    // Nothing listens there: the server is down.
    const client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    const app = createApp({ logger: quiet, readiness: temporalReadiness(client, 'default', 'q') });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body).toMatchObject({ ready: false, temporal: 'unreachable' });
  });

  test('unknown routes, bad JSON and oversized bodies get JSON errors', async () => {
    const router = express.Router().post('/echo', (req, res) => {
      res.json(req.body);
    });
    const app = createApp({
      logger: quiet,
      readiness: temporalReadiness(env.client, 'default', 'q'),
      routers: [router],
    });
    const missing = await request(app).get('/nope').expect(404);
    expect(missing.body.error.code).toBe('not_found');
    const bad = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const big = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(300 * 1024) }))
      .expect(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });
});
