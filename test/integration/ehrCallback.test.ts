/**
 * The notifyEhr activity in Temporal's activity test environment, posting over HTTP to a real local server whose
 * answers each test scripts (503s, Retry-After, 4xx, a hang) before the sandbox EHR receiver takes the request:
 * signing, one Idempotency-Key across attempts, failure classification and Retry-After as nextRetryDelay.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import express, { type Response } from 'express';
import pino from 'pino';
import {
  EHR_CALLBACK_MAX_RETRY_AFTER_MS,
  EHR_CALLBACK_REJECTED,
  EHR_CALLBACK_RETRY,
  EHR_CALLBACK_UNAVAILABLE,
  createEhrCallbackActivities,
  parseRetryAfter,
  SIGNATURE_REPLAY_WINDOW_SECONDS,
  signBody,
  signTimestamped,
  verifySignature,
  verifyTimestampedSignature,
  type EhrCallbackActivityDeps,
  type EhrCallbackInput,
  type EhrCallbackResult,
} from '../../src/activities/ehrCallback';
import { EhrCallbackStore, createEhrCallbackReceiverRouter } from '../../src/sandbox/ehrCallbackReceiver';
import { failureOf } from '../helpers/failures';
import { freePort } from '../helpers/ports';

const SECRET = 'test-callback-secret';
const EHR_PATH = '/ehr/callbacks';

interface SeenRequest {
  idempotencyKey: string | undefined;
  signature: string | undefined;
  timestamp: string | undefined;
  timestampSignature: string | undefined;
  contentType: string | undefined;
  raw: Buffer;
}

/** What the scripted server does with the next request: answer itself, hang, or hand it to the sandbox receiver. */
type Step =
  | { status: number; headers?: Record<string, string> }
  | 'hang'
  | 'receiver'
  | { redirectTo: string; status: 307 | 308 };

let dataDir: string;
let store: EhrCallbackStore;
let server: Server;
let origin: string;
let url: string;
const seen: SeenRequest[] = [];
let script: Step[] = [];
let redirectTargetHits = 0;
const hung: Response[] = [];

const logLines: string[] = [];
const capturingLogger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
/** The SDK logs every failed activity at WARN; these tests provoke failures on purpose. */
const sdkLogger = new DefaultLogger('ERROR');

let keyCounter = 0;
function callbackInput(overrides: Partial<EhrCallbackInput['body']> = {}): EhrCallbackInput {
  keyCounter += 1;
  return {
    idempotencyKey: `A${keyCounter}:SM${String(keyCounter).padStart(32, '0')}:CONFIRM`,
    body: {
      event_type: 'CONFIRM',
      appointment_id: `A${keyCounter}`,
      patient_id: 'PAT-4417',
      provider_id: 'DR-7',
      event_datetime_utc: '2026-12-01T15:04:05.000Z',
      // Non-ASCII on purpose: the signature covers UTF-8 bytes, not UTF-16 code units.
      reply_text: 'Sí ✓ yes',
      ...overrides,
    },
  };
}

function activities(overrides: Partial<EhrCallbackActivityDeps> = {}) {
  return createEhrCallbackActivities({ url, secret: SECRET, logger: capturingLogger, ...overrides });
}

/** Runs notifyEhr as Temporal would run attempt `attempt` of one activity execution. */
function runAttempt(
  notifyEhr: ReturnType<typeof activities>['notifyEhr'],
  input: EhrCallbackInput,
  attempt = 1,
): Promise<EhrCallbackResult> {
  const env = new MockActivityEnvironment({ attempt }, { logger: sdkLogger });
  return env.run(notifyEhr, input);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ehr-callback-'));
  store = EhrCallbackStore.inDataDir(dataDir);
  const app = express();
  app.post(EHR_PATH, express.raw({ type: () => true }), (req, res, next) => {
    seen.push({
      idempotencyKey: req.get('idempotency-key'),
      signature: req.get('x-signature'),
      timestamp: req.get('x-signature-timestamp'),
      timestampSignature: req.get('x-timestamp-signature'),
      contentType: req.get('content-type'),
      raw: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    });
    const step = script.shift() ?? 'receiver';
    if (step === 'receiver') return next();
    if (step === 'hang') return void hung.push(res);
    if ('redirectTo' in step) return void res.redirect(step.status, step.redirectTo);
    res
      .status(step.status)
      .set(step.headers ?? {})
      .json({ error: 'scripted' });
  });
  app.post('/elsewhere', (_req, res) => {
    redirectTargetHits += 1;
    res.status(200).json({ ok: true });
  });
  app.use(
    createEhrCallbackReceiverRouter(store, {
      secret: SECRET,
      path: EHR_PATH,
      logger: capturingLogger.child({}, { level: 'silent' }),
    }),
  );
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  url = `${origin}${EHR_PATH}`;
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
});

