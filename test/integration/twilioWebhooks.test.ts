/**
 * The Twilio webhooks over real HTTP, signed with the real `twilio` helpers (no mocks): only requests Twilio signed
 * for PUBLIC_BASE_URL reach the conversation port; the port's failures become 503s so Twilio can retry; and the
 * sandbox's signed status callbacks validate end to end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import twilio from 'twilio';
import { createSandboxTwilioClient, sandboxTwilioBaseUrl } from '../../src/activities/twilioClient';
import { createApp } from '../../src/api/app';
import { twilioWebhooksRouter, type ConversationPort } from '../../src/api/twilioWebhooks';
import { logger, type Logger } from '../../src/log';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { createTwilioSandboxRouter, type TwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import { capturingLogger } from '../helpers/logLines';
import { RecordingPort } from '../helpers/recordingPort';
import { freePort } from '../helpers/ports';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';

const quiet = logger.child({}, { level: 'silent' });
const AUTH_TOKEN = '12345678901234567890123456789012';
/** Twilio calls the public URL (here behind a proxy); supertest reaches the app on some loopback port. */
const PUBLIC_BASE_URL = 'https://clinic.example.org';
const INBOUND_URL = `${PUBLIC_BASE_URL}/v1/twilio/inbound`;
const STATUS_URL = `${PUBLIC_BASE_URL}/v1/twilio/status`;
const PATIENT = '+13035550123';
const CLINIC = '+15005550006';
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/** The conversation side, in memory: records what it is handed, or fails while `failing` is set. */
let sidCounter = 0;
const nextSid = (): string => `SM${(++sidCounter).toString(16).padStart(32, '0')}`;

/** Twilio's inbound message form (the fields it sends for an SMS). */
function inboundForm(body: string, sid = nextSid()): Record<string, string> {
  return {
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: '0',
    SmsSid: sid,
    SmsStatus: 'received',
    Body: body,
    To: CLINIC,
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: `AC${'1'.repeat(32)}`,
    From: PATIENT,
    ApiVersion: '2010-04-01',
  };
}

const sign = (url: string, params: Record<string, string>, token = AUTH_TOKEN): string =>
  twilio.getExpectedTwilioSignature(token, url, params);

/** POSTs `form` to the inbound webhook as Twilio does; signed for INBOUND_URL unless a `signature` is given. */
function postInbound(
  app: Express,
  form: Record<string, string>,
  signature = sign(INBOUND_URL, form),
): request.Test {
  return request(app).post('/v1/twilio/inbound').type('form').set('X-Twilio-Signature', signature).send(form);
}

/** POSTs `form` to the status webhook (with `query`) as Twilio does; signed for that URL unless told otherwise. */
function postStatus(
  app: Express,
  form: Record<string, string>,
  query = '',
  signature = sign(`${STATUS_URL}${query}`, form),
): request.Test {
  return request(app)
    .post(`/v1/twilio/status${query}`)
    .type('form')
    .set('X-Twilio-Signature', signature)
    .send(form);
}

function appWith(port: ConversationPort, log: Logger = quiet, mediaOnlyAnswer?: string): Express {
  return createApp({
    logger: log,
    readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
    routers: [
      twilioWebhooksRouter({
        port,
        authToken: AUTH_TOKEN,
        publicBaseUrl: PUBLIC_BASE_URL,
        logger: log,
        ...(mediaOnlyAnswer === undefined ? {} : { mediaOnlyAnswer }),
      }),
    ],
  });
}

