/**
 * FHIR Subscription notifications (issue 12.4) through the whole stack (API + worker on a dev server,
 * sandbox Twilio) against the test FHIR server as the EHR: R5 id-only (the Appointment read from the
 * EHR), R4 rest-hook with the resource (PUT endpoint/Appointment/id) and without (the URL names it),
 * handshakes; each applied once however often it is resent.
 */
import type { Appointment, Location, Patient, Practitioner } from '@medplum/fhirtypes';
import { Client, Connection } from '@temporalio/client';
import { DateTime } from 'luxon';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { apiRouters } from '../../src/composition/api';
import { createGateways } from '../../src/composition/gateways';
import { parseConfig } from '../../src/config';
import { logger } from '../../src/log';
import { sandboxEnv } from '../helpers/config';
import { r5Notification } from '../helpers/fhirNotifications';
import { startFhirServer, type FhirTestServer } from '../helpers/fhirServer';
import { waitFor } from '../helpers/processes';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';

jest.setTimeout(120_000);

const ZONE = 'America/Denver';
const MOBILE = '+13035550144';
const patient: Patient = {
  resourceType: 'Patient',
  id: 'notified-patient',
  name: [{ family: 'Ortega', given: ['Luz'] }],
  telecom: [{ system: 'phone', value: '(303) 555-0144', use: 'mobile' }],
};
const practitioner: Practitioner = {
  resourceType: 'Practitioner',
  id: 'dr-kim',
  name: [{ family: 'Kim', given: ['Jo'] }],
};
const location: Location = { resourceType: 'Location', id: 'east-clinic', name: 'East Clinic' };

function appointment(id: string): Appointment {
  const start = DateTime.now().setZone(ZONE).plus({ days: 4 }).set({ hour: 11, minute: 0 }).startOf('minute');
  return {
    resourceType: 'Appointment',
    id,
    status: 'booked',
    start: start.toISO({ suppressMilliseconds: true }) ?? '',
    participant: [
      { actor: { reference: 'Patient/notified-patient' }, status: 'accepted' },
      { actor: { reference: 'Practitioner/dr-kim' }, status: 'accepted' },
      { actor: { reference: 'Location/east-clinic' }, status: 'accepted' },
    ],
  };
}

/** An R5 topic-based id-only notification naming one Appointment. */
function idOnlyNotification(reference: string, eventNumber: string) {
  return r5Notification({
    type: 'event-notification',
    subscription: 'Subscription/appointments',
    events: [{ eventNumber, focus: reference }],
  });
}

