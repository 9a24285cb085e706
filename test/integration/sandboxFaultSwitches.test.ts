/**
 * The sandbox's fault switches (`/v1/sandbox/faults/twilio`, `/v1/sandbox/faults/ehr-callbacks`) over HTTP, seen by
 * the activities that meet them in a fault: `sendSms` through the real `twilio` SDK and `notifyEhr`, each in
 * Temporal's activity test environment. No mocks: the emulations are served by Express on loopback.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import express from 'express';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import {
  createEhrCallbackActivities,
  EHR_CALLBACK_UNAVAILABLE,
  type EhrCallbackInput,
} from '../../src/activities/ehrCallback';
import { createSmsActivities, SMS_TRANSIENT_FAILURE, type SendSmsInput } from '../../src/activities/sms';
import {
  SANDBOX_ACCOUNT_SID,
  SandboxRequestClient,
  createSandboxTwilioClient,
  sandboxTwilioBaseUrl,
} from '../../src/activities/twilioClient';
import { DEFAULT_TEMPLATES } from '../../src/domain/messages/templates';
import { logger } from '../../src/log';
import {
  createEhrCallbackReceiverRouter,
  EHR_FAULT_SWITCH_PATH,
  EhrCallbackStore,
  type EhrCallbackReceiverRouter,
} from '../../src/sandbox/ehrCallbackReceiver';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import {
  createTwilioSandboxRouter,
  TWILIO_FAULT_SWITCH_PATH,
  type TwilioSandboxRouter,
} from '../../src/sandbox/twilioSandbox';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';
import { failureOf } from '../helpers/failures';
import { freePort, nonLoopbackAddress } from '../helpers/ports';
import { waitFor } from '../helpers/processes';

const SECRET = 'fault-switch-callback-secret';
const FROM = '+15005550006';
const quiet = logger.child({}, { level: 'silent' });
/** The SDK logs every failed activity at WARN; these tests provoke failures on purpose. */
const sdkLogger = new DefaultLogger('ERROR');

let dataDir: string;
let messages: SandboxMessageStore;
let callbacks: EhrCallbackStore;
let twilioSandbox: TwilioSandboxRouter;
let receiver: EhrCallbackReceiverRouter;
let app: express.Express;
let server: Server;
let origin: string;

let numberCounter = 0;
/** A fresh recipient per test, so tests sharing the store never see each other's texts. */
const nextNumber = (): string => `+1555030${String(1000 + numberCounter++).padStart(4, '0')}`;

/** The real SDK client, with a 1 s timeout instead of 15 s so a lost answer costs a second. */
class QuickTimeoutClient extends SandboxRequestClient {
  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    return super.request({ ...opts, timeout: 1_000 });
  }
}

function sdkClient(quick = false): twilio.Twilio {
  const base = sandboxTwilioBaseUrl(origin);
  return quick
    ? twilio(SANDBOX_ACCOUNT_SID, SANDBOX_TEST_AUTH_TOKEN, { httpClient: new QuickTimeoutClient(base) })
    : createSandboxTwilioClient(base, SANDBOX_TEST_AUTH_TOKEN);
}

function sendSmsWith(client: twilio.Twilio) {
  return createSmsActivities({
    client,
    sender: { from: FROM },
    templates: DEFAULT_TEMPLATES,
    customerName: 'Mercy Clinic',
    logger: quiet,
  }).sendSms;
}

function bookedText(to: string): SendSmsInput {
  return {
    messageKey: 'appointment-F1:event-1:BOOKED',
    appointmentId: 'F1',
    to,
    kind: 'BOOKED',
    context: { language: 'en', firstName: 'Ana', start: '2026-12-01T22:30:00Z', zone: 'America/Denver' },
  };
}

