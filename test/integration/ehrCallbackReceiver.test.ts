/**
 * The sandbox EHR callback receiver over HTTP: signature verification, the contract's checks, de-duplication by
 * Idempotency-Key, the GET /v1/sandbox/ehr-callbacks listing and persistence under DATA_DIR. Mounted alone (it sees
 * the raw bytes) and inside the API app (after its JSON body parser), as the server mounts it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { signBody, type EhrCallbackBody } from '../../src/activities/ehrCallback';
import { createApp } from '../../src/api/app';
import { logger } from '../../src/log';
import {
  SANDBOX_EHR_CALLBACK_PATH,
  SANDBOX_EHR_CALLBACK_SECRET,
  sandboxEhrCallbackUrl,
} from '../../src/activities/ehrCallback';
import {
  EhrCallbackStore,
  SANDBOX_EHR_CALLBACKS_FILE,
  createEhrCallbackReceiverRouter,
} from '../../src/sandbox/ehrCallbackReceiver';

const quiet = logger.child({}, { level: 'silent' });
const SECRET = SANDBOX_EHR_CALLBACK_SECRET;

let dataDir: string;
let store: EhrCallbackStore;

function body(overrides: Partial<EhrCallbackBody> = {}): EhrCallbackBody {
  return {
    event_type: 'CONFIRM',
    appointment_id: 'A100',
    patient_id: 'P1',
    provider_id: 'DR-7',
    event_datetime_utc: '2026-12-01T15:04:05.000Z',
    reply_text: 'Sí',
    ...overrides,
  };
}

/** The receiver alone: it reads the raw bytes itself. */
function standaloneApp(receiverStore = store): Express {
  const app = express();
  app.use(createEhrCallbackReceiverRouter(receiverStore, { secret: SECRET, logger: quiet }));
  return app;
}

/** The receiver as the API server mounts it: a feature router behind createApp's JSON body parser. */
function apiApp(receiverStore = store): Express {
  return createApp({
    logger: quiet,
    readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
    routers: [createEhrCallbackReceiverRouter(receiverStore, { secret: SECRET, logger: quiet })],
  });
}

function post(
  app: Express,
  key: string | undefined,
  payload: string,
  /** null: no X-Signature header. */
  signature: string | null = signBody(payload, SECRET),
  contentType = 'application/json',
) {
  const req = request(app).post(SANDBOX_EHR_CALLBACK_PATH).set('Content-Type', contentType);
  if (key !== undefined) req.set('Idempotency-Key', key);
  if (signature !== null) req.set('X-Signature', signature);
  return req.send(payload);
}

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ehr-callback-receiver-'));
  store = EhrCallbackStore.inDataDir(dataDir);
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe.each([
  ['mounted alone', standaloneApp],
  ['inside the API app', apiApp],
])('the sandbox EHR receiver %s', (_where, makeApp) => {
  test('stores a signed callback and lists it with its headers and body', async () => {
    const app = makeApp();
    const payload = JSON.stringify(body());
    const before = Date.now();

    const answer = await post(app, 'A100:SM1:CONFIRM', payload);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true, duplicate: false });
    const listed = await request(app).get('/v1/sandbox/ehr-callbacks');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      {
        receivedAt: expect.any(String),
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'A100:SM1:CONFIRM',
          'x-signature': signBody(payload, SECRET),
        },
        body: body(),
      },
    ]);
    expect(
      Date.parse((listed.body as Array<{ receivedAt: string }>)[0]?.receivedAt ?? ''),
    ).toBeGreaterThanOrEqual(before - 1);
  });

  test('refuses a bad, foreign or missing signature with 401 and stores nothing', async () => {
    const app = makeApp();
    const payload = JSON.stringify(body());
    const tampered = JSON.stringify(body({ event_type: 'CANCEL' }));

    expect((await post(app, 'k1', payload, signBody(payload, 'another-secret'))).status).toBe(401);
    expect((await post(app, 'k2', tampered, signBody(payload, SECRET))).status).toBe(401);
    expect((await post(app, 'k3', payload, 'sha256=not-hex')).status).toBe(401);
    const missing = await post(app, 'k4', payload, null);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      error: { code: 'invalid_signature', message: 'X-Signature does not match the body' },
    });
    expect(await store.list()).toEqual([]);
  });

  test('keeps each Idempotency-Key once: a redelivery is acknowledged as a duplicate', async () => {
    const app = makeApp();
    const payload = JSON.stringify(body());
    await post(app, 'A100:SM1:CONFIRM', payload);
    const [first] = await store.list();

    const again = await post(app, 'A100:SM1:CONFIRM', payload);

    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ok: true, duplicate: true });
    expect(await store.list()).toEqual([first]);
  });

  test('refuses the same Idempotency-Key with a different body (422) and keeps the first', async () => {
    const app = makeApp();
    await post(app, 'A100:SM1:CONFIRM', JSON.stringify(body()));
    const [first] = await store.list();

    const reused = await post(app, 'A100:SM1:CONFIRM', JSON.stringify(body({ reply_text: 'YES' })));

    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ error: { code: 'idempotency_key_reused' } });
    expect(await store.list()).toEqual([first]);
  });

  test('lists callbacks oldest first', async () => {
    const app = makeApp();
    for (const id of ['A1', 'A2', 'A3']) {
      await post(app, `${id}:SM:CONFIRM`, JSON.stringify(body({ appointment_id: id })));
    }
    const listed = await request(app).get('/v1/sandbox/ehr-callbacks');
    const rows = listed.body as Array<{ receivedAt: string; body: EhrCallbackBody }>;
    expect(rows.map((row) => row.body.appointment_id)).toEqual(['A1', 'A2', 'A3']);
    const times = rows.map((row) => Date.parse(row.receivedAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  test('names every field that breaks the callback contract', async () => {
    const app = makeApp();
    const payload = JSON.stringify({
      ...body(),
      event_type: 'CONFIRMED',
      appointment_id: '',
      event_datetime_utc: '2026-12-01 15:04',
    });
    const answer = await post(app, 'bad-body', payload);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'invalid_callback' } });
    const fields = (answer.body as { error: { details: Array<{ field: string }> } }).error.details.map(
      (detail) => detail.field,
    );
    expect(fields.sort()).toEqual(['appointment_id', 'event_datetime_utc', 'event_type']);
    expect(await store.list()).toEqual([]);
  });

  test('requires an Idempotency-Key and a JSON content type', async () => {
    const app = makeApp();
    const payload = JSON.stringify(body());
    const noKey = await post(app, undefined, payload);
    expect(noKey.status).toBe(400);
    expect(noKey.body).toMatchObject({ error: { code: 'invalid_idempotency_key' } });
    expect((await post(app, 'k', payload, signBody(payload, SECRET), 'text/plain')).status).toBe(415);
    expect(await store.list()).toEqual([]);
  });
});