describe('POST /v1/twilio/inbound', () => {
  test('a text Twilio signed reaches the conversation port as typed and is answered with empty TwiML', async () => {
    const port = new RecordingPort();
    const form = inboundForm(' Yes, thanks ');
    const before = Date.now();

    const res = await postInbound(appWith(port), form).expect(200);

    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.text).toBe(EMPTY_TWIML);
    expect(port.inbound).toEqual([
      {
        messageSid: form.MessageSid,
        from: PATIENT,
        to: CLINIC,
        body: ' Yes, thanks ',
        receivedAt: expect.any(String),
      },
    ]);
    const receivedAt = Date.parse(port.inbound[0]?.receivedAt ?? '');
    expect(receivedAt).toBeGreaterThanOrEqual(before - 1);
    expect(receivedAt).toBeLessThanOrEqual(Date.now());
  });

  test('a form over the webhooks’ 64 KB limit is refused 413 and routes nothing; one just under goes through', async () => {
    const port = new RecordingPort();
    await postInbound(appWith(port), inboundForm('x'.repeat(70_000))).expect(413);
    expect(port.inbound).toEqual([]);
    await postInbound(appWith(port), inboundForm('x'.repeat(60_000))).expect(200);
    expect(port.inbound).toHaveLength(1); // its Body kept to Twilio's longest (1,600 characters)
  });

  test('an empty Body (a picture without text) is still a valid inbound message', async () => {
    const port = new RecordingPort();
    const form = { ...inboundForm(''), NumMedia: '1' };
    await postInbound(appWith(port), form).expect(200);
    expect(port.inbound.map((sms) => sms.body)).toEqual(['']);
  });

  test('a picture without text (no Body field at all) gets the "texts only" TwiML answer and routes nothing', async () => {
    const port = new RecordingPort();
    const form: Record<string, string> = {
      ...inboundForm(''),
      NumMedia: '2',
      MediaUrl0: 'https://api.twilio.com/media/cat.jpg',
      MediaUrl1: 'https://api.twilio.com/media/dog.jpg',
      MediaContentType0: 'image/jpeg',
    };
    // Twilio sends no Body field at all for media without text.
    delete form.Body;
    const res = await postInbound(
      appWith(port, quiet, 'Clinic: we can only read text & "replies"'),
      form,
    ).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Clinic: we can only read text &amp; "replies"</Message></Response>',
    );
    expect(port.inbound).toEqual([]);
  });

  test('a picture with a caption is an ordinary reply; short-code and add-on fields are ignored', async () => {
    const port = new RecordingPort();
    const form = {
      ...inboundForm('yes'),
      NumMedia: '1',
      MediaUrl0: 'https://api.twilio.com/media/cat.jpg',
      AddOns: '{"status":"successful","results":{}}',
      ToCountry: 'US',
      To: '55555',
    };
    await postInbound(appWith(port, quiet, 'texts only'), form).expect(200, EMPTY_TWIML);
    expect(port.inbound.map((sms) => [sms.body, sms.to])).toEqual([['yes', '55555']]);
  });

  test('a forged signature is refused with 403 and the port sees nothing', async () => {
    const port = new RecordingPort();
    const form = inboundForm('1');
    const res = await postInbound(appWith(port), form, sign(INBOUND_URL, form, 'f'.repeat(32))).expect(403);
    expect(res.body).toEqual({
      error: { code: 'invalid_signature', message: 'X-Twilio-Signature is missing or does not match' },
    });
    expect(port.inbound).toEqual([]);
  });

  test('a signature made for another URL is refused', async () => {
    const port = new RecordingPort();
    const app = appWith(port);
    const form = inboundForm('1');
    for (const otherUrl of [
      STATUS_URL, // another of our webhooks
      'http://127.0.0.1:3000/v1/twilio/inbound', // the internal address, not PUBLIC_BASE_URL
      'https://attacker.example.com/v1/twilio/inbound',
    ]) {
      await postInbound(app, form, sign(otherUrl, form)).expect(403);
    }
    expect(port.inbound).toEqual([]);
  });

  test('a request without X-Twilio-Signature is refused', async () => {
    const port = new RecordingPort();
    await request(appWith(port)).post('/v1/twilio/inbound').type('form').send(inboundForm('1')).expect(403);
    expect(port.inbound).toEqual([]);
  });

  test('a changed Body breaks the signature (the form is signed, not just the URL)', async () => {
    const port = new RecordingPort();
    const signed = inboundForm('2');
    await postInbound(appWith(port), { ...signed, Body: '1' }, sign(INBOUND_URL, signed)).expect(403);
    expect(port.inbound).toEqual([]);
  });

  test('a signed but incomplete form is a 400 naming every missing field', async () => {
    const port = new RecordingPort();
    const { MessageSid: _sid, From: _from, ...form } = inboundForm('1');
    const res = await postInbound(appWith(port), form).expect(400);
    expect(res.body.error.code).toBe('invalid_form');
    expect(res.body.error.details.map((detail: { field: string }) => detail.field).sort()).toEqual([
      'From',
      'MessageSid',
    ]);
    expect(port.inbound).toEqual([]);
  });

  test('when the port cannot take the reply the webhook answers 503, and Twilio’s retry then succeeds', async () => {
    const port = new RecordingPort();
    const app = appWith(port);
    const form = inboundForm('C');
    const signature = sign(INBOUND_URL, form);

    port.failing = true;
    const failed = await postInbound(app, form, signature).expect(503);
    expect(failed.body.error.code).toBe('unavailable');

    port.failing = false;
    await postInbound(app, form, signature).expect(200);
    expect(port.inbound.map((sms) => sms.messageSid)).toEqual([form.MessageSid]);
  });

  test('logs carry the MessageSid and outcome, never the phone number or the text', async () => {
    const lines: string[] = [];
    const captured = capturingLogger(lines, 'trace');
    const port = new RecordingPort();
    const app = appWith(port, captured);
    const form = inboundForm('Please call me back about my biopsy');

    await postInbound(app, form).expect(200);
    port.failing = true;
    await postInbound(app, form).expect(503);
    await request(app).post('/v1/twilio/inbound').type('form').send(form).expect(403);

    const text = lines.join('');
    expect(text).toContain(form.MessageSid);
    expect(text).toContain('"outcome":"delivered"');
    expect(text).toContain('"outcome":"port_failed"');
    expect(text).toContain('"outcome":"missing_signature"');
    expect(text).not.toContain(PATIENT.slice(1));
    expect(text).not.toContain('biopsy');
  });
});

