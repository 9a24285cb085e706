/**
 * Through the HTTP API on the dev server in sandbox mode: the same path an integration engine
 * takes, with the worker, the real twilio SDK and the built-in sandbox.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import type { AppConfig } from '../../src/config';
import { appointmentWorkflowId, type AppointmentView } from '../../src/shared/appointment';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { phoneWorkflowId } from '../../src/ingest/phoneIds';
import { waitFor } from '../helpers/processes';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';

jest.setTimeout(120_000);

let stack: SandboxStack;
let env: TestWorkflowEnvironment;
let config: AppConfig;
let base: string;

beforeAll(async () => {
  stack = await startSandboxStack('e2e', {
    // One reminder a minute before the appointment, so a real timer fires within the test.
    REMINDER_FIRST_TIMING: '0001',
    REMINDER_SECOND_TIMING: '0000',
    CUSTOMER_NAME: 'Valley Clinic',
  });
  ({ env, config, base } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** The fields of our API answers these tests read; anything else is ignored. */
interface ApiJson {
  duplicate?: boolean;
  status?: string;
  start?: string;
  messages: Array<{ kind: string; status: string; sentAt: string | null; error?: string }>;
  error: { code: string; details: Array<{ field: string }> };
  [field: string]: unknown;
}

const auth = { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/json' };

async function post(
  body: unknown,
  headers: Record<string, string> = auth,
): Promise<{ status: number; json: ApiJson }> {
  const res = await fetch(`${base}/v1/ehr/events`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as ApiJson };
}

async function get(
  url: string,
  headers: Record<string, string> = auth,
): Promise<{ status: number; json: ApiJson }> {
  const res = await fetch(`${base}${url}`, { headers });
  return { status: res.status, json: (await res.json()) as ApiJson };
}

interface SandboxMessage {
  sid: string;
  to: string;
  body: string;
  status: string;
}

async function messagesTo(phone: string): Promise<SandboxMessage[]> {
  const res = await fetch(`${base}/v1/sandbox/messages`);
  return ((await res.json()) as SandboxMessage[]).filter((m) => m.to === phone);
}

describe('EHR events through the API (sandbox mode, dev server)', () => {
  test('booking texts at once, the reminder fires on its minute, a replay is a duplicate, cancel stops it all', async () => {
    const appointmentId = `E2E-${Date.now()}`;
    const phone = '+13035550142';
    // 80 s ahead in the patient's zone: the 1-minute reminder is due 20 s from now.
    const start = DateTime.now().setZone('America/Denver').plus({ seconds: 80 }).startOf('second');
    const booked = {
      event_type: 'BOOKED',
      event_id: `${appointmentId}-1`,
      event_datetime_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      appointment_id: appointmentId,
      appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
      appointment_timezone: 'America/Denver',
      appointment_location: 'Main St Clinic',
      patient_id: 'P-42',
      patient_first_name: 'Ana',
      patient_phone: '(303) 555-0142',
      provider_first_name: 'Jo',
      provider_last_name: 'Smith',
      provider_callback_phone: '303-555-0100',
    };

    const first = await post(booked);
    expect(first.status).toBe(202);
    expect(first.json).toEqual({
      workflowId: `appointment-${appointmentId}`,
      appointmentId,
      eventId: `${appointmentId}-1`,
      duplicate: false,
    });

    const [bookingText] = await waitFor(async () => {
      const list = await messagesTo(phone);
      return list.length >= 1 ? list : undefined;
    });
    expect(bookingText?.body).toMatch(
      /^Valley Clinic: Hi Ana, your appointment with Jo Smith at Main St Clinic on .* is booked/,
    );

    const replay = await post(booked);
    expect(replay.status).toBe(200);
    expect(replay.json.duplicate).toBe(true);

    // The number's conversation, as the Web UI lists it (issue 14.4): its summary and the appointments it routes for.
    const conversation = env.client.workflow.getHandle(phoneWorkflowId(phone, config.phoneIdKey));
    expect(await (await conversation.describe()).staticSummary()).toMatch(/^Phone conversation/);
    const details = await waitFor(async () => {
      const { currentDetails } = await conversation.query(workflowMetadataQuery);
      return currentDetails?.includes(appointmentId) ? currentDetails : undefined;
    });
    expect(details).toBe(`1 appointment: ${appointmentId} BOOKED`);

    const view = await get(`/v1/appointments/${appointmentId}`);
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ appointmentId, status: 'BOOKED', timeZone: 'America/Denver' });
    expect(view.json.start).toBe(start.toISO());
    expect(view.json.reminders).toEqual([
      expect.objectContaining({
        kind: 'FIRST',
        sendAt: start.minus({ minutes: 1 }).toUTC().toISO(),
        status: 'PENDING',
      }),
    ]);

    const reminderAt = start.minus({ minutes: 1 }).toMillis();
    const afterReminder = await waitFor(
      async () => {
        const list = await messagesTo(phone);
        return list.length >= 2 ? list : undefined;
      },
      { timeoutMs: 60_000, what: 'the reminder text' },
    );
    expect(afterReminder[1]?.body).toContain('this is a reminder');
    const sentAt = (await get(`/v1/appointments/${appointmentId}`)).json.messages[1]?.sentAt ?? '';
    expect(Date.parse(sentAt)).toBeGreaterThanOrEqual(reminderAt);
    expect(Date.parse(sentAt) - reminderAt).toBeLessThan(5_000);

    const canceled = await post({
      ...booked,
      event_type: 'CANCELED',
      event_id: `${appointmentId}-2`,
      event_datetime_utc: new Date(Date.now() + 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    expect(canceled.status).toBe(202);
    const final = await waitFor(async () => {
      const v = (await get(`/v1/appointments/${appointmentId}`)).json;
      return v.status === 'CANCELED' && v.messages.every((m) => m.status !== 'PENDING') ? v : undefined;
    });
    expect(final.messages.map((m) => m.kind)).toEqual(['BOOKED', 'REMINDER', 'CANCELED']);
    expect((await messagesTo(phone)).length).toBe(3);

    // Operators find it by status in the Web UI's list query.
    const found = await waitFor(async () => {
      const ids: string[] = [];
      for await (const wf of env.client.workflow.list({
        query: `AppointmentId = "${appointmentId}" AND AppointmentStatus = "CANCELED"`,
      })) {
        ids.push(wf.workflowId);
      }
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toEqual([`appointment-${appointmentId}`]);

    const snapshot = path.join(
      config.dataDir,
      'snapshots',
      'clinic',
      'appointments',
      `${appointmentId}.json`,
    );
    await waitFor(() => (existsSync(snapshot) ? true : undefined), { what: snapshot });
  });

  test('delivery reports reach the appointment end to end: status webhook → workflow → GET shows DELIVERED or UNDELIVERED', async () => {
    const event = (appointmentId: string, phone: string) => ({
      event_type: 'BOOKED',
      event_id: `${appointmentId}-1`,
      event_datetime_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      appointment_id: appointmentId,
      appointment_datetime: DateTime.now()
        .setZone('America/Denver')
        .plus({ days: 10 })
        .toFormat("yyyy-MM-dd'T'HH:mm:ss"),
      appointment_timezone: 'America/Denver',
      patient_id: 'P-43',
      patient_first_name: 'Ana',
      patient_phone: phone,
    });
    const delivered = `E2E-DLR-${Date.now()}`;
    // The sandbox reports texts to this number as undelivered (carrier error 30003).
    const undelivered = `E2E-UND-${Date.now()}`;
    expect((await post(event(delivered, '+13035550143'))).status).toBe(202);
    expect((await post(event(undelivered, '+15005553003'))).status).toBe(202);
    const statusOf = async (id: string): Promise<ApiJson['messages'][number] | undefined> =>
      (await get(`/v1/appointments/${id}`)).json.messages?.[0];
    const ok = await waitFor(
      async () => {
        const m = await statusOf(delivered);
        return m?.status === 'DELIVERED' ? m : undefined;
      },
      { what: 'DELIVERED in the appointment view' },
    );
    expect(ok.kind).toBe('BOOKED');
    const failed = await waitFor(
      async () => {
        const m = await statusOf(undelivered);
        return m?.status === 'UNDELIVERED' ? m : undefined;
      },
      { what: 'UNDELIVERED in the appointment view' },
    );
    expect(failed).toMatchObject({ kind: 'BOOKED', error: 'SmsDeliveryFailure:30003' });
  });

  test('a cancellation without a time applies to the known appointment; for an unknown one it is refused in every format and starts nothing', async () => {
    const appointmentId = `E2E-UNTIMED-${Date.now()}`;
    const phone = '+13035550177';
    const start = DateTime.now()
      .setZone('America/Denver')
      .plus({ days: 3 })
      .set({ hour: 9, minute: 30, second: 0, millisecond: 0 });
    const patient = { patient_id: 'P-77', patient_first_name: 'Ana', patient_phone: phone };
    expect(
      (
        await post({
          event_type: 'BOOKED',
          appointment_id: appointmentId,
          appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
          appointment_timezone: 'America/Denver',
          ...patient,
        })
      ).status,
    ).toBe(202);
    const canceled = await post({ event_type: 'CANCELED', appointment_id: appointmentId, ...patient });
    expect(canceled.status).toBe(202);
    const view = await waitFor(async () => {
      const { json } = await get(`/v1/appointments/${appointmentId}`);
      return json.status === 'CANCELED' ? json : undefined;
    });
    expect(view.start).toBe(start.toISO());
    // The cancellation text names the known time.
    const cancelText = await waitFor(async () =>
      (await messagesTo(phone)).find((m) => /cancel/i.test(m.body) && m.body.includes('9:30')),
    );
    expect(cancelText).toBeDefined();

    const unknownId = `E2E-UNKNOWN-${Date.now()}`;
    const refused = await post({ event_type: 'NOSHOWED', appointment_id: unknownId, ...patient });
    expect(refused.status).toBe(400);
    expect(refused.json.error.details.map((d) => d.field)).toEqual(['appointment_datetime']);

    const hl7 = await fetch(`${base}/v1/ehr/hl7v2`, {
      method: 'POST',
      headers: { Authorization: auth.Authorization, 'Content-Type': 'application/hl7-v2' },
      body: [
        `MSH|^~\\&|EHR|CLINIC|SMS|CLINIC|20261201083000||SIU^S15^SIU_S12|UNTIMED-${Date.now()}|P|2.5.1`,
        `SCH||${unknownId}`,
        'PID|1||P-77||ROSE^ANA||||||||^PRN^CP^^1^303^5550177',
      ].join('\r'),
    });
    const ack = await hl7.text();
    expect(ack).toMatch(/MSA\|AE\|/);
    expect(ack).toMatch(/ERR\|.*SCH\^1\^11/);

    const fhir = await fetch(`${base}/v1/ehr/fhir`, {
      method: 'POST',
      headers: { Authorization: auth.Authorization, 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Appointment',
        id: unknownId,
        status: 'cancelled',
        contained: [
          { resourceType: 'Patient', id: 'p', telecom: [{ system: 'phone', use: 'mobile', value: phone }] },
        ],
        participant: [{ actor: { reference: '#p' }, status: 'accepted' }],
      }),
    });
    expect(fhir.status).toBe(400);
    expect(JSON.stringify(await fhir.json())).toContain('Appointment.start');

    // Nothing was started for the unknown appointment.
    expect((await get(`/v1/appointments/${unknownId}`)).status).toBe(404);
  });

  test('a patient without a number that can be texted: 202 with the reason, recorded, nothing texted', async () => {
    const appointmentId = `E2E-NOPHONE-${Date.now()}`;
    const accepted = await post({
      event_type: 'BOOKED',
      appointment_id: appointmentId,
      appointment_datetime: '2030-06-03T09:30:00',
      appointment_timezone: 'America/Denver',
      patient_id: 'P1',
      patient_phone: '***-***-0123',
    });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ appointmentId, duplicate: false, untextable: 'MASKED_PHONE' });
    const view = await waitFor(async () => {
      const answer = await get(`/v1/appointments/${appointmentId}`);
      const current = answer.status === 200 ? (answer.json as unknown as AppointmentView) : undefined;
      return current && current.messages.length > 0 ? current : undefined;
    });
    expect(view).toMatchObject({ status: 'BOOKED', untextable: 'MASKED_PHONE' });
    expect(view.messages).toEqual([
      expect.objectContaining({ kind: 'BOOKED', status: 'SKIPPED', sid: null, error: 'MASKED_PHONE' }),
    ]);

    // What the Web UI lists (issue 14.4): a summary at start, current details as the state changes; no PHI.
    const handle = env.client.workflow.getHandle(appointmentWorkflowId(appointmentId));
    expect(await (await handle.describe()).staticSummary()).toBe(`Appointment ${appointmentId}`);
    const metadata = await handle.query(workflowMetadataQuery);
    expect(metadata.currentDetails).toMatch(
      /^BOOKED · starts 2030-06-03 09:30 America\/Denver · next reminder 06-\d\d \d\d:\d\d · cannot be texted: MASKED_PHONE$/,
    );
  });

  test('bad input gets a clear error and starts nothing', async () => {
    const unauthorised = await post({ event_type: 'BOOKED' }, { 'Content-Type': 'application/json' });
    expect(unauthorised.status).toBe(401);

    const invalid = await post({
      event_type: 'BOOKED',
      appointment_id: 'BAD-1',
      appointment_datetime: '2026-13-01T25:00:00',
      appointment_timezone: 'Mars/Olympus',
      patient_id: 'P1',
      patient_phone: '+13035550123',
      patient_language: 'english!',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.details.map((d) => d.field).sort()).toEqual(
      ['appointment_datetime', 'appointment_timezone', 'patient_language'].sort(),
    );
    expect((await get('/v1/appointments/BAD-1')).status).toBe(404);
    expect((await get('/v1/appointments/not%20an%20id')).status).toBe(404);
    expect((await get('/v1/appointments/BAD-1', {})).status).toBe(401);
  });
});
