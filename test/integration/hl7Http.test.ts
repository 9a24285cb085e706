/**
 * HL7 v2 over HTTP, end to end on the dev server: the router, a real AppointmentGateway and worker,
 * and the built-in Twilio sandbox, so an SIU message ends as a text on the patient's mobile.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { DateTime } from 'luxon';
import { Message } from 'node-hl7-client';
import { createApp } from '../../src/api/app';
import { requireBearerKey } from '../../src/api/auth';
import { hl7Router } from '../../src/api/hl7';
import { temporalReadiness } from '../../src/api/readiness';
import type { AppConfig } from '../../src/config';
import { appointmentPolicy } from '../../src/config/policy';
import { AppointmentGateway } from '../../src/ingest/appointmentGateway';
import { logger } from '../../src/log';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { createSandboxPublicRouter, createTwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/processes';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';
import { startStackWithApp, type AppStack } from '../helpers/sandboxStack';

jest.setTimeout(120_000);

const ZONE = 'America/Denver';
const KEY = 'hl7-test-key';
const quiet = logger.child({}, { level: 'silent' });

let stack: AppStack;
let config: AppConfig;
let gateway: AppointmentGateway;
let store: SandboxMessageStore;
let base: string;

beforeAll(async () => {
  stack = await startStackWithApp(
    'hl7-http',
    { CUSTOMER_NAME: 'Valley Clinic', DEFAULT_TIMEZONE: ZONE },
    (cfg, env) => {
      const policy = appointmentPolicy(cfg);
      gateway = new AppointmentGateway(env.client, cfg.env.TEMPORAL_TASK_QUEUE, () => policy);
      store = SandboxMessageStore.inDataDir(cfg.dataDir);
      return createApp({
        logger: quiet,
        readiness: temporalReadiness(env.client, cfg.env.TEMPORAL_NAMESPACE, cfg.env.TEMPORAL_TASK_QUEUE),
        routers: [
          hl7Router({
            gateway,
            auth: requireBearerKey([KEY]),
            defaultCountry: cfg.env.DEFAULT_COUNTRY,
            defaultTimezone: cfg.defaultTimezone,
            logger: quiet,
          }),
          // The worker's sandbox Twilio client sends to this API's origin (config PORT).
          createTwilioSandboxRouter({
            store,
            authToken: SANDBOX_TEST_AUTH_TOKEN,
            logger: quiet,
            deliveryDelaysMs: { sent: 0, delivered: 0 },
          }),
          createSandboxPublicRouter(store),
        ],
      });
    },
  );
  ({ config, base } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function postHl7(
  body: string,
  headers: Record<string, string> = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/hl7-v2' },
): Promise<Answer> {
  const res = await fetch(`${base}/v1/ehr/hl7v2`, { method: 'POST', headers, body });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** MSA-1, MSA-2 and the ERR segments' user messages, read with the HL7 library as an engine would. */
function readAck(text: string): { code: string; controlId: string; errors: string[] } {
  const ack = new Message({ text });
  const errors: string[] = [];
  // By index: the library's stand-in for an absent segment has no forEach.
  const errSegments = ack.get('ERR');
  for (let i = 0; i < errSegments.length; i++) errors.push(errSegments.get(i).get('8').toString());
  return { code: ack.get('MSA.1').toString(), controlId: ack.get('MSA.2').toString(), errors };
}

const hl7Time = (t: DateTime): string => t.toFormat('yyyyMMddHHmmss');

function siu(options: {
  trigger: string;
  controlId: string;
  sentAt: DateTime;
  appointmentId: string;
  start: DateTime;
  phones?: string;
}): string {
  return [
    `MSH|^~\\&|EPIC|VALLEYHEALTH|SMSREMIND|VALLEYHEALTH|${options.sentAt.toFormat('yyyyMMddHHmmss.SSSZZZ')}||SIU^${options.trigger}^SIU_S12|${options.controlId}|P|2.5.1`,
    `SCH||${options.appointmentId}^EPIC|||||ROUTINE|OFFICE VISIT|30|MIN|^^30^${hl7Time(options.start)}`,
    `PID|1||MRN-77^^^EPIC^MR||ROSE^ANA||19850412|F|||||${options.phones ?? '^PRN^PH^^1^303^5550100~^PRN^CP^^1^720^5550177'}||en^English`,
    'AIL|1||VALLEYFM^^^VALLEY^^^^^Valley Family Medicine',
    'AIP|1||1001^SMITH^JO',
  ].join('\r\n');
}

