import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../../src/api/app';
import { apiRouters } from '../../../src/composition/api';
import { createGateways } from '../../../src/composition/gateways';
import { parseConfig } from '../../../src/config';
import { productionEnv, sandboxEnv } from '../../helpers/config';
import { nonLoopbackAddress } from '../../helpers/ports';
import { logger } from '../../../src/log';

const quiet = logger.child({}, { level: 'silent' });
// Never connected: these routes answer without Temporal.
const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });

function appFor(env: Record<string, string>) {
  const config = parseConfig(env);
  return createApp({
    logger: quiet,
    readiness: async () => ({ ready: false, temporal: 'unreachable', worker: 'unknown' }),
    routers: apiRouters(config, createGateways(config, client), quiet),
  });
}

const production = productionEnv();

describe('which routes are served', () => {
  test('outside sandbox mode no sandbox listing (texts, patient replies) is reachable', async () => {
    const app = appFor(production);
    for (const path of ['/v1/sandbox/messages', '/v1/sandbox/ehr-callbacks']) {
      await request(app).get(path).expect(404);
    }
    await request(app).post('/v1/sandbox/inbound').send({ from: '+13035550123', body: 'yes' }).expect(404);
    // With Twilio configured every sandbox route is gone, the emulations and the administrator's phone too.
    for (const path of [
      '/sandbox/administrator-phone',
      `/sandbox/twilio/2010-04-01/Accounts/AC${'0'.repeat(32)}/Messages.json`,
      '/sandbox/twilio/v2/Services/VA00000000000000000000000000000000/Verifications',
    ]) {
      await request(app).get(path).expect(404);
    }
    await request(app).post('/sandbox/ehr-callbacks').send({}).expect(404);
  });

  test('in sandbox mode the sandbox listings are served', async () => {
    const app = appFor(sandboxEnv({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'routes-')) }));
    await request(app).get('/v1/sandbox/messages').expect(200);
    await request(app).get('/v1/sandbox/ehr-callbacks').expect(200);
  });

  test('sandbox routes answer only this machine: from another address they are not there (404)', async () => {
    const app = appFor(
      sandboxEnv({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'routes-')), API_HOST: '0.0.0.0' }),
    );
    const address = nonLoopbackAddress();
    const server = app.listen(0, '0.0.0.0');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const from = (host: string) => `http://${host}:${port}`;
      const sandboxPaths = [
        ['GET', '/v1/sandbox/messages'],
        ['GET', '/v1/sandbox/ehr-callbacks'],
        ['POST', '/v1/sandbox/inbound'],
        ['POST', '/sandbox/ehr-callbacks'],
        ['GET', '/sandbox/administrator-phone'],
        ['GET', `/sandbox/twilio/2010-04-01/Accounts/AC${'0'.repeat(32)}/Messages.json`],
      ] as const;
      for (const [method, route] of sandboxPaths) {
        const remote = await fetch(`${from(address)}${route}`, { method });
        expect([route, remote.status]).toEqual([route, 404]);
        // The same request from loopback reaches the route (200 listings, 400/401 for an empty or unsigned post).
        const local = await fetch(`${from('127.0.0.1')}${route}`, { method });
        expect([route, local.status]).not.toEqual([route, 404]);
      }
      // Everything else answers from any address.
      expect((await fetch(`${from(address)}/healthz`)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  test('the OpenAPI document and the console sign-in are served; the console itself needs a session', async () => {
    const app = appFor(production);
    await request(app).get('/openapi.json').expect(200);
    await request(app).get('/admin/sign-in').expect(200);
    await request(app).get('/admin').expect(303).expect('Location', '/admin/sign-in');
  });
});

describe('bad input never costs a 5xx or a read of an anonymous body', () => {
  const sandbox = (): ReturnType<typeof appFor> =>
    appFor(sandboxEnv({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'routes-')) }));

  test('an unauthenticated event is refused before its body is read (401, not 413 for a large one)', async () => {
    const large = JSON.stringify({ padding: 'x'.repeat(1_000_000) });
    await request(sandbox())
      .post('/v1/ehr/events')
      .set('Content-Type', 'application/json')
      .send(large)
      .expect(401);
  });

  test('an authenticated event over the body limit is 413', async () => {
    const large = JSON.stringify({ padding: 'x'.repeat(1_000_000) });
    await request(sandbox())
      .post('/v1/ehr/events')
      .set('Authorization', 'Bearer sandbox-key')
      .set('Content-Type', 'application/json')
      .send(large)
      .expect(413);
  });

  test('deeply nested JSON gets a 400 from JSON and FHIR ingress', async () => {
    const depth = 50_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const app = sandbox();
    const json = await request(app)
      .post('/v1/ehr/events')
      .set('Authorization', 'Bearer sandbox-key')
      .set('Content-Type', 'application/json')
      .send(`{"event_type":"BOOKED","patient_first_name":${nested}}`);
    expect(json.status).toBe(400);
    const fhir = await request(app)
      .post('/v1/ehr/fhir')
      .set('Authorization', 'Bearer sandbox-key')
      .set('Content-Type', 'application/fhir+json')
      .send(`{"resourceType":"Appointment","contained":${nested}}`);
    expect(fhir.status).toBe(400);
  });
});