describe('POST /v1/twilio/status', () => {
  const statusForm = (
    sid: string,
    status: string,
    extra: Record<string, string> = {},
  ): Record<string, string> => ({
    AccountSid: `AC${'1'.repeat(32)}`,
    ApiVersion: '2010-04-01',
    From: CLINIC,
    MessageSid: sid,
    MessageStatus: status,
    SmsSid: sid,
    SmsStatus: status,
    To: PATIENT,
    ...extra,
  });

  test('a signed delivery report reaches the port with its error code and the appointment from the URL', async () => {
    const port = new RecordingPort();
    const sid = nextSid();
    const form = statusForm(sid, 'undelivered', { ErrorCode: '30003' });
    // sendSms gives Twilio `…/v1/twilio/status?appointmentId=…`; Twilio signs that URL, query string included.
    await postStatus(appWith(port), form, '?appointmentId=A%3A100').expect(204);
    expect(port.statuses).toEqual([
      { messageSid: sid, status: 'undelivered', errorCode: 30003, to: PATIENT, appointmentId: 'A:100' },
    ]);
  });

  test('an appointment id that ingest could never have accepted is refused and names no workflow', async () => {
    const port = new RecordingPort();
    const form = statusForm(nextSid(), 'delivered');
    await postStatus(appWith(port), form, '?appointmentId=..%2Fother').expect(400);
    expect(port.statuses).toEqual([]);
  });

  test('a report without ErrorCode or appointment is passed on as it is', async () => {
    const port = new RecordingPort();
    const sid = nextSid();
    const form = statusForm(sid, 'delivered');
    await postStatus(appWith(port), form).expect(204);
    expect(port.statuses).toEqual([{ messageSid: sid, status: 'delivered', to: PATIENT }]);
  });

  test('a report with fields we do not use (raw DLR, channel extras) still applies', async () => {
    const port = new RecordingPort();
    const sid = nextSid();
    const form = {
      ...statusForm(sid, 'delivered'),
      RawDlrDoneDate: '2303222338',
      ChannelPrefix: 'sms',
      SmsStatus: 'delivered',
    };
    await postStatus(appWith(port), form).expect(204);
    expect(port.statuses).toEqual([{ messageSid: sid, status: 'delivered', to: PATIENT }]);
  });

  test('the query string is part of what Twilio signs: a signature without it is refused', async () => {
    const port = new RecordingPort();
    const form = statusForm(nextSid(), 'delivered');
    await postStatus(appWith(port), form, '?appointmentId=A100', sign(STATUS_URL, form)).expect(403);
    await request(appWith(port)).post('/v1/twilio/status').type('form').send(form).expect(403);
    expect(port.statuses).toEqual([]);
  });

  test('a signed report without MessageStatus is a 400; a failing port is a 503', async () => {
    const port = new RecordingPort();
    const app = appWith(port);
    const { MessageStatus: _status, ...incomplete } = statusForm(nextSid(), 'sent');
    const bad = await postStatus(app, incomplete).expect(400);
    expect(bad.body.error.details).toEqual([{ field: 'MessageStatus', message: expect.any(String) }]);

    port.failing = true;
    const form = statusForm(nextSid(), 'sent');
    await postStatus(app, form).expect(503);
    expect(port.statuses).toEqual([]);
  });

  describe('with the Twilio sandbox calling back over HTTP', () => {
    let dataDir: string;
    let server: Server;
    let sandbox: TwilioSandboxRouter;
    let origin: string;
    const port = new RecordingPort();

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'twilio-webhooks-'));
      sandbox = createTwilioSandboxRouter({
        authToken: SANDBOX_TEST_AUTH_TOKEN,
        store: SandboxMessageStore.inDataDir(dataDir),
        logger: quiet,
        deliveryDelaysMs: { sent: 0, delivered: 0 },
      });
      const listenPort = await freePort();
      origin = `http://127.0.0.1:${listenPort}`;
      const app = createApp({
        logger: quiet,
        readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
        routers: [
          sandbox,
          // In sandbox mode the public base URL is the API itself and the sandbox account's token signs.
          twilioWebhooksRouter({
            port,
            authToken: SANDBOX_TEST_AUTH_TOKEN,
            publicBaseUrl: origin,
            logger: quiet,
          }),
        ],
      });
      server = await new Promise<Server>((resolve) => {
        const listening = app.listen(listenPort, '127.0.0.1', () => resolve(listening));
      });
    });

    afterAll(async () => {
      await sandbox?.deliveriesSettled();
      await new Promise((resolve) => server?.close(resolve));
      await rm(dataDir, { recursive: true, force: true });
    });

    test('status callbacks the sandbox signs validate and reach the port: sent, then delivered', async () => {
      const client = createSandboxTwilioClient(sandboxTwilioBaseUrl(origin), SANDBOX_TEST_AUTH_TOKEN);
      const message = await client.messages.create({
        to: PATIENT,
        from: CLINIC,
        body: 'See you Thursday',
        statusCallback: `${origin}/v1/twilio/status?appointmentId=A100`,
      });
      await sandbox.deliveriesSettled();

      expect(port.statuses).toEqual([
        { messageSid: message.sid, status: 'sent', to: PATIENT, appointmentId: 'A100' },
        { messageSid: message.sid, status: 'delivered', to: PATIENT, appointmentId: 'A100' },
      ]);
    });

    test('an undeliverable text reports its carrier error code', async () => {
      const client = createSandboxTwilioClient(sandboxTwilioBaseUrl(origin), SANDBOX_TEST_AUTH_TOKEN);
      const message = await client.messages.create({
        to: '+15005553006',
        from: CLINIC,
        body: 'See you Thursday',
        statusCallback: `${origin}/v1/twilio/status`,
      });
      await sandbox.deliveriesSettled();

      expect(port.statuses.filter((status) => status.messageSid === message.sid)).toEqual([
        { messageSid: message.sid, status: 'sent', to: '+15005553006' },
        { messageSid: message.sid, status: 'undelivered', errorCode: 30006, to: '+15005553006' },
      ]);
    });
  });
});