/** Runs an activity as Temporal would run attempt `attempt` of an execution first scheduled at `scheduledAt`. */
function runAttempt<I, O>(
  fn: (input: I) => Promise<O>,
  input: I,
  attempt: number,
  scheduledAt: number,
): Promise<O> {
  const env = new MockActivityEnvironment(
    { attempt, scheduledTimestampMs: scheduledAt, currentAttemptScheduledTimestampMs: Date.now() },
    { logger: sdkLogger },
  );
  return env.run<[I], O, (input: I) => Promise<O>>(fn, input);
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

interface SwitchState {
  mode: string | null;
  remainingSeconds?: number;
  retryAfterSeconds?: number;
  hits: number;
}

async function setFault(switchPath: string, body: Record<string, unknown>): Promise<SwitchState> {
  const res = await fetch(`${origin}${switchPath}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as SwitchState;
}

async function faultState(switchPath: string): Promise<SwitchState> {
  return (await (await fetch(`${origin}${switchPath}`)).json()) as SwitchState;
}

async function clearFault(switchPath: string): Promise<SwitchState> {
  return (await (await fetch(`${origin}${switchPath}`, { method: 'DELETE' })).json()) as SwitchState;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'fault-switches-'));
  messages = SandboxMessageStore.inDataDir(dataDir);
  callbacks = EhrCallbackStore.inDataDir(dataDir);
  twilioSandbox = createTwilioSandboxRouter({
    store: messages,
    authToken: SANDBOX_TEST_AUTH_TOKEN,
    logger: quiet,
    deliveryDelaysMs: { sent: 0, delivered: 0 },
  });
  receiver = createEhrCallbackReceiverRouter(callbacks, { secret: SECRET, logger: quiet });
  app = express();
  app.use(twilioSandbox, receiver);
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
});

afterEach(async () => {
  await clearFault(TWILIO_FAULT_SWITCH_PATH);
  await clearFault(EHR_FAULT_SWITCH_PATH);
});

afterAll(async () => {
  await twilioSandbox?.deliveriesSettled();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('Twilio emulation fault switch', () => {
  test('a 503 outage refuses every Messages request as Twilio’s 20503 until its time is up; then the text goes', async () => {
    const to = nextNumber();
    const client = sdkClient();
    const sendSms = sendSmsWith(client);
    const state = await setFault(TWILIO_FAULT_SWITCH_PATH, { mode: '503', seconds: 1.5 });
    expect(state).toMatchObject({ mode: '503', remainingSeconds: 2, hits: 0 });

    const failure = await failureOf(runAttempt(sendSms, bookedText(to), 1, Date.now()));
    expect(failure).toMatchObject({ type: SMS_TRANSIENT_FAILURE, nonRetryable: false });
    expect(failure.details).toEqual([{ code: 20503, httpStatus: 503 }]);
    // Listing too: a retry's look for its earlier send fails, and the retry fails rather than risk a double text.
    const listing = await rejectionOf(client.messages.list({ to, limit: 5 }));
    expect(listing).toBeInstanceOf(twilio.RestException);
    expect(listing).toMatchObject({ status: 503, code: 20503 });
    expect((await faultState(TWILIO_FAULT_SWITCH_PATH)).hits).toBe(2);
    expect(await messages.list({ to })).toHaveLength(0);

    await waitFor(
      async () => ((await faultState(TWILIO_FAULT_SWITCH_PATH)).mode === null ? true : undefined),
      {
        timeoutMs: 5_000,
        intervalMs: 100,
        what: 'the outage to end by itself',
      },
    );
    const result = await runAttempt(sendSms, bookedText(to), 2, Date.now());
    expect(result.deduplicated).toBe(false);
    expect(await messages.list({ to })).toHaveLength(1);
  });

  test('a 429 outage is Twilio’s 20429 with the Retry-After asked for, and DELETE ends it at once', async () => {
    const to = nextNumber();
    const client = sdkClient();
    await setFault(TWILIO_FAULT_SWITCH_PATH, { mode: '429', seconds: 60, retryAfterSeconds: 3 });

    const refused = await rejectionOf(client.messages.create({ to, from: FROM, body: 'Your visit' }));
    expect(refused).toMatchObject({ status: 429, code: 20429 });
    const raw = await fetch(
      `${sandboxTwilioBaseUrl(origin)}/2010-04-01/Accounts/${SANDBOX_ACCOUNT_SID}/Messages.json`,
      { headers: { Authorization: `Basic ${btoa(`${SANDBOX_ACCOUNT_SID}:${SANDBOX_TEST_AUTH_TOKEN}`)}` } },
    );
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('3');

    expect(await clearFault(TWILIO_FAULT_SWITCH_PATH)).toEqual({ mode: null, hits: 2 });
    const created = await client.messages.create({ to, from: FROM, body: 'Your visit' });
    expect(created.status).toBe('queued');
  });

  test('timeout-after-accept: the text is stored and delivered but never answered; the retry finds it and sends nothing', async () => {
    const to = nextNumber();
    const sendSms = sendSmsWith(sdkClient(true));
    await setFault(TWILIO_FAULT_SWITCH_PATH, { mode: 'timeout-after-accept', seconds: 60 });
    const firstScheduled = Date.now();

    const failure = await failureOf(runAttempt(sendSms, bookedText(to), 1, firstScheduled));
    expect(failure).toMatchObject({ type: SMS_TRANSIENT_FAILURE, nonRetryable: false });
    expect(failure.message).toContain('without an answer');
    const stored = await messages.list({ to });
    expect(stored).toHaveLength(1);

    // Still on: the retry lists (answered normally) and takes the stored text for its own.
    const retry = await runAttempt(sendSms, bookedText(to), 2, firstScheduled);
    expect(retry).toMatchObject({ sid: stored[0]?.sid, deduplicated: true });
    expect(await messages.list({ to })).toHaveLength(1);
    expect((await faultState(TWILIO_FAULT_SWITCH_PATH)).hits).toBe(1);

    await twilioSandbox.deliveriesSettled();
    expect((await messages.get(stored[0]?.sid ?? ''))?.status).toBe('delivered');
  });

  test('the switch refuses unknown modes and out-of-range times (400) and leaves the emulation as it was', async () => {
    for (const body of [
      { mode: '500', seconds: 10 },
      { mode: '503', seconds: 0 },
      { mode: '503', seconds: 100_000 },
      { mode: '503' },
      { mode: '503', seconds: 10, extra: true },
    ]) {
      const res = await fetch(`${origin}${TWILIO_FAULT_SWITCH_PATH}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
    }
    expect((await faultState(TWILIO_FAULT_SWITCH_PATH)).mode).toBeNull();
  });

  test('the switches answer only this machine: from another address they are not there (404)', async () => {
    const address = nonLoopbackAddress();
    const open = app.listen(0, '0.0.0.0');
    await new Promise((resolve) => open.once('listening', resolve));
    try {
      const port = (open.address() as AddressInfo).port;
      for (const switchPath of [TWILIO_FAULT_SWITCH_PATH, EHR_FAULT_SWITCH_PATH]) {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const remote = await fetch(`http://${address}:${port}${switchPath}`, {
            method,
            headers: { 'Content-Type': 'application/json' },
            ...(method === 'PUT' ? { body: JSON.stringify({ mode: '503', seconds: 60 }) } : {}),
          });
          expect([switchPath, method, remote.status]).toEqual([switchPath, method, 404]);
        }
      }
      expect((await faultState(TWILIO_FAULT_SWITCH_PATH)).mode).toBeNull();
      expect((await faultState(EHR_FAULT_SWITCH_PATH)).mode).toBeNull();
    } finally {
      open.closeAllConnections();
      await new Promise((resolve) => open.close(resolve));
    }
  });
});

