/**
 * The Twilio emulation's status callbacks behave like Twilio's, so a final status survives a webhook outage and a
 * restart of the API that hosts the emulation: connection overrides in the StatusCallback fragment (`#rc=…&rp=…`)
 * are honoured and never signed, a callback without them is not retried after an error answer, and a callback a
 * restart cut off is posted when the emulation starts again. Real sandbox, real webhook router, real HTTP.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { createSandboxTwilioClient, sandboxTwilioBaseUrl } from '../../src/activities/twilioClient';
import { createApp } from '../../src/api/app';
import { twilioWebhooksRouter, type ConversationPort } from '../../src/api/twilioWebhooks';
import type { Logger } from '../../src/log';
import { SANDBOX_MESSAGES_FILE, SandboxMessageStore } from '../../src/sandbox/messageStore';
import { createTwilioSandboxRouter, type TwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import type { DeliveryReport, InboundText } from '../../src/shared/phone';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';
import { freePort } from '../helpers/ports';

const CLINIC = '+15005550006';
let numberCounter = 0;
const nextNumber = (): string => `+1555020${String(1000 + numberCounter++).padStart(4, '0')}`;

/** The conversation side: records the reports it took, and refuses (the webhook answers 503) while `failures` > 0. */
class FlakyPort implements ConversationPort {
  readonly statuses: DeliveryReport[] = [];
  refused = 0;
  failures = 0;
  async deliverInbound(_text: InboundText): Promise<void> {}
  async deliverStatus(report: DeliveryReport): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      this.refused++;
      throw new Error('Temporal is away');
    }
    this.statuses.push(report);
  }
}

/** What the emulation logged about failed callbacks. */
interface CallbackFailure {
  sid: string;
  messageStatus: string;
  attempt: number;
  failure: string;
  retry: boolean;
}

/** A logger whose `sandbox status callback failed` records land in `failures` (and call `onFailure`). */
function recordingLogger(failures: CallbackFailure[], onFailure: () => void = () => undefined): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as CallbackFailure & { msg?: string };
        if (record.msg === 'sandbox status callback failed') {
          failures.push(record);
          onFailure();
        }
      }
      done();
    },
  });
  return pino({ level: 'warn' }, stream);
}

interface Stack {
  origin: string;
  sandbox: TwilioSandboxRouter;
  port: FlakyPort;
  store: SandboxMessageStore;
  /** Form posts to `/hook/<name>` by name, answered with `hookAnswer` (204 by default). */
  hooks: Map<string, Array<Record<string, string>>>;
  hookAnswer: number;
  close(): Promise<void>;
}

/**
 * The API's shape in sandbox mode: the emulation and the real Twilio webhooks on one loopback origin. A restart
 * passes the port it had (PUBLIC_BASE_URL stays the same).
 */
async function startStack(dataDir: string, logger: Logger, listenPort?: number): Promise<Stack> {
  listenPort ??= await freePort();
  const origin = `http://127.0.0.1:${listenPort}`;
  const store = SandboxMessageStore.inDataDir(dataDir);
  const port = new FlakyPort();
  const sandbox = createTwilioSandboxRouter({
    store,
    authToken: SANDBOX_TEST_AUTH_TOKEN,
    logger,
    deliveryDelaysMs: { sent: 0, delivered: 0 },
  });
  const hooks = new Map<string, Array<Record<string, string>>>();
  const stack: Stack = {
    origin,
    sandbox,
    port,
    store,
    hooks,
    hookAnswer: 204,
    close: async () => undefined,
  };
  const hookRouter = express.Router();
  hookRouter.post('/hook/:name', express.urlencoded({ extended: false }), (req, res) => {
    const name = String(req.params.name);
    hooks.set(name, [...(hooks.get(name) ?? []), req.body as Record<string, string>]);
    res.status(stack.hookAnswer).end();
  });
  const app = createApp({
    logger: logger.child({}, { level: 'silent' }),
    readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
    routers: [
      sandbox,
      twilioWebhooksRouter({
        port,
        authToken: SANDBOX_TEST_AUTH_TOKEN,
        publicBaseUrl: origin,
        logger: logger.child({}, { level: 'silent' }),
      }),
      hookRouter,
    ],
  });
  const server = await listen(app, listenPort);
  stack.close = async () => {
    await sandbox.deliveriesSettled();
    await new Promise((resolve) => server.close(resolve));
  };
  return stack;
}

