/**
 * `POST /v1/sandbox/inbound` over real HTTP: the simulated patient's text is stored for the virtual phone and then
 * delivered, signed like Twilio signs, to the real inbound webhook on the same app, which hands it to the port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express, { type Express, type Router } from 'express';
import request from 'supertest';
import twilio from 'twilio';
import { SANDBOX_ACCOUNT_SID, SANDBOX_FROM_NUMBER } from '../../src/activities/twilioClient';
import { createApp } from '../../src/api/app';
import { twilioWebhooksRouter } from '../../src/api/twilioWebhooks';
import { logger } from '../../src/log';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { sandboxInboundRouter } from '../../src/sandbox/sandboxInbound';
import { createSandboxPublicRouter } from '../../src/sandbox/twilioSandbox';
import { RecordingPort } from '../helpers/recordingPort';
import { freePort } from '../helpers/ports';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';

const quiet = logger.child({}, { level: 'silent' });

interface WebhookRequest {
  signature: string | undefined;
  userAgent: string | undefined;
  params: Record<string, string>;
}

let numberCounter = 0;
/** A fresh patient number per test, so tests sharing the store never see each other's messages. */
const nextNumber = (): string => `+1303555${String(1000 + numberCounter++).padStart(4, '0')}`;

let dataDir: string;
let store: SandboxMessageStore;
let server: Server;
let apiOrigin: string;
let publicBaseUrl: string;
let app: Express;
const port = new RecordingPort({ statusesFail: false });
/** What reached /v1/twilio/inbound on the wire, seen before the webhook router checks it. */
const webhookRequests: WebhookRequest[] = [];

const readiness = async (): Promise<{ ready: boolean; temporal: 'reachable'; worker: 'polling' }> => ({
  ready: true,
  temporal: 'reachable',
  worker: 'polling',
});

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sandbox-inbound-'));
  store = SandboxMessageStore.inDataDir(dataDir);
  const listenPort = await freePort();
  // Same host, two spellings: the API is called on loopback, signatures cover the public URL.
  apiOrigin = `http://127.0.0.1:${listenPort}`;
  publicBaseUrl = `http://localhost:${listenPort}`;

  const wiretap: Router = express
    .Router()
    .post('/v1/twilio/inbound', express.urlencoded({ extended: false }), (req, _res, next) => {
      webhookRequests.push({
        signature: req.header('x-twilio-signature'),
        userAgent: req.header('user-agent'),
        params: { ...(req.body as Record<string, string>) },
      });
      next();
    });
  app = createApp({
    logger: quiet,
    readiness,
    routers: [
      wiretap,
      twilioWebhooksRouter({
        port,
        authToken: SANDBOX_TEST_AUTH_TOKEN,
        publicBaseUrl,
        logger: quiet,
        mediaOnlyAnswer: 'Clinic: texts only, please',
      }),
      sandboxInboundRouter({
        store,
        apiOrigin,
        authToken: SANDBOX_TEST_AUTH_TOKEN,
        publicBaseUrl,
        sandboxNumber: SANDBOX_FROM_NUMBER,
        logger: quiet,
      }),
      createSandboxPublicRouter(store),
    ],
  });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(listenPort, '127.0.0.1', () => resolve(listening));
  });
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  port.failing = false;
});

