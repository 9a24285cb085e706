/**
 * The sendSms activity in Temporal's activity test environment, sending with the real `twilio` SDK to the sandbox
 * served over HTTP: rendering, sender choice, failure classification, and no double text on retry.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import express from 'express';
import pino from 'pino';
import {
  SMS_PERMANENT_FAILURE,
  SMS_RENDER_FAILURE,
  SMS_TRANSIENT_FAILURE,
  TemplatesFileError,
  createSmsActivities,
  loadTemplates,
  type SendSmsInput,
  type SendSmsResult,
  type SmsActivityDeps,
} from '../../src/activities/sms';
import {
  SANDBOX_FROM_NUMBER,
  createSandboxTwilioClient,
  sandboxTwilioBaseUrl,
} from '../../src/activities/twilioClient';
import { renderMessage } from '../../src/domain/messages/render';
import { DEFAULT_TEMPLATES } from '../../src/domain/messages/templates';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { createTwilioSandboxRouter, type TwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import { failureOf } from '../helpers/failures';
import { freePort } from '../helpers/ports';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';

const CUSTOMER = 'Mercy Clinic';
const FROM = '+15005550006';
const MESSAGING_SERVICE_SID = `MG${'b'.repeat(32)}`;

let dataDir: string;
let store: SandboxMessageStore;
let sandbox: TwilioSandboxRouter;
let server: Server;
let baseUrl: string;
const logLines: string[] = [];
const capturingLogger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });

/** The SDK logs every failed activity at WARN; these tests provoke failures on purpose. */
const sdkLogger = new DefaultLogger('ERROR');

let numberCounter = 0;
const nextNumber = (): string => `+1555020${String(1000 + numberCounter++).padStart(4, '0')}`;

function smsActivities(overrides: Partial<SmsActivityDeps> = {}) {
  return createSmsActivities({
    client: createSandboxTwilioClient(baseUrl, SANDBOX_TEST_AUTH_TOKEN),
    sender: { from: FROM },
    templates: DEFAULT_TEMPLATES,
    customerName: CUSTOMER,
    logger: capturingLogger,
    ...overrides,
  });
}

function bookedInput(to: string, overrides: Partial<SendSmsInput> = {}): SendSmsInput {
  return {
    messageKey: 'appointment-A1:event-1:BOOKED',
    appointmentId: 'A1',
    to,
    kind: 'BOOKED',
    context: {
      language: 'en',
      firstName: 'Ana',
      provider: 'Dr. Kim',
      location: 'Main St clinic',
      start: '2026-12-01T22:30:00Z',
      zone: 'America/Denver',
      callbackPhone: '+15551230000',
    },
    ...overrides,
  };
}

/** Runs sendSms as Temporal would run the given attempt of an activity first scheduled at `scheduledAt`. */
function runAttempt(
  activities: ReturnType<typeof smsActivities>,
  input: SendSmsInput,
  attempt: number,
  scheduledAt = Date.now(),
): Promise<SendSmsResult> {
  const env = new MockActivityEnvironment(
    { attempt, scheduledTimestampMs: scheduledAt, currentAttemptScheduledTimestampMs: Date.now() },
    { logger: sdkLogger },
  );
  return env.run(activities.sendSms, input);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'send-sms-'));
  store = SandboxMessageStore.inDataDir(dataDir);
  sandbox = createTwilioSandboxRouter({
    store,
    authToken: SANDBOX_TEST_AUTH_TOKEN,
    logger: capturingLogger.child({}, { level: 'silent' }),
    deliveryDelaysMs: { sent: 0, delivered: 0 },
  });
  const app = express();
  app.use(sandbox);
  app.post('/v1/twilio/status', (_req, res) => {
    res.status(204).end();
  });
  const port = await freePort();
  baseUrl = sandboxTwilioBaseUrl(`http://127.0.0.1:${port}`);
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
});