describe('the sandbox EHR receiver', () => {
  test('verifies the exact bytes it received, whatever their formatting', async () => {
    const pretty = JSON.stringify(body(), null, 2);
    const answer = await post(standaloneApp(), 'pretty', pretty);
    expect(answer.status).toBe(200);
    expect((await store.list())[0]?.body).toEqual(body());
  });

  test('stores one callback when the same delivery arrives several times at once', async () => {
    const app = standaloneApp();
    const payload = JSON.stringify(body());
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => post(app, 'A100:SM1:CONFIRM', payload)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((answer) => (answer.body as { duplicate: boolean }).duplicate)).toHaveLength(4);
    expect(await store.list()).toHaveLength(1);
  });

  test('persists callbacks as JSON lines under DATA_DIR/sandbox, across store instances and restarts', async () => {
    const payload = JSON.stringify(body());
    await post(standaloneApp(), 'A100:SM1:CONFIRM', payload);

    const file = path.join(dataDir, 'sandbox', SANDBOX_EHR_CALLBACKS_FILE);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ type: 'callback', body: body() });

    const reopened = EhrCallbackStore.inDataDir(dataDir);
    expect(await reopened.list()).toEqual(await store.list());
    // A restarted API still recognises the redelivery.
    const again = await post(apiApp(reopened), 'A100:SM1:CONFIRM', payload);
    expect(again.body).toEqual({ ok: true, duplicate: true });
    expect((await request(apiApp(reopened)).get('/v1/sandbox/ehr-callbacks')).body).toHaveLength(1);
  });

  test('an empty store lists nothing', async () => {
    const listed = await request(standaloneApp()).get('/v1/sandbox/ehr-callbacks');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
  });

  test('the sandbox callback URL is the API origin plus the receiver path', () => {
    expect(sandboxEhrCallbackUrl('http://127.0.0.1:3000')).toBe(
      'http://127.0.0.1:3000/sandbox/ehr-callbacks',
    );
    expect(sandboxEhrCallbackUrl('http://127.0.0.1:3000/')).toBe(
      'http://127.0.0.1:3000/sandbox/ehr-callbacks',
    );
  });
});