describe('POST /v1/ehr/hl7v2 on the dev server', () => {
  test('S12, S13, S15: each is acknowledged AA, the patient is texted, the appointment ends CANCELED at the new time', async () => {
    const appointmentId = `HL7-${Date.now()}`;
    const booked = DateTime.now()
      .setZone(ZONE)
      .plus({ days: 3 })
      .set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
    const moved = booked.plus({ days: 1 }).set({ hour: 14, minute: 30 });
    const t0 = DateTime.now().setZone(ZONE);
    const messages = [
      siu({ trigger: 'S12', controlId: `${appointmentId}-1`, sentAt: t0, appointmentId, start: booked }),
      siu({
        trigger: 'S13',
        controlId: `${appointmentId}-2`,
        sentAt: t0.plus({ seconds: 1 }),
        appointmentId,
        start: moved,
      }),
      siu({
        trigger: 'S15',
        controlId: `${appointmentId}-3`,
        sentAt: t0.plus({ seconds: 2 }),
        appointmentId,
        start: moved,
      }),
    ];

    const bookedAnswer = await postHl7(messages[0]!);
    expect(bookedAnswer.status).toBe(200);
    expect(bookedAnswer.contentType).toMatch(/^application\/hl7-v2/);
    expect(readAck(bookedAnswer.text)).toEqual({ code: 'AA', controlId: `${appointmentId}-1`, errors: [] });

    // The booking text goes to the mobile repetition of PID-13, not the home phone listed first.
    const [bookingText] = await waitFor(async () => {
      const texts = await store.list({ to: '+17205550177' });
      return texts.length >= 1 ? texts : undefined;
    });
    expect(bookingText?.body).toMatch(
      /^Valley Clinic: Hi Ana, your appointment with Jo Smith at Valley Family Medicine on .* is booked/,
    );
    expect(await store.list({ to: '+13035550100' })).toEqual([]);

    for (const [i, message] of messages.slice(1).entries()) {
      const answer = await postHl7(message);
      expect(answer.status).toBe(200);
      expect(readAck(answer.text)).toEqual({
        code: 'AA',
        controlId: `${appointmentId}-${i + 2}`,
        errors: [],
      });
    }

    const view = await waitFor(async () => {
      const current = await gateway.view(appointmentId);
      return current?.status === 'CANCELED' ? current : undefined;
    });
    expect(view).toMatchObject({
      appointmentId,
      timeZone: ZONE,
      localStart: moved.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    });
    expect(view.start).toBe(moved.toISO());
    expect(view.messages.map((m) => m.kind)).toEqual(['BOOKED', 'RESCHEDULED', 'CANCELED']);

    // A resent message (same MSH-10) is acknowledged again and changes nothing.
    const resent = await postHl7(messages[0]!);
    expect(readAck(resent.text)).toMatchObject({ code: 'AA', controlId: `${appointmentId}-1` });
    expect((await gateway.view(appointmentId))?.status).toBe('CANCELED');
  });

  test('garbage and unsupported messages get AR ACKs and start nothing', async () => {
    const garbage = await postHl7('this is not HL7');
    expect(garbage.status).toBe(200);
    expect(readAck(garbage.text)).toMatchObject({ code: 'AR', controlId: '' });

    const appointmentId = `HL7-BAD-${Date.now()}`;
    const start = DateTime.now().setZone(ZONE).plus({ days: 2 });
    const unsupported = await postHl7(
      siu({ trigger: 'S16', controlId: 'BAD-2', sentAt: DateTime.now(), appointmentId, start }),
    );
    expect(readAck(unsupported.text)).toMatchObject({ code: 'AR', controlId: 'BAD-2' });

    expect(await gateway.view(appointmentId)).toBeUndefined();
  });

  test('a patient without a mobile: AA with a W warning, recorded with the reason; a later number texts', async () => {
    const appointmentId = `HL7-NOPHONE-${Date.now()}`;
    const start = DateTime.now().setZone(ZONE).plus({ days: 2 });
    const t0 = DateTime.now();
    // A landline only (a London number is a fixed line whatever the default country).
    const landline = await postHl7(
      siu({
        trigger: 'S12',
        controlId: ' NP-1',
        sentAt: t0,
        appointmentId,
        start,
        phones: '+442079460958^PRN^PH',
      }),
    );
    // MSA-2 echoes MSH-10 byte for byte, its leading space too.
    expect(readAck(landline.text)).toEqual({
      code: 'AA',
      controlId: ' NP-1',
      errors: ['recorded; no texts: PID-13 holds no mobile number'],
    });
    expect(landline.text).toMatch(/\rERR\|\|PID\^1\^13\|0\^Message accepted\^HL70357\|W\|/);
    const recorded = await waitFor(async () => gateway.view(appointmentId));
    expect(recorded).toMatchObject({ status: 'BOOKED', untextable: 'NOT_MOBILE' });
    expect(recorded.messages).toEqual([
      expect.objectContaining({ kind: 'BOOKED', status: 'SKIPPED', error: 'NOT_MOBILE' }),
    ]);

    // The EHR learns the mobile: the patient gets the booking text they never had.
    const withMobile = await postHl7(
      siu({
        trigger: 'S14',
        controlId: 'NP-2',
        sentAt: t0.plus({ seconds: 1 }),
        appointmentId,
        start,
        phones: '^PRN^CP^^1^720^5550188',
      }),
    );
    expect(readAck(withMobile.text)).toEqual({ code: 'AA', controlId: 'NP-2', errors: [] });
    const [bookingText] = await waitFor(async () => {
      const texts = await store.list({ to: '+17205550188' });
      return texts.length >= 1 ? texts : undefined;
    });
    expect(bookingText?.body).toMatch(/is booked/);
    const textable = await waitFor(async () => {
      const view = await gateway.view(appointmentId);
      return view?.untextable === undefined ? view : undefined;
    });
    expect(textable.messages.map((m) => [m.kind, m.status === 'SKIPPED'])).toEqual([
      ['BOOKED', true],
      ['BOOKED', false],
    ]);
  });

  test('HTTP errors: 401 without the key, 415 for another media type, 413 over 256 KB', async () => {
    const message = siu({
      trigger: 'S12',
      controlId: 'H-1',
      sentAt: DateTime.now(),
      appointmentId: 'HTTP-1',
      start: DateTime.now().plus({ days: 2 }),
    });
    expect((await postHl7(message, { 'Content-Type': 'application/hl7-v2' })).status).toBe(401);
    expect(
      (await postHl7(message, { Authorization: 'Bearer wrong', 'Content-Type': 'application/hl7-v2' }))
        .status,
    ).toBe(401);
    const json = await postHl7('{}', { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' });
    expect(json.status).toBe(415);
    const tooLarge = await postHl7(`${message}\r${'NTE|1||x\r'.repeat(30_000)}`, {
      Authorization: `Bearer ${KEY}`,
      'Content-Type': 'x-application/hl7-v2+er7',
    });
    expect(tooLarge.status).toBe(413);
    expect(await gateway.view('HTTP-1')).toBeUndefined();
  });

  test('every engine media type is read; an empty body is an AR ACK', async () => {
    for (const type of ['text/plain; charset=utf-8', 'application/edi-hl7', 'x-application/hl7-v2+er7']) {
      const answer = await postHl7('MSH|^~\\&|A|B|C|D|20261201083000||ADT^A04|T-1|P|2.5.1', {
        Authorization: `Bearer ${KEY}`,
        'Content-Type': type,
      });
      expect(readAck(answer.text)).toMatchObject({ code: 'AR', controlId: 'T-1' });
    }
    const empty = await postHl7('', { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/hl7-v2' });
    expect(empty.status).toBe(200);
    expect(readAck(empty.text)).toMatchObject({ code: 'AR', controlId: '' });
  });
});

describe('POST /v1/ehr/hl7v2 when Temporal is down', () => {
  test('the sender gets an AR "temporarily unavailable" ACK with Retry-After within the submit timeout, never a 500', async () => {
    const app = createApp({
      logger: quiet,
      readiness: async () => ({ ready: false, temporal: 'unreachable', worker: 'unknown' }),
      routers: [
        hl7Router({
          // A real client whose Temporal address has nothing listening.
          gateway: new AppointmentGateway(
            new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) }),
            'unused',
            () => appointmentPolicy(config),
            { submitTimeoutMs: 1_000 },
          ),
          auth: requireBearerKey([KEY]),
          defaultCountry: 'US',
          defaultTimezone: ZONE,
          logger: quiet,
        }),
      ],
    });
    const down = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const address = down.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/ehr/hl7v2`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/hl7-v2' },
        body: siu({
          trigger: 'S12',
          controlId: 'DOWN-1',
          sentAt: DateTime.now(),
          appointmentId: 'DOWN-1',
          start: DateTime.now().plus({ days: 2 }),
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('retry-after')).toBe('5');
      const ack = readAck(await res.text());
      expect(ack).toMatchObject({ code: 'AR', controlId: 'DOWN-1' });
      expect(ack.errors[0]).toMatch(/temporarily unavailable/);
      // Bounded by TEMPORAL_SUBMIT_TIMEOUT_MS, not by the client's 20-odd seconds of retries.
      expect(performance.now() - started).toBeLessThan(2_500);
    } finally {
      await new Promise<void>((resolve) => down.close(() => resolve()));
    }
  });
});