afterAll(async () => {
  await sandbox?.deliveriesSettled();
  await new Promise((resolve) => server?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('sendSms', () => {
  test('renders the template with the clinic name and sends exactly that text', async () => {
    const to = nextNumber();
    const result = await runAttempt(smsActivities(), bookedInput(to), 1);

    const expected = renderMessage('BOOKED', { ...bookedInput(to).context, customerName: CUSTOMER });
    expect(result).toEqual({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      status: 'queued',
      segments: expected.segments,
      encoding: expected.encoding,
      deduplicated: false,
    });
    const sent = await store.list({ to });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ sid: result.sid, from: FROM, body: expected.body });
    expect(sent[0]?.body).toContain(CUSTOMER);
    expect(sent[0]?.body).toContain('Ana');
  });

  test('the Messaging Service is used instead of the from number when both are configured', async () => {
    const to = nextNumber();
    const activities = smsActivities({
      sender: { from: '+15005550010', messagingServiceSid: MESSAGING_SERVICE_SID },
    });
    const result = await runAttempt(activities, bookedInput(to), 1);

    expect(result.status).toBe('accepted');
    const [sent] = await store.list({ to });
    expect(sent).toMatchObject({ messagingServiceSid: MESSAGING_SERVICE_SID, from: SANDBOX_FROM_NUMBER });
  });

  test('the status callback URL is passed to Twilio, naming the appointment and asking for retries', async () => {
    const to = nextNumber();
    const statusCallbackUrl = `${new URL(baseUrl).origin}/v1/twilio/status`;
    await runAttempt(smsActivities({ statusCallbackUrl }), bookedInput(to), 1);
    expect((await store.list({ to }))[0]?.statusCallback).toBe(
      `${statusCallbackUrl}?appointmentId=A1#rc=5&rp=all`,
    );
  });

  test.each([
    ['+15005550001', 21211],
    ['+15005550002', 21612],
    ['+15005550004', 21610],
    ['+15005550009', 21614],
  ])(
    'a permanent refusal (%s) is a non-retryable SmsPermanentFailure carrying code %i and no phone number',
    async (to, code) => {
      const failure = await failureOf(runAttempt(smsActivities(), bookedInput(to), 1));
      expect(failure.type).toBe(SMS_PERMANENT_FAILURE);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.details).toEqual([{ code, httpStatus: 400 }]);
      expect(failure.message).toContain(String(code));
      expect(failure.message).not.toContain(to.slice(2));
      expect(failure.cause).toBeUndefined();
    },
  );

  test.each([
    ['+15005550500', 500, 20500],
    ['+15005550503', 503, 20503],
    ['+15005550429', 429, 20429],
  ])(
    'a transient refusal (%s, HTTP %i) stays retryable as SmsTransientFailure',
    async (to, httpStatus, code) => {
      const failure = await failureOf(runAttempt(smsActivities(), bookedInput(to), 1));
      expect(failure.type).toBe(SMS_TRANSIENT_FAILURE);
      expect(failure.nonRetryable).toBe(false);
      expect(failure.details).toEqual([{ code, httpStatus }]);
    },
  );

  test('a sender queue that is full (400, code 21611) is retryable', async () => {
    const failure = await failureOf(
      runAttempt(smsActivities({ sender: { from: '+15005550008' } }), bookedInput(nextNumber()), 1),
    );
    expect(failure).toMatchObject({ type: SMS_TRANSIENT_FAILURE, nonRetryable: false });
  });

  test('Twilio unreachable (connection refused) is retryable', async () => {
    const closedPort = await freePort();
    const client = createSandboxTwilioClient(
      sandboxTwilioBaseUrl(`http://127.0.0.1:${closedPort}`),
      SANDBOX_TEST_AUTH_TOKEN,
    );
    const failure = await failureOf(runAttempt(smsActivities({ client }), bookedInput(nextNumber()), 1));
    expect(failure).toMatchObject({ type: SMS_TRANSIENT_FAILURE, nonRetryable: false });
  });

  test('a retry after a send that went through returns the same sid, deduplicated, and texts only once', async () => {
    const to = nextNumber();
    const activities = smsActivities();
    const firstScheduledAt = Date.now();
    // Attempt 1 reached Twilio, but (say) the worker crashed before reporting it, so Temporal runs attempt 2.
    const first = await runAttempt(activities, bookedInput(to), 1, firstScheduledAt);
    await sandbox.deliveriesSettled();

    const retry = await runAttempt(activities, bookedInput(to), 2, firstScheduledAt);

    expect(retry).toEqual({ ...first, status: 'delivered', deduplicated: true });
    expect(await store.list({ to })).toHaveLength(1);
  });

  test('a re-run of a local-activity send whose workflow task was lost finds its text: attempt 1 again, minutes later, same run start', async () => {
    const to = nextNumber();
    const activities = smsActivities();
    const notBefore = new Date(Date.now() - 1_000).toISOString();
    // The send went out, then the workflow task that ran it was lost (worker killed): the next task runs it
    // again as a new local activity, attempt 1, scheduled minutes later (past the clock-skew margin), with the
    // same run start.
    const first = await runAttempt(activities, bookedInput(to, { notBefore }), 1);
    await sandbox.deliveriesSettled();
    const rerun = await runAttempt(activities, bookedInput(to, { notBefore }), 1, Date.now() + 5 * 60_000);
    expect(rerun).toEqual({ ...first, status: 'delivered', deduplicated: true });
    expect(await store.list({ to })).toHaveLength(1);
  });

  test('with notBefore, a first send with nothing earlier sends (the lookup costs one list, never a text)', async () => {
    const to = nextNumber();
    const notBefore = new Date().toISOString();
    const result = await runAttempt(smsActivities(), bookedInput(to, { notBefore }), 1);
    expect(result.deduplicated).toBe(false);
    expect(await store.list({ to })).toHaveLength(1);
  });

  test('a retry whose earlier attempt never reached Twilio sends the text', async () => {
    const to = nextNumber();
    const result = await runAttempt(smsActivities(), bookedInput(to), 3, Date.now() - 5 * 60_000);
    expect(result.deduplicated).toBe(false);
    expect(await store.list({ to })).toHaveLength(1);
  });

  test('a retry does not mistake an identical text sent before this activity was scheduled for its own', async () => {
    const to = nextNumber();
    const activities = smsActivities();
    const earlier = await runAttempt(activities, bookedInput(to), 1);
    // The same text again, from an activity first scheduled well after the earlier one went out.
    const later = await runAttempt(activities, bookedInput(to), 2, Date.now() + 2 * 60_000);
    expect(later.deduplicated).toBe(false);
    expect(later.sid).not.toBe(earlier.sid);
    expect(await store.list({ to })).toHaveLength(2);
  });

  test('a genuine second identical text (a second HELP a minute later) is not swallowed by its retry check', async () => {
    const to = nextNumber();
    const activities = smsActivities();
    const help = (key: string, excludeSids?: string[]): SendSmsInput =>
      bookedInput(to, { kind: 'HELP', messageKey: key, ...(excludeSids ? { excludeSids } : {}) });
    const first = await runAttempt(activities, help('phone:SM1:HELP'), 1);
    // The second answer's first attempt got no answer from Twilio; its retry names the texts already recorded.
    const second = await runAttempt(activities, help('phone:SM2:HELP', [first.sid]), 2, Date.now());
    expect(second.deduplicated).toBe(false);
    expect(second.sid).not.toBe(first.sid);
    expect(await store.list({ to })).toHaveLength(2);
  });

  test('a retry does not treat a different text to the same number as already sent', async () => {
    const to = nextNumber();
    const activities = smsActivities();
    const scheduledAt = Date.now();
    await runAttempt(activities, bookedInput(to), 1, scheduledAt);
    const reminder = await runAttempt(activities, bookedInput(to, { kind: 'REMINDER' }), 2, scheduledAt);
    expect(reminder.deduplicated).toBe(false);
    expect(await store.list({ to })).toHaveLength(2);
  });

  test('a text that cannot be rendered is a non-retryable SmsRenderFailure and nothing is sent', async () => {
    const to = nextNumber();
    const input = bookedInput(to, { context: { start: '2026-12-01T22:30:00Z' } }); // no zone to show the time in
    const failure = await failureOf(runAttempt(smsActivities(), input, 1));
    expect(failure).toMatchObject({ type: SMS_RENDER_FAILURE, nonRetryable: true });
    expect(await store.list({ to })).toEqual([]);
  });

  test('logs carry ids, kind, sid and error codes but never phone numbers or message bodies', async () => {
    const to = nextNumber();
    logLines.length = 0;
    const result = await runAttempt(smsActivities(), bookedInput(to), 1);
    await failureOf(runAttempt(smsActivities(), bookedInput('+15005550004'), 1));

    const logged = logLines.join('');
    expect(logged).toContain(result.sid);
    expect(logged).toContain('"appointmentId":"A1"');
    expect(logged).toContain('"messageKey":"appointment-A1:event-1:BOOKED"');
    expect(logged).toContain('"kind":"BOOKED"');
    expect(logged).toContain('"code":21610');
    expect(logged).not.toContain(to.slice(2));
    expect(logged).not.toContain('5005550004');
    expect(logged).not.toContain('Ana');
  });

  test('a sender with neither from nor messagingServiceSid is refused at start-up', () => {
    expect(() => smsActivities({ sender: {} })).toThrow(/from number or a messagingServiceSid/);
  });
});