function listen(app: express.Express, port: number): Promise<Server> {
  return new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
}

let dataDir: string;
let failures: CallbackFailure[];
let stack: Stack;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sandbox-callback-retries-'));
  failures = [];
});

afterEach(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function send(statusCallback: string, to = nextNumber()): Promise<string> {
  const client = createSandboxTwilioClient(sandboxTwilioBaseUrl(stack.origin), SANDBOX_TEST_AUTH_TOKEN);
  const message = await client.messages.create({
    to,
    from: CLINIC,
    body: 'See you Thursday',
    statusCallback,
  });
  return message.sid;
}

describe('sandbox status callbacks with Twilio connection overrides', () => {
  test('a callback our webhook answers 503 for a while is retried per the fragment (unsigned) and lands once', async () => {
    stack = await startStack(dataDir, recordingLogger(failures));
    stack.port.failures = 2; // the `sent` report is refused twice, then everything is taken
    const sid = await send(`${stack.origin}/v1/twilio/status?appointmentId=A100#rc=5&rp=5xx`);
    await stack.sandbox.deliveriesSettled();

    // The real signature check accepted the retried requests: the fragment was not part of what was signed.
    expect(stack.port.refused).toBe(2);
    expect(
      stack.port.statuses.map(({ messageSid, status, appointmentId }) => ({
        messageSid,
        status,
        appointmentId,
      })),
    ).toEqual([
      { messageSid: sid, status: 'sent', appointmentId: 'A100' },
      { messageSid: sid, status: 'delivered', appointmentId: 'A100' },
    ]);
    expect(
      failures.map(({ messageStatus, attempt, failure, retry }) => ({
        messageStatus,
        attempt,
        failure,
        retry,
      })),
    ).toEqual([
      { messageStatus: 'sent', attempt: 1, failure: '5xx', retry: true },
      { messageStatus: 'sent', attempt: 2, failure: '5xx', retry: true },
    ]);
    expect((await stack.store.get(sid))?.reportedStatus).toBe('delivered');
  });

  test('a receiving server that is down is retried (rp=ct) until it is up, and the report lands once', async () => {
    const receiverPort = await freePort();
    const received: Array<Record<string, string>> = [];
    const receiver = express();
    receiver.post('/status', express.urlencoded({ extended: false }), (req, res) => {
      received.push(req.body as Record<string, string>);
      res.status(204).end();
    });
    let receiverServer: Promise<Server> | undefined;
    // The receiver comes up right after the first attempt found nobody listening.
    stack = await startStack(
      dataDir,
      recordingLogger(failures, () => {
        receiverServer ??= listen(receiver, receiverPort);
      }),
    );
    try {
      const sid = await send(`http://127.0.0.1:${receiverPort}/status#rc=5&rp=ct`);
      await stack.sandbox.deliveriesSettled();

      expect(failures.length).toBeGreaterThanOrEqual(1);
      expect(failures.every((failure) => failure.failure === 'ct' && failure.retry)).toBe(true);
      expect(received.map((form) => [form.MessageSid, form.MessageStatus])).toEqual([
        [sid, 'sent'],
        [sid, 'delivered'],
      ]);
      expect((await stack.store.get(sid))?.reportedStatus).toBe('delivered');
    } finally {
      const server = await receiverServer;
      if (server !== undefined) await new Promise((resolve) => server.close(resolve));
    }
  });

  test('without overrides an error answer is not retried (as Twilio), and nothing is recorded as reported', async () => {
    stack = await startStack(dataDir, recordingLogger(failures));
    stack.hookAnswer = 503;
    const sid = await send(`${stack.origin}/hook/plain`);
    await stack.sandbox.deliveriesSettled();

    expect(stack.hooks.get('plain')?.map((form) => form.MessageStatus)).toEqual(['sent', 'delivered']);
    expect(failures.map(({ messageStatus, failure, retry }) => ({ messageStatus, failure, retry }))).toEqual([
      { messageStatus: 'sent', failure: '5xx', retry: false },
      { messageStatus: 'delivered', failure: '5xx', retry: false },
    ]);
    expect((await stack.store.get(sid))?.reportedStatus).toBeUndefined();
  });

  test('a 4xx is retried only when the policy names it: rp=4xx retries, rp=5xx does not', async () => {
    stack = await startStack(dataDir, recordingLogger(failures));
    stack.hookAnswer = 404;
    await send(`${stack.origin}/hook/with4xx#rc=2&rp=4xx`);
    await send(`${stack.origin}/hook/without4xx#rc=2&rp=5xx`);
    await stack.sandbox.deliveriesSettled();

    // 1 + 2 retries for each of sent and delivered; a single attempt each otherwise.
    expect(stack.hooks.get('with4xx')).toHaveLength(6);
    expect(stack.hooks.get('without4xx')).toHaveLength(2);
  });
});

describe('status callbacks a restart of the API cut off', () => {
  const minuteAgo = (): string => new Date(Date.now() - 60_000).toISOString();
  const messageLine = (sid: string, statusCallback: string | undefined): Record<string, unknown> => ({
    type: 'message',
    sid,
    to: nextNumber(),
    from: CLINIC,
    body: 'See you Thursday',
    status: 'delivered',
    createdAt: minuteAgo(),
    updatedAt: minuteAgo(),
    sentAt: minuteAgo(),
    ...(statusCallback === undefined ? {} : { statusCallback }),
    direction: 'outbound-api',
    numSegments: 1,
  });

  test('are posted when the emulation starts again on the same DATA_DIR, once, and never for reported texts', async () => {
    // The public origin must be known before the file is written: the callback URL names it.
    const listenPort = await freePort();
    const origin = `http://127.0.0.1:${listenPort}`;
    const unreported = `SM${'a'.repeat(32)}`;
    const reported = `SM${'b'.repeat(32)}`;
    const withoutCallback = `SM${'c'.repeat(32)}`;
    // What a killed API leaves behind: a text delivered whose callback never landed (a file of the format before
    // `reported` lines existed), one whose callback did, one that never asked for callbacks.
    const lines = [
      messageLine(unreported, `${origin}/v1/twilio/status?appointmentId=A7#rc=5&rp=all`),
      messageLine(reported, `${origin}/v1/twilio/status?appointmentId=A8#rc=5&rp=all`),
      { type: 'reported', sid: reported, status: 'delivered', at: minuteAgo() },
      messageLine(withoutCallback, undefined),
    ];
    await mkdir(path.join(dataDir, 'sandbox'), { recursive: true });
    await writeFile(
      path.join(dataDir, 'sandbox', SANDBOX_MESSAGES_FILE),
      lines.map((line) => JSON.stringify(line)).join('\n') + '\n',
    );

    stack = await startStack(dataDir, recordingLogger(failures), listenPort);
    await stack.sandbox.deliveriesSettled();
    expect(stack.port.statuses).toEqual([
      expect.objectContaining({ messageSid: unreported, status: 'delivered', appointmentId: 'A7' }),
    ]);
    expect((await stack.store.get(unreported))?.reportedStatus).toBe('delivered');

    // Started once more: everything owed was reported, nothing is posted again.
    await stack.close();
    stack = await startStack(dataDir, recordingLogger(failures), listenPort);
    await stack.sandbox.deliveriesSettled();
    expect(stack.port.statuses).toEqual([]);
  });
});