beforeEach(() => {
  seen.length = 0;
  script = [];
  logLines.length = 0;
});

afterAll(async () => {
  for (const res of hung) res.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('notifyEhr delivers a signed callback', () => {
  test('a 2xx answer completes on the first attempt with the contract headers and body', async () => {
    const input = callbackInput();
    const result = await runAttempt(activities().notifyEhr, input);

    expect(result).toEqual({ status: 200, attempts: 1 });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.contentType).toBe('application/json');
    expect(request?.idempotencyKey).toBe(input.idempotencyKey);
    expect(request?.raw.toString('utf8')).toBe(JSON.stringify(input.body));
    expect(request?.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(request?.raw ?? Buffer.alloc(0), request?.signature, SECRET)).toBe(true);

    const stored = (await store.list()).filter((c) => c.headers['idempotency-key'] === input.idempotencyKey);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.body).toEqual(input.body);
  });

  test('a callback without provider_id leaves the field out', async () => {
    const { provider_id: _omit, ...body } = callbackInput().body;
    const input: EhrCallbackInput = { idempotencyKey: `no-provider-${keyCounter}`, body };
    await runAttempt(activities().notifyEhr, input);
    expect(JSON.parse(seen[0]?.raw.toString('utf8') ?? '{}')).not.toHaveProperty('provider_id');
  });

  test('an EHR down for three attempts gets the same key and signed body four times and stores one callback', async () => {
    const input = callbackInput({ event_type: 'CANCEL', reply_text: '2' });
    script = [{ status: 503 }, { status: 503 }, { status: 503 }];
    const { notifyEhr } = activities();

    for (const attempt of [1, 2, 3]) {
      const failure = await failureOf(runAttempt(notifyEhr, input, attempt));
      expect(failure).toMatchObject({ type: EHR_CALLBACK_UNAVAILABLE, nonRetryable: false });
      expect(failure.message).toBe('EHR is unavailable for the callback (HTTP 503)');
      expect(failure.nextRetryDelay).toBeUndefined();
    }
    const result = await runAttempt(notifyEhr, input, 4);

    expect(result).toEqual({ status: 200, attempts: 4 });
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((request) => request.idempotencyKey))).toEqual(new Set([input.idempotencyKey]));
    expect(new Set(seen.map((request) => request.raw.toString('hex'))).size).toBe(1);
    for (const request of seen) expect(verifySignature(request.raw, request.signature, SECRET)).toBe(true);
    const stored = (await store.list()).filter((c) => c.headers['idempotency-key'] === input.idempotencyKey);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.body).toMatchObject({ event_type: 'CANCEL', reply_text: '2' });
  });

  test('a redelivery after a lost acknowledgement is acknowledged again and still stored once', async () => {
    const input = callbackInput();
    const { notifyEhr } = activities();
    await runAttempt(notifyEhr, input, 1);
    // The worker crashed before reporting completion: Temporal runs the activity again.
    await expect(runAttempt(notifyEhr, input, 2)).resolves.toEqual({ status: 200, attempts: 2 });
    const stored = (await store.list()).filter((c) => c.headers['idempotency-key'] === input.idempotencyKey);
    expect(stored).toHaveLength(1);
  });
});