describe('loadTemplates', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'templates-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('without a file it is the default catalog', () => {
    expect(loadTemplates()).toBe(DEFAULT_TEMPLATES);
    expect(loadTemplates('  ')).toBe(DEFAULT_TEMPLATES);
  });

  test('a file of overrides replaces those kinds, and sendSms sends the overridden text', async () => {
    const file = path.join(dir, 'ok.json');
    await writeFile(
      file,
      JSON.stringify({
        en: { BOOKED: '{{customerName}}: {{firstName}}, you are booked. Call {{callbackPhone}}.' },
      }),
    );
    const templates = loadTemplates(file);
    expect(templates.en.BOOKED).toContain('you are booked');
    expect(templates.en.REMINDER).toBe(DEFAULT_TEMPLATES.en.REMINDER);

    const to = nextNumber();
    await runAttempt(smsActivities({ templates }), bookedInput(to), 1);
    expect((await store.list({ to }))[0]?.body).toBe('Mercy Clinic: Ana, you are booked. Call +15551230000.');
  });

  test('an unreadable, non-JSON or invalid file is an error naming the file and every problem', async () => {
    const missing = path.join(dir, 'missing.json');
    expect(() => loadTemplates(missing)).toThrow(TemplatesFileError);
    expect(() => loadTemplates(missing)).toThrow(
      `MESSAGE_TEMPLATES_FILE ${missing}: cannot be read (ENOENT)`,
    );

    const notJson = path.join(dir, 'broken.json');
    await writeFile(notJson, '{ "en": ');
    expect(() => loadTemplates(notJson)).toThrow(`MESSAGE_TEMPLATES_FILE ${notJson}: is not valid JSON`);

    const invalid = path.join(dir, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ en: { BOOKED: 'Reply CANCEL to cancel', NOPE: 'x' } }));
    let error: unknown;
    try {
      loadTemplates(invalid);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplatesFileError);
    expect((error as TemplatesFileError).file).toBe(invalid);
    expect((error as Error).message).toMatch(
      /en\.BOOKED: asks the patient to send a carrier opt-out keyword/,
    );
    expect((error as Error).message).toMatch(/unknown message kind\(s\) NOPE/);
  });
});
