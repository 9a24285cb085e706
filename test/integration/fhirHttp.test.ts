/**
 * POST /v1/ehr/fhir through a real app on the dev server in sandbox mode: the FHIR router, a real
 * AppointmentGateway, the worker with its real activities, and the built-in Twilio sandbox.
 */
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { createApp } from '../../src/api/app';
import { requireBearerKey } from '../../src/api/auth';
import { fhirRouter } from '../../src/api/fhir';
import { appointmentPolicy } from '../../src/config/policy';
import { AppointmentGateway } from '../../src/ingest/appointmentGateway';
import { logger } from '../../src/log';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import {
  createSandboxPublicRouter,
  createTwilioSandboxRouter,
  type TwilioSandboxRouter,
} from '../../src/sandbox/twilioSandbox';
import { waitFor } from '../helpers/processes';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';
import { startStackWithApp, type AppStack } from '../helpers/sandboxStack';

jest.setTimeout(120_000);

const quiet = logger.child({}, { level: 'silent' });

let stack: AppStack;
let gateway: AppointmentGateway;
let base: string;
let sandbox: TwilioSandboxRouter;

beforeAll(async () => {
  stack = await startStackWithApp(
    'fhir-http',
    { CUSTOMER_NAME: 'Valley Clinic', DEFAULT_TIMEZONE: 'America/Denver' },
    (config, env) => {
      const policy = appointmentPolicy(config);
      gateway = new AppointmentGateway(env.client, config.env.TEMPORAL_TASK_QUEUE, () => policy);
      const store = SandboxMessageStore.inDataDir(config.dataDir);
      sandbox = createTwilioSandboxRouter({
        store,
        authToken: SANDBOX_TEST_AUTH_TOKEN,
        logger: quiet,
        deliveryDelaysMs: { sent: 0, delivered: 0 },
      });
      return createApp({
        logger: quiet,
        readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
        routers: [
          fhirRouter({
            gateway,
            auth: requireBearerKey(config.ehrApiKeys),
            defaultCountry: config.env.DEFAULT_COUNTRY,
            defaultTimezone: config.defaultTimezone,
            logger: quiet,
          }),
          // The worker's sandbox Twilio client sends to 127.0.0.1:PORT, so the sandbox lives in this app.
          sandbox,
          createSandboxPublicRouter(store),
        ],
      });
    },
    () => sandbox.deliveriesSettled(),
  );
  ({ base } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

const FHIR_HEADERS = { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/fhir+json' };

async function post(
  body: string | unknown,
  headers: Record<string, string> = FHIR_HEADERS,
): Promise<{ status: number; contentType: string; json: unknown }> {
  const res = await fetch(`${base}/v1/ehr/fhir`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', json: await res.json() };
}

interface SandboxMessage {
  to: string;
  body: string;
}

async function messagesTo(phone: string): Promise<SandboxMessage[]> {
  const res = await fetch(`${base}/v1/sandbox/messages`);
  return ((await res.json()) as SandboxMessage[]).filter((m) => m.to === phone);
}

/** A booking as an engine posts it: a transaction with urn:uuid references, the start in Denver time. */
function bookingBundle(
  appointmentId: string,
  start: DateTime,
  version: { versionId: string; lastUpdated: string },
): Bundle {
  const uuid = (n: number): string => `urn:uuid:0d6f4a2c-6a1e-4e8b-8f3a-${String(n).padStart(12, '0')}`;
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: uuid(1),
        request: { method: 'PUT', url: `Appointment/${appointmentId}` },
        resource: {
          resourceType: 'Appointment',
          id: appointmentId,
          meta: version,
          status: 'booked',
          start: start.toISO({ suppressMilliseconds: true }) ?? '',
          participant: [
            { actor: { reference: uuid(2) }, status: 'accepted' },
            { actor: { reference: uuid(3) }, status: 'accepted' },
            { actor: { reference: uuid(4) }, status: 'accepted' },
          ],
        },
      },
      {
        fullUrl: uuid(2),
        request: { method: 'PUT', url: 'Patient/P-42' },
        resource: {
          resourceType: 'Patient',
          id: 'P-42',
          name: [{ use: 'official', family: 'López', given: ['Ana'] }],
          telecom: [
            { system: 'phone', value: '(303) 555-0198', use: 'home' },
            { system: 'phone', value: '(303) 555-0143', use: 'mobile' },
          ],
        },
      },
      {
        fullUrl: uuid(3),
        request: { method: 'PUT', url: 'Practitioner/DR-7' },
        resource: {
          resourceType: 'Practitioner',
          id: 'DR-7',
          name: [{ family: 'Smith', given: ['Jo'] }],
          telecom: [{ system: 'phone', value: '303-555-0100', use: 'work' }],
        },
      },
      {
        fullUrl: uuid(4),
        request: { method: 'PUT', url: 'Location/L-1' },
        resource: { resourceType: 'Location', id: 'L-1', name: 'Main St Clinic' },
      },
    ],
  };
}

describe('FHIR appointments over HTTP (sandbox mode, dev server)', () => {
  test('a booked Bundle texts the mobile, a resend is a duplicate, the cancelled version cancels', async () => {
    const appointmentId = `FHIR-${Date.now()}`;
    const start = DateTime.now()
      .setZone('America/Denver')
      .plus({ days: 3 })
      .set({ hour: 9, minute: 30 })
      .startOf('minute');
    const booked = bookingBundle(appointmentId, start, {
      versionId: '1',
      lastUpdated: new Date().toISOString(),
    });

    // FHIR's media type may carry the FHIR version.
    const first = await post(booked, {
      ...FHIR_HEADERS,
      'Content-Type': 'application/fhir+json; fhirVersion=4.0',
    });
    expect(first.status).toBe(202);
    expect(first.json).toEqual({
      workflowId: `appointment-${appointmentId}`,
      appointmentId,
      eventId: `Appointment/${appointmentId}/_history/1`,
      duplicate: false,
    });

    const [bookingText] = await waitFor(
      async () => {
        const list = await messagesTo('+13035550143');
        return list.length >= 1 ? list : undefined;
      },
      { what: 'the booking text' },
    );
    expect(bookingText?.body).toMatch(
      /^Valley Clinic: Hi Ana, your appointment with Jo Smith at Main St Clinic on .* is booked/,
    );
    expect(await messagesTo('+13035550198')).toEqual([]);

    const resend = await post(booked);
    expect(resend.status).toBe(200);
    expect(resend.json).toMatchObject({
      eventId: `Appointment/${appointmentId}/_history/1`,
      duplicate: true,
    });

    const view = await gateway.view(appointmentId);
    expect(view).toMatchObject({ status: 'BOOKED', timeZone: 'America/Denver', start: start.toISO() });

    // The EHR's next version, sent as plain JSON this time.
    const cancelled = bookingBundle(appointmentId, start, {
      versionId: '2',
      lastUpdated: new Date(Date.now() + 1000).toISOString(),
    });
    const appointment = cancelled.entry?.[0]?.resource;
    if (appointment?.resourceType === 'Appointment') appointment.status = 'cancelled';
    const cancel = await post(cancelled, { ...FHIR_HEADERS, 'Content-Type': 'application/json' });
    expect(cancel.status).toBe(202);
    expect(cancel.json).toMatchObject({
      eventId: `Appointment/${appointmentId}/_history/2`,
      duplicate: false,
    });

    const final = await waitFor(
      async () => {
        const v = await gateway.view(appointmentId);
        return v?.status === 'CANCELED' && v.messages.every((m) => m.status !== 'PENDING') ? v : undefined;
      },
      { what: 'the cancellation' },
    );
    expect(final.messages.map((m) => m.kind)).toEqual(['BOOKED', 'CANCELED']);
    expect(final.reminders.every((r) => r.status !== 'PENDING')).toBe(true);
    expect((await messagesTo('+13035550143')).length).toBe(2);
  });

  test('garbage and invalid resources get an OperationOutcome and start nothing', async () => {
    const notJson = await post('MSH|^~\\&|EPIC|||');
    expect(notJson.status).toBe(400);
    expect(notJson.contentType).toMatch(/^application\/fhir\+json/);
    expect(notJson.json).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'invalid', diagnostics: expect.any(String) }],
    });

    const appointmentId = `FHIR-BAD-${Date.now()}`;
    const bad = bookingBundle(appointmentId, DateTime.now().plus({ days: 1 }), {
      versionId: '1',
      lastUpdated: new Date().toISOString(),
    });
    const appointment = bad.entry?.[0]?.resource;
    if (appointment?.resourceType === 'Appointment') delete appointment.start;
    const invalid = await post(bad);
    expect(invalid.status).toBe(400);
    expect(invalid.contentType).toMatch(/^application\/fhir\+json/);
    const outcome = invalid.json as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue.map((i) => [i.severity, i.code, i.expression])).toEqual([
      ['error', 'required', ['Bundle.entry[0].resource.start']],
    ]);
    expect(await gateway.view(appointmentId)).toBeUndefined();

    const wrongType = await post({ resourceType: 'Patient', id: 'P-1' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json).toMatchObject({ issue: [{ code: 'not-supported', expression: ['Patient'] }] });

    // The DSTU2 spelling some engines still send is read too.
    const legacy = await post(
      { resourceType: 'Patient' },
      { ...FHIR_HEADERS, 'Content-Type': 'application/json+fhir' },
    );
    expect(legacy.status).toBe(400);
    expect(legacy.json).toMatchObject({ issue: [{ code: 'not-supported' }] });

    const unauthorised = await post(bad, { 'Content-Type': 'application/fhir+json' });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.json).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });

    const xml = await post('<Appointment xmlns="http://hl7.org/fhir"/>', {
      ...FHIR_HEADERS,
      'Content-Type': 'application/fhir+xml',
    });
    expect(xml.status).toBe(415);
    expect(xml.json).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] });

    const huge = await post({ resourceType: 'Appointment', text: { div: 'x'.repeat(300_000) } });
    expect(huge.status).toBe(413);
    expect(huge.json).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'too-long' }] });
  });

  test('without FHIR_BASE_URL a Patient only referenced is refused (400), nothing started', async () => {
    const appointmentId = `FHIR-REF-${Date.now()}`;
    const referencing = await post({
      resourceType: 'Appointment',
      id: appointmentId,
      meta: { versionId: '1' },
      status: 'booked',
      start: DateTime.now().plus({ days: 2 }).toISO(),
      participant: [{ actor: { reference: 'Patient/example' }, status: 'accepted' }],
    });
    expect(referencing.status).toBe(400);
    expect(referencing.json).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'invalid',
          diagnostics:
            'The Patient reference resolves to no contained resource or Bundle entry: send the Patient with the Appointment (its phone is needed)',
          expression: ['Appointment.participant[0].actor.reference'],
        },
      ],
    });
    expect(await gateway.view(appointmentId)).toBeUndefined();
  });
});