describe('after the API was killed', () => {
  test('texts it had accepted but not delivered are delivered, with their status callbacks, when it starts again', async () => {
    // The store as a killed API left it: one text queued, one sent, one delivered, a minute ago.
    const crashedDir = await mkdtemp(path.join(os.tmpdir(), 'fault-switches-crashed-'));
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    const reported: Array<Record<string, string>> = [];
    const callbackApp = express();
    callbackApp.post('/status', express.urlencoded({ extended: false }), (req, res) => {
      reported.push(req.body as Record<string, string>);
      res.status(204).end();
    });
    const callbackPort = await freePort();
    const callbackServer = await new Promise<Server>((resolve) => {
      const listening = callbackApp.listen(callbackPort, '127.0.0.1', () => resolve(listening));
    });
    const line = (sid: string, status: string) =>
      JSON.stringify({
        type: 'message',
        sid,
        to: nextNumber(),
        from: FROM,
        body: 'Your visit',
        status,
        createdAt: minuteAgo,
        updatedAt: minuteAgo,
        statusCallback: `http://127.0.0.1:${callbackPort}/status`,
        direction: 'outbound-api',
        numSegments: 1,
      });
    const [queued, sent, delivered] = ['a', 'b', 'c'].map((c) => `SM${c.repeat(32)}`) as [
      string,
      string,
      string,
    ];
    await mkdir(path.join(crashedDir, 'sandbox'));
    await writeFile(
      path.join(crashedDir, 'sandbox', 'messages.jsonl'),
      [
        line(queued, 'queued'),
        line(sent, 'sent'),
        line(delivered, 'delivered'),
        // Its `delivered` callback had landed (a text whose callback was cut off is posted again: see
        // sandboxStatusCallbackRetries.test.ts).
        JSON.stringify({ type: 'reported', sid: delivered, status: 'delivered', at: minuteAgo }),
        '',
      ].join('\n'),
    );
    try {
      const store = SandboxMessageStore.inDataDir(crashedDir);
      const restarted = createTwilioSandboxRouter({
        store,
        authToken: SANDBOX_TEST_AUTH_TOKEN,
        logger: quiet,
        deliveryDelaysMs: { sent: 0, delivered: 0 },
      });
      await restarted.deliveriesSettled();

      expect((await store.get(queued))?.status).toBe('delivered');
      expect((await store.get(sent))?.status).toBe('delivered');
      const statuses = (sid: string) =>
        reported.filter((r) => r.MessageSid === sid).map((r) => r.MessageStatus);
      expect(statuses(queued)).toEqual(['sent', 'delivered']);
      expect(statuses(sent)).toEqual(['delivered']);
      // A text already final and reported is left alone: Twilio reports a status once.
      expect(statuses(delivered)).toEqual([]);
    } finally {
      callbackServer.closeAllConnections();
      await new Promise((resolve) => callbackServer.close(resolve));
      await rm(crashedDir, { recursive: true, force: true });
    }
  });
});