describe('notifyEhr failure classification', () => {
  test('Retry-After in seconds becomes the failure nextRetryDelay', async () => {
    script = [{ status: 503, headers: { 'Retry-After': '120' } }];
    const failure = await failureOf(runAttempt(activities().notifyEhr, callbackInput()));
    expect(failure).toMatchObject({ type: EHR_CALLBACK_UNAVAILABLE, nonRetryable: false });
    expect(failure.nextRetryDelay).toBe(120_000);
    expect(failure.details).toEqual([{ status: 503, retryAfterMs: 120_000 }]);
  });

  test('Retry-After as an HTTP-date waits until that date', async () => {
    const retryAt = new Date(Date.now() + 90_000).toUTCString();
    script = [{ status: 429, headers: { 'Retry-After': retryAt } }];
    const failure = await failureOf(runAttempt(activities().notifyEhr, callbackInput()));
    expect(failure).toMatchObject({ type: EHR_CALLBACK_UNAVAILABLE, nonRetryable: false });
    expect(typeof failure.nextRetryDelay).toBe('number');
    // Both Retry-After and the response's Date header have one-second resolution.
    expect(failure.nextRetryDelay).toBeGreaterThanOrEqual(88_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(91_000);
  });

  test('a Retry-After of days is capped so replies are not parked unseen', async () => {
    script = [{ status: 503, headers: { 'Retry-After': String(3 * 24 * 3600) } }];
    const failure = await failureOf(runAttempt(activities().notifyEhr, callbackInput()));
    expect(failure.nextRetryDelay).toBe(EHR_CALLBACK_MAX_RETRY_AFTER_MS);
  });

  test('an unreadable Retry-After falls back to the retry policy backoff', async () => {
    script = [{ status: 503, headers: { 'Retry-After': 'soon' } }];
    const failure = await failureOf(runAttempt(activities().notifyEhr, callbackInput()));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  test.each([400, 401, 403, 404, 409, 410, 413, 422])(
    'HTTP %i is a permanent, non-retryable EhrCallbackRejected',
    async (status) => {
      script = [{ status, headers: { 'Retry-After': '60' } }];
      const failure = await failureOf(runAttempt(activities().notifyEhr, callbackInput()));
      expect(failure).toMatchObject({
        type: EHR_CALLBACK_REJECTED,
        nonRetryable: true,
        message: `EHR rejected the callback with HTTP ${status}`,
        details: [{ status }],
      });
      expect(failure.nextRetryDelay).toBeUndefined();
    },
  );

  test.each([408, 429, 500, 502, 503, 504])('HTTP %i is retryable', async (status) => {
    script = [{ status }];
    const failure = await failureOf(runAttempt(activities().notifyEhr, callbackInput()));
    expect(failure).toMatchObject({
      type: EHR_CALLBACK_UNAVAILABLE,
      nonRetryable: false,
      details: [{ status }],
    });
  });

  test('a request the EHR does not answer in time is retryable', async () => {
    script = ['hang'];
    const startedAt = Date.now();
    const failure = await failureOf(runAttempt(activities({ timeoutMs: 300 }).notifyEhr, callbackInput()));
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(failure).toMatchObject({
      type: EHR_CALLBACK_UNAVAILABLE,
      nonRetryable: false,
      message: 'EHR callback got no answer (timeout after 300 ms)',
    });
  });

  test('an EHR that refuses connections is retryable', async () => {
    const closedPort = await freePort();
    const failure = await failureOf(
      runAttempt(activities({ url: `http://127.0.0.1:${closedPort}${EHR_PATH}` }).notifyEhr, callbackInput()),
    );
    expect(failure).toMatchObject({
      type: EHR_CALLBACK_UNAVAILABLE,
      nonRetryable: false,
      message: 'EHR callback got no answer (ECONNREFUSED)',
    });
  });

  test('a redirect is not followed (the signed body stays at the configured address) and is retried', async () => {
    script = [{ status: 307, redirectTo: `${origin}/elsewhere` }];
    const hitsBefore = redirectTargetHits;
    const failure = await failureOf(runAttempt(activities().notifyEhr, callbackInput()));
    expect(failure).toMatchObject({ type: EHR_CALLBACK_UNAVAILABLE, nonRetryable: false });
    expect(failure.message).toBe('EHR redirected the callback (HTTP 307)');
    expect(redirectTargetHits).toBe(hitsBefore);
  });

  test('each attempt signs its time too; the receiver refuses a captured request replayed later', async () => {
    const input = callbackInput();
    await runAttempt(activities().notifyEhr, input);
    const [request] = seen;
    const raw = request?.raw ?? Buffer.alloc(0);
    expect(Math.abs(Number(request?.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(verifyTimestampedSignature(raw, request?.timestamp, request?.timestampSignature, SECRET)).toBe(
      true,
    );
    // The same bytes and headers, six minutes later: outside the replay window.
    const later = Date.now() + (SIGNATURE_REPLAY_WINDOW_SECONDS + 60) * 1000;
    expect(
      verifyTimestampedSignature(raw, request?.timestamp, request?.timestampSignature, SECRET, later),
    ).toBe(false);
    // A body or time changed by a third party does not verify.
    expect(
      verifyTimestampedSignature(
        Buffer.from(`${raw.toString()} `),
        request?.timestamp,
        request?.timestampSignature,
        SECRET,
      ),
    ).toBe(false);
    const stale = String(Math.floor(Date.now() / 1000) - SIGNATURE_REPLAY_WINDOW_SECONDS - 60);
    const replay = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': `${input.idempotencyKey}-replayed`,
        'X-Signature': signBody(raw, SECRET),
        'X-Signature-Timestamp': stale,
        'X-Timestamp-Signature': signTimestamped(raw, Number(stale), SECRET),
      },
      body: raw,
    });
    expect(replay.status).toBe(401);
  });

  test('the sandbox receiver refuses a callback signed with another secret, permanently', async () => {
    const failure = await failureOf(
      runAttempt(activities({ secret: 'not-the-ehr-secret' }).notifyEhr, callbackInput()),
    );
    expect(failure).toMatchObject({
      type: EHR_CALLBACK_REJECTED,
      nonRetryable: true,
      details: [{ status: 401 }],
    });
  });

  test('reusing a key with a different body is refused by the receiver (an idempotency bug shows up)', async () => {
    const first = callbackInput();
    await runAttempt(activities().notifyEhr, first);
    const changed: EhrCallbackInput = { ...first, body: { ...first.body, reply_text: 'YES' } };
    const failure = await failureOf(runAttempt(activities().notifyEhr, changed));
    expect(failure).toMatchObject({ type: EHR_CALLBACK_REJECTED, details: [{ status: 422 }] });
  });

  test('a cancelled activity stops waiting and reports the cancellation, not a failed delivery', async () => {
    script = ['hang'];
    const env = new MockActivityEnvironment({ attempt: 1 }, { logger: sdkLogger });
    const running = env.run(activities().notifyEhr, callbackInput());
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
  });
});

describe('logs', () => {
  test('name the appointment, key, status and attempt, never the reply or the body', async () => {
    const input = callbackInput({ reply_text: 'Yes please, Dr Secretname' });
    script = [{ status: 503 }];
    const { notifyEhr } = activities();
    await failureOf(runAttempt(notifyEhr, input, 1));
    await runAttempt(notifyEhr, input, 2);

    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({
        appointmentId: input.body.appointment_id,
        idempotencyKey: input.idempotencyKey,
        status: 503,
        attempt: 1,
        retryable: true,
      }),
      expect.objectContaining({
        appointmentId: input.body.appointment_id,
        idempotencyKey: input.idempotencyKey,
        status: 200,
        attempt: 2,
      }),
    ]);
    const logged = logLines.join('');
    expect(logged).not.toContain('Secretname');
    expect(logged).not.toContain('PAT-4417');
    expect(logged).not.toContain('sha256=');
  });
});

describe('signatures', () => {
  const body = JSON.stringify(callbackInput().body);

  test('verifySignature accepts the signature of the same bytes and secret', () => {
    const header = signBody(body, SECRET);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(body, header, SECRET)).toBe(true);
    expect(verifySignature(Buffer.from(body, 'utf8'), header, SECRET)).toBe(true);
    expect(verifySignature(body, header.toUpperCase().replace('SHA256=', 'sha256='), SECRET)).toBe(true);
  });

  test('verifySignature refuses another secret, altered bytes and malformed headers', () => {
    const header = signBody(body, SECRET);
    expect(verifySignature(body, header, 'wrong-secret')).toBe(false);
    expect(verifySignature(`${body} `, header, SECRET)).toBe(false);
    expect(verifySignature(body.replace('CONFIRM', 'CANCEL'), header, SECRET)).toBe(false);
    expect(verifySignature(body, undefined, SECRET)).toBe(false);
    expect(verifySignature(body, header.slice('sha256='.length), SECRET)).toBe(false);
    expect(verifySignature(body, header.slice(0, -2), SECRET)).toBe(false);
    expect(verifySignature(body, `sha1=${header.slice(7)}`, SECRET)).toBe(false);
  });

  test('matches an HMAC-SHA256 computed independently (what an EHR implementer would write)', () => {
    // printf %s 'The quick brown fox jumps over the lazy dog' | openssl dgst -sha256 -hmac key
    expect(signBody('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });
});

describe('Retry-After parsing and the retry policy', () => {
  const now = Date.parse('2026-12-01T15:00:00Z');

  test('reads delay-seconds and HTTP-dates, against the server Date when given', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 15:02:00 GMT', now)).toBe(120_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 15:02:00 GMT', now, 'Tue, 01 Dec 2026 15:01:30 GMT')).toBe(
      30_000,
    );
    expect(parseRetryAfter('Tue, 01 Dec 2026 14:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('later', now)).toBeUndefined();
  });

  test('the recommended policy retries until acknowledged, with backoff capped at 10 minutes', () => {
    expect(EHR_CALLBACK_RETRY).toEqual({
      initialInterval: '5s',
      backoffCoefficient: 2,
      maximumInterval: '10m',
      nonRetryableErrorTypes: [EHR_CALLBACK_REJECTED],
    });
    expect(EHR_CALLBACK_RETRY.maximumAttempts).toBeUndefined();
  });
});