describe('POST /v1/sandbox/inbound', () => {
  test('a patient’s " yes " goes through the signed inbound webhook to the port, exactly as typed', async () => {
    const from = nextNumber();
    const res = await request(apiOrigin)
      .post('/v1/sandbox/inbound')
      .send({ from, body: ' yes ' })
      .expect(202);

    const messageSid: string = res.body.messageSid;
    expect(res.body).toEqual({ messageSid, status: 200 });
    expect(messageSid).toMatch(/^SM[0-9a-f]{32}$/);

    const onTheWire = webhookRequests.find((seen) => seen.params.MessageSid === messageSid);
    expect(onTheWire?.params).toMatchObject({
      MessageSid: messageSid,
      SmsSid: messageSid,
      AccountSid: SANDBOX_ACCOUNT_SID,
      From: from,
      To: SANDBOX_FROM_NUMBER,
      Body: ' yes ',
      NumMedia: '0',
    });
    expect(onTheWire?.userAgent).toBe('TwilioProxy/1.1');
    // Signed over PUBLIC_BASE_URL + path with Twilio's algorithm, not over the loopback address it was sent to.
    expect(
      twilio.validateRequest(
        SANDBOX_TEST_AUTH_TOKEN,
        onTheWire?.signature ?? '',
        `${publicBaseUrl}/v1/twilio/inbound`,
        onTheWire?.params ?? {},
      ),
    ).toBe(true);
    expect(
      twilio.validateRequest(
        SANDBOX_TEST_AUTH_TOKEN,
        onTheWire?.signature ?? '',
        `${apiOrigin}/v1/twilio/inbound`,
        onTheWire?.params ?? {},
      ),
    ).toBe(false);

    expect(port.inbound.filter((sms) => sms.from === from)).toEqual([
      { messageSid, from, to: SANDBOX_FROM_NUMBER, body: ' yes ', receivedAt: expect.any(String) },
    ]);
  });

  test('the text is in the sandbox store as an inbound message, so the virtual phone shows it', async () => {
    const from = nextNumber();
    const res = await request(apiOrigin)
      .post('/v1/sandbox/inbound')
      .send({ from, body: '1', to: '+15005550010' })
      .expect(202);

    const stored = await store.list({ from });
    expect(stored).toEqual([
      expect.objectContaining({
        sid: res.body.messageSid,
        from,
        to: '+15005550010',
        body: '1',
        direction: 'inbound',
        status: 'received',
      }),
    ]);
    const listed = await request(apiOrigin).get('/v1/sandbox/messages').query({ from }).expect(200);
    expect(listed.body).toEqual([
      {
        sid: res.body.messageSid,
        to: '+15005550010',
        from,
        body: '1',
        status: 'received',
        createdAt: expect.any(String),
      },
    ]);
    expect(port.inbound.find((sms) => sms.from === from)?.to).toBe('+15005550010');
  });

  test('a picture without text: sent as an MMS, answered by the webhook’s TwiML, which the phone receives', async () => {
    const from = nextNumber();
    await request(apiOrigin)
      .post('/v1/sandbox/inbound')
      .send({ from, body: '', media: ['https://example.org/cat.jpg'] })
      .expect(202);
    expect(port.inbound.filter((sms) => sms.from === from)).toEqual([]);
    expect(await store.list({ to: from })).toEqual([
      expect.objectContaining({
        from: SANDBOX_FROM_NUMBER,
        to: from,
        body: 'Clinic: texts only, please',
        direction: 'outbound-reply',
      }),
    ]);
  });

  test('when the webhook cannot hand the reply over (503), the sandbox answers 502 with that status', async () => {
    port.failing = true;
    const from = nextNumber();
    const res = await request(apiOrigin).post('/v1/sandbox/inbound').send({ from, body: 'C' }).expect(502);
    expect(res.body).toEqual({
      messageSid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      status: 503,
      error: { code: 'webhook_failed', message: 'The inbound webhook answered HTTP 503' },
    });
    expect(port.inbound.filter((sms) => sms.from === from)).toEqual([]);
  });

  test('a sandbox signing with another token than the webhook checks is refused by the webhook (502, status 403)', async () => {
    const mismatched = createApp({
      logger: quiet,
      readiness,
      routers: [
        sandboxInboundRouter({
          store,
          apiOrigin,
          authToken: 'f'.repeat(32),
          publicBaseUrl,
          sandboxNumber: SANDBOX_FROM_NUMBER,
          logger: quiet,
        }),
      ],
    });
    const from = nextNumber();
    const res = await request(mismatched).post('/v1/sandbox/inbound').send({ from, body: '1' }).expect(502);
    expect(res.body).toMatchObject({ status: 403, error: { code: 'webhook_failed' } });
    expect(port.inbound.filter((sms) => sms.from === from)).toEqual([]);
  });

  test('an unreachable webhook is a 502 with status null', async () => {
    const closedPort = await freePort();
    const unreachable = createApp({
      logger: quiet,
      readiness,
      routers: [
        sandboxInboundRouter({
          store,
          apiOrigin: `http://127.0.0.1:${closedPort}`,
          authToken: SANDBOX_TEST_AUTH_TOKEN,
          publicBaseUrl,
          sandboxNumber: SANDBOX_FROM_NUMBER,
          logger: quiet,
        }),
      ],
    });
    const res = await request(unreachable)
      .post('/v1/sandbox/inbound')
      .send({ from: nextNumber(), body: '1' })
      .expect(502);
    expect(res.body).toMatchObject({ status: null, error: { code: 'webhook_unreachable' } });
  });

  test('invalid JSON, a from that is not E.164 or a missing body is a 400, and nothing is stored or sent', async () => {
    const countBefore = (await store.list()).length;
    const inboundBefore = port.inbound.length;

    const badJson = await request(apiOrigin)
      .post('/v1/sandbox/inbound')
      .set('Content-Type', 'application/json')
      .send('{"from":"+13035550123",')
      .expect(400);
    expect(badJson.body.error.code).toBe('invalid_json');

    const badFrom = await request(apiOrigin)
      .post('/v1/sandbox/inbound')
      .send({ from: '(303) 555-0123', body: '1' })
      .expect(400);
    expect(badFrom.body.error).toMatchObject({
      code: 'invalid_inbound',
      details: [{ field: 'from', message: expect.stringContaining('E.164') }],
    });

    const missing = await request(apiOrigin).post('/v1/sandbox/inbound').send({ to: 'nope' }).expect(400);
    expect(missing.body.error.details.map((detail: { field: string }) => detail.field).sort()).toEqual([
      'body',
      'from',
      'to',
    ]);

    await request(apiOrigin)
      .post('/v1/sandbox/inbound')
      .set('Content-Type', 'text/plain')
      .send('from=+13035550123&body=1')
      .expect(415);

    expect(await store.list()).toHaveLength(countBefore);
    expect(port.inbound).toHaveLength(inboundBefore);
  });
});