const headers = { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/fhir+json' };

let fhir: FhirTestServer;
let stack: SandboxStack;

beforeAll(async () => {
  fhir = await startFhirServer({ seed: [patient, practitioner, location] });
  stack = await startSandboxStack('fhir-notify', {
    CUSTOMER_NAME: 'Valley Clinic',
    DEFAULT_TIMEZONE: ZONE,
    FHIR_BASE_URL: fhir.baseUrl,
  });
});

afterAll(async () => {
  await stack?.stop();
  await fhir?.close();
});

async function notify(path: string, body?: unknown, method = 'POST') {
  const res = await fetch(`${stack.base}/v1/ehr/fhir/notifications${path}`, {
    method,
    headers: body === undefined ? { Authorization: 'Bearer sandbox-key' } : headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function textsTo(phone: string): Promise<string[]> {
  const res = await fetch(`${stack.base}/v1/sandbox/messages`);
  return ((await res.json()) as Array<{ to: string; body: string }>)
    .filter((m) => m.to === phone)
    .map((m) => m.body);
}

/** Puts the Appointment on the EHR (a new version each time), as the EHR does before it notifies. */
async function onTheEhr(resource: Appointment): Promise<void> {
  const res = await fetch(`${fhir.baseUrl}/Appointment/${resource.id}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(resource),
  });
  expect(res.status).toBeLessThan(300);
}

async function textCount(atLeast: number): Promise<string[]> {
  return waitFor(
    async () => {
      const texts = await textsTo(MOBILE);
      return texts.length >= atLeast ? texts : undefined;
    },
    { what: `${atLeast} texts`, timeoutMs: 60_000 },
  );
}

describe('FHIR Subscription notifications', () => {
  test('R5 id-only: the Appointment and what it references are read from the EHR; a resend applies once', async () => {
    const id = `NOTIFY-${Date.now()}`;
    await onTheEhr(appointment(id));
    const before = (await textsTo(MOBILE)).length;
    const first = await notify('', idOnlyNotification(`Appointment/${id}`, '7'));
    expect(first).toMatchObject({ status: 200, json: { type: 'event-notification' } });
    expect(first.json.appointments).toEqual([expect.objectContaining({ resolving: true, duplicate: false })]);
    const texts = await textCount(before + 1);
    expect(texts[texts.length - 1]).toMatch(
      /^Valley Clinic: Hi Luz, your appointment with Jo Kim at East Clinic on .* is booked/,
    );
    expect(fhir.requests.map((r) => `${r.method} ${r.path}`)).toContain(`GET /fhir/R4/Appointment/${id}`);

    const resent = await notify('', idOnlyNotification(`Appointment/${id}`, '7'));
    expect(resent.json.appointments).toEqual([expect.objectContaining({ duplicate: true })]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await textsTo(MOBILE)).length).toBe(before + 1);
  });

  test('R4 rest-hook: PUT with the resource texts at once; an empty POST named by the URL reads it', async () => {
    const id = `HOOK-${Date.now()}`;
    const before = (await textsTo(MOBILE)).length;
    // Full resource (the Patient contained, as a rest-hook payload carries only the Appointment).
    const full: Appointment = {
      ...appointment(id),
      meta: { versionId: '1' },
      contained: [{ ...patient, id: 'p' }],
      participant: [{ actor: { reference: '#p' }, status: 'accepted' }],
    };
    const put = await notify(`/Appointment/${id}`, full, 'PUT');
    expect(put.status).toBe(200);
    expect(put.json.appointments).toEqual([expect.objectContaining({ appointmentId: id, duplicate: false })]);
    await textCount(before + 1);

    // The EHR cancels it and pings without a body: the URL names the Appointment, its new version is read.
    await onTheEhr({ ...appointment(id), status: 'cancelled' });
    const ping = await notify(`/Appointment/${id}`);
    expect(ping).toMatchObject({ status: 200, json: { type: 'event-notification' } });
    const texts = await textCount(before + 2);
    expect(texts[texts.length - 1]).toMatch(/canceled/);
  });

  test('handshakes and heartbeats are acknowledged and change nothing; garbage is a 400 OperationOutcome', async () => {
    const handshake = {
      resourceType: 'Bundle',
      type: 'subscription-notification',
      entry: [{ resource: { resourceType: 'SubscriptionStatus', type: 'handshake', status: 'requested' } }],
    };
    expect(await notify('', handshake)).toEqual({
      status: 200,
      json: { type: 'handshake', appointments: [] },
    });
    const bad = await notify('', { resourceType: 'Patient', id: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ resourceType: 'OperationOutcome' });
    const unauthenticated = await fetch(`${stack.base}/v1/ehr/fhir/notifications`, { method: 'POST' });
    expect(unauthenticated.status).toBe(401);
  });
});

describe('without FHIR_BASE_URL', () => {
  test('an id-only notification is refused (nothing to read it from); a full resource is still taken', async () => {
    const config = parseConfig(sandboxEnv({ LOG_LEVEL: 'silent' }));
    const quiet = logger.child({}, { level: 'silent' });
    // Never connected: the refusal happens before Temporal.
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const app = createApp({
      logger: quiet,
      readiness: async () => ({ ready: false, temporal: 'unreachable', worker: 'unknown' }),
      routers: apiRouters(config, createGateways(config, client), quiet),
    });
    const res = await request(app)
      .post('/v1/ehr/fhir/notifications')
      .set('Authorization', 'Bearer sandbox-key')
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify(idOnlyNotification('Appointment/A1', '1')))
      .expect(400);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] });
  });
});