describe('EHR receiver fault switch', () => {
  let keyCounter = 0;
  function callbackInput(): EhrCallbackInput {
    keyCounter += 1;
    return {
      idempotencyKey: `F${keyCounter}:SM${String(keyCounter).padStart(32, '0')}:CONFIRM`,
      body: {
        event_type: 'CONFIRM',
        appointment_id: `F${keyCounter}`,
        patient_id: 'PAT-1',
        event_datetime_utc: '2026-12-01T15:04:05.000Z',
        reply_text: 'yes',
      },
    };
  }
  const notifyEhr = () =>
    createEhrCallbackActivities({
      url: `${origin}/sandbox/ehr-callbacks`,
      secret: SECRET,
      logger: quiet,
      timeoutMs: 1_000,
    }).notifyEhr;
  const storedWithKey = async (key: string) =>
    (await callbacks.list()).filter((c) => c.headers['idempotency-key'] === key);

  test('503 with Retry-After: the callback is retryable, carries the delay asked for, and nothing is stored', async () => {
    const input = callbackInput();
    await setFault(EHR_FAULT_SWITCH_PATH, { mode: '503', seconds: 60, retryAfterSeconds: 7 });
    const failure = await failureOf(runAttempt(notifyEhr(), input, 1, Date.now()));
    expect(failure).toMatchObject({
      type: EHR_CALLBACK_UNAVAILABLE,
      nonRetryable: false,
      nextRetryDelay: 7_000,
    });
    expect(await storedWithKey(input.idempotencyKey)).toHaveLength(0);

    await clearFault(EHR_FAULT_SWITCH_PATH);
    expect(await runAttempt(notifyEhr(), input, 2, Date.now())).toEqual({ status: 200, attempts: 2 });
    expect(await storedWithKey(input.idempotencyKey)).toHaveLength(1);
  });

  test('down: the connection is dropped without an answer, the callback is retryable and nothing is stored', async () => {
    const input = callbackInput();
    await setFault(EHR_FAULT_SWITCH_PATH, { mode: 'down', seconds: 60 });
    const failure = await failureOf(runAttempt(notifyEhr(), input, 1, Date.now()));
    expect(failure).toMatchObject({ type: EHR_CALLBACK_UNAVAILABLE, nonRetryable: false });
    expect(failure.message).toContain('no answer');
    expect(await storedWithKey(input.idempotencyKey)).toHaveLength(0);
    expect((await faultState(EHR_FAULT_SWITCH_PATH)).hits).toBe(1);
  });

  test('timeout-after-accept: stored but never acknowledged; the retry with the same key is stored once', async () => {
    const input = callbackInput();
    await setFault(EHR_FAULT_SWITCH_PATH, { mode: 'timeout-after-accept', seconds: 60 });
    const failure = await failureOf(runAttempt(notifyEhr(), input, 1, Date.now()));
    expect(failure.message).toContain('timeout after 1000 ms');
    expect(await storedWithKey(input.idempotencyKey)).toHaveLength(1);

    await clearFault(EHR_FAULT_SWITCH_PATH);
    expect(await runAttempt(notifyEhr(), input, 2, Date.now())).toEqual({ status: 200, attempts: 2 });
    expect(await storedWithKey(input.idempotencyKey)).toHaveLength(1);
  });
});
