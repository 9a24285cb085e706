/**
 * FHIR references read from the EHR: POST /v1/ehr/fhir with an Appointment that only references its Patient,
 * Practitioner and Location, through the whole stack (API + worker on a dev server, sandbox Twilio) against
 * the real test FHIR server (test/helpers/fhirServer.ts): open, with SMART Backend Services, down at first,
 * and with a Patient that does not exist.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Appointment, Location, Patient, Practitioner } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { createSnapshotStore } from '../../src/activities/snapshots';
import { fhirIngestWorkflowId, type FhirIngestResult } from '../../src/domain/fhir/resolvedReferences';
import type { AppointmentStateData } from '../../src/domain/appointment/records';
import { startFhirServer, type FhirTestServer } from '../helpers/fhirServer';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/processes';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';

jest.setTimeout(120_000);

const ZONE = 'America/Denver';
const SETTINGS = { CUSTOMER_NAME: 'Valley Clinic', DEFAULT_TIMEZONE: ZONE };

const patient: Patient = {
  resourceType: 'Patient',
  id: 'example',
  name: [{ use: 'official', family: 'Chalmers', given: ['Peter'] }],
  telecom: [
    { system: 'phone', value: '(303) 555-0177', use: 'home' },
    { system: 'phone', value: '(303) 555-0123', use: 'mobile' },
  ],
  birthDate: '1974-12-25',
};
const practitioner: Practitioner = {
  resourceType: 'Practitioner',
  id: 'dr-lee',
  name: [{ family: 'Lee', given: ['Ann'] }],
  telecom: [{ system: 'phone', value: '303-555-0100', use: 'work' }],
};
const location: Location = { resourceType: 'Location', id: 'main-clinic', name: 'Valley Clinic Main' };
const seed = [patient, practitioner, location];
const MOBILE = '+13035550123';

/** Each test's appointment gets its own slot: texts identical to the same phone a moment apart would read as one. */
let slot = 0;

function appointment(id: string, patientReference = 'Patient/example'): Appointment {
  slot += 1;
  const start = DateTime.now()
    .setZone(ZONE)
    .plus({ days: 3 })
    .set({ hour: 9, minute: 30 })
    .plus({ minutes: 5 * slot })
    .startOf('minute');
  return {
    resourceType: 'Appointment',
    id,
    meta: { versionId: '1', lastUpdated: new Date().toISOString() },
    status: 'booked',
    start: start.toISO({ suppressMilliseconds: true }) ?? '',
    participant: [
      { actor: { reference: patientReference }, status: 'accepted' },
      { actor: { reference: 'Practitioner/dr-lee' }, status: 'accepted' },
      { actor: { reference: 'Location/main-clinic' }, status: 'accepted' },
    ],
  };
}

async function post(stack: SandboxStack, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${stack.base}/v1/ehr/fhir`, {
    method: 'POST',
    headers: { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function messagesTo(stack: SandboxStack, phone: string): Promise<Array<{ to: string; body: string }>> {
  const res = await fetch(`${stack.base}/v1/sandbox/messages`);
  return ((await res.json()) as Array<{ to: string; body: string }>).filter((m) => m.to === phone);
}

function ingestResult(stack: SandboxStack, eventId: string): Promise<FhirIngestResult> {
  return stack.env.client.workflow
    .getHandle(fhirIngestWorkflowId(eventId))
    .result() as Promise<FhirIngestResult>;
}

/** Posts a referencing Appointment and waits for its booking text; returns the text. */
async function bookAndWaitForText(stack: SandboxStack, appointmentId: string): Promise<string> {
  const before = (await messagesTo(stack, MOBILE)).length;
  const accepted = await post(stack, appointment(appointmentId));
  expect(accepted).toEqual({
    status: 202,
    json: {
      workflowId: `appointment-${appointmentId}`,
      appointmentId,
      eventId: `Appointment/${appointmentId}/_history/1`,
      duplicate: false,
      resolving: true,
    },
  });
  const texts = await waitFor(
    async () => {
      const list = await messagesTo(stack, MOBILE);
      return list.length > before ? list : undefined;
    },
    { what: 'the booking text', timeoutMs: 60_000 },
  );
  return texts[texts.length - 1]?.body ?? '';
}

/** What an operator sees of the appointment: its live view, and the details in its current snapshot. */
async function details(stack: SandboxStack, appointmentId: string) {
  const res = await fetch(`${stack.base}/v1/appointments/${appointmentId}`, {
    headers: { Authorization: 'Bearer sandbox-key' },
  });
  const view = (await res.json()) as { status: string; timeZone: string };
  const snapshot = await waitFor(async () =>
    createSnapshotStore(stack.config).readCurrent(stack.config.env.CUSTOMER_CODE, appointmentId),
  );
  return { view, details: (snapshot.state as AppointmentStateData).details };
}

/**
 * A TCP forwarder on a fixed port to the FHIR server: FHIR_BASE_URL points here, so the EHR can be "down"
 * (nothing listening, connections refused) and come back on the same address.
 */
class Forwarder {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    private readonly target: () => number,
  ) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target(), '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy(); // kept-alive connections go too
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('FHIR references read from an open EHR FHIR server', () => {
  let fhir: FhirTestServer;
  let forwarder: Forwarder;
  let stack: SandboxStack;

  beforeAll(async () => {
    fhir = await startFhirServer({ seed });
    const fhirPort = Number(new URL(fhir.baseUrl).port);
    forwarder = new Forwarder(await freePort(), () => fhirPort);
    await forwarder.up();
    stack = await startSandboxStack('fhir-refs', {
      ...SETTINGS,
      FHIR_BASE_URL: `http://127.0.0.1:${forwarder.port}/fhir/R4`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await forwarder?.down();
    await fhir?.close();
  });

  test('(a) Patient/example, Practitioner and Location are read; the mobile gets the booking text', async () => {
    const appointmentId = `REF-${Date.now()}`;
    fhir.requests.length = 0;
    const text = await bookAndWaitForText(stack, appointmentId);
    expect(text).toMatch(
      /^Valley Clinic: Hi Peter, your appointment with Ann Lee at Valley Clinic Main on .* is booked/,
    );
    expect(await messagesTo(stack, '+13035550177')).toEqual([]);
    expect(fhir.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /fhir/R4/Location/main-clinic',
      'GET /fhir/R4/Patient/example',
      'GET /fhir/R4/Practitioner/dr-lee',
    ]);
    expect(fhir.requests.every((r) => r.authorization === undefined)).toBe(true);

    const seen = await details(stack, appointmentId);
    expect(seen.view).toMatchObject({ status: 'BOOKED', timeZone: ZONE });
    expect(seen.details).toMatchObject({
      location: 'Valley Clinic Main',
      provider: { id: 'dr-lee', firstName: 'Ann', lastName: 'Lee', callbackPhone: '+13035550100' },
      patient: { id: 'example', phone: MOBILE },
    });
    await expect(ingestResult(stack, `Appointment/${appointmentId}/_history/1`)).resolves.toEqual({
      status: 'submitted',
      appointmentId,
      eventId: `Appointment/${appointmentId}/_history/1`,
      duplicate: false,
      missing: [],
    });

    // The same version again: a duplicate, nothing read or sent again.
    const requests = fhir.requests.length;
    const resend = await post(stack, appointment(appointmentId));
    expect(resend).toMatchObject({ status: 200, json: { duplicate: true, resolving: true } });
    expect(fhir.requests.length).toBe(requests);
  });

  test('(c) the EHR down at first: the booking text arrives once it is up', async () => {
    const appointmentId = `REF-DOWN-${Date.now()}`;
    await forwarder.down();
    fhir.requests.length = 0;
    const before = (await messagesTo(stack, MOBILE)).length;
    const accepted = await post(stack, appointment(appointmentId));
    expect(accepted).toMatchObject({ status: 202, json: { resolving: true, duplicate: false } });
    const handle = stack.env.client.workflow.getHandle(
      fhirIngestWorkflowId(`Appointment/${appointmentId}/_history/1`),
    );
    // The first read has failed (connection refused) and waits for its retry.
    await waitFor(async () => {
      const { raw } = await handle.describe();
      const failure = raw.pendingActivities?.[0]?.lastFailure;
      return failure ? true : undefined;
    });
    expect(fhir.requests).toEqual([]);
    expect((await messagesTo(stack, MOBILE)).length).toBe(before);

    await forwarder.up();
    const texts = await waitFor(
      async () => {
        const list = await messagesTo(stack, MOBILE);
        return list.length > before ? list : undefined;
      },
      { what: 'the booking text after the EHR came back', timeoutMs: 60_000 },
    );
    expect(texts[texts.length - 1]?.body).toContain('Ann Lee at Valley Clinic Main');
    await expect(handle.result()).resolves.toMatchObject({ status: 'submitted' });
    const attempts = (await handle.fetchHistory()).events
      ?.map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a): a is number => typeof a === 'number');
    expect(Math.max(...(attempts ?? []))).toBeGreaterThan(1);
  });

  test('(d) a Patient the EHR does not have: no text, the ingest ends failed, read once', async () => {
    const appointmentId = `REF-MISSING-${Date.now()}`;
    fhir.requests.length = 0;
    const before = await fetch(`${stack.base}/v1/sandbox/messages`).then(
      (r) => r.json() as Promise<unknown[]>,
    );
    const accepted = await post(stack, appointment(appointmentId, 'Patient/nobody'));
    expect(accepted).toMatchObject({ status: 202, json: { resolving: true } });

    const result = await ingestResult(stack, `Appointment/${appointmentId}/_history/1`);
    expect(result).toEqual({
      status: 'failed',
      appointmentId,
      eventId: `Appointment/${appointmentId}/_history/1`,
      reason: 'invalid',
      problems: [
        expect.objectContaining({
          code: 'invalid',
          expression: 'Bundle.entry[0].resource.participant[0].actor.reference',
        }),
      ],
      missing: ['Patient/nobody'],
    });
    // A 404 is an answer: read once, never retried.
    expect(fhir.requests.filter((r) => r.path === '/fhir/R4/Patient/nobody')).toHaveLength(1);
    const res = await fetch(`${stack.base}/v1/appointments/${appointmentId}`, {
      headers: { Authorization: 'Bearer sandbox-key' },
    });
    expect(res.status).toBe(404);
    const after = await fetch(`${stack.base}/v1/sandbox/messages`).then(
      (r) => r.json() as Promise<unknown[]>,
    );
    expect(after.length).toBe(before.length);
  });

  test('a reference on another server is refused at once (400), never read', async () => {
    fhir.requests.length = 0;
    const refused = await post(
      stack,
      appointment(`REF-ELSEWHERE-${Date.now()}`, 'https://elsewhere.example.org/fhir/Patient/example'),
    );
    expect(refused).toMatchObject({
      status: 400,
      json: { resourceType: 'OperationOutcome', issue: [{ code: 'invalid' }] },
    });
    expect(fhir.requests).toEqual([]);
  });
});

describe('FHIR references read with SMART Backend Services', () => {
  const clientId = 'appointment-sms';
  let fhir: FhirTestServer;
  let stack: SandboxStack;

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'fhir-smart-')), 'client.pem');
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    fhir = await startFhirServer({
      seed,
      smart: { clientId, publicJwk: publicKey.export({ format: 'jwk' }) },
    });
    stack = await startSandboxStack('fhir-refs-smart', {
      ...SETTINGS,
      FHIR_BASE_URL: fhir.baseUrl,
      FHIR_CLIENT_ID: clientId,
      FHIR_PRIVATE_KEY_PATH: keyFile,
      FHIR_KEY_ID: 'test-key-1',
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await fhir?.close();
  });

  test('(b) reads go with a bearer token from the token endpoint; the booking text arrives', async () => {
    fhir.requests.length = 0;
    const appointmentId = `REF-SMART-${Date.now()}`;
    const text = await bookAndWaitForText(stack, appointmentId);
    expect(text).toMatch(/^Valley Clinic: Hi Peter, your appointment with Ann Lee at Valley Clinic Main/);

    const reads = fhir.requests.filter(
      (r) => r.method === 'GET' && /\/(Patient|Practitioner|Location)\//.test(r.path),
    );
    expect(reads.map((r) => r.path).sort()).toEqual([
      '/fhir/R4/Location/main-clinic',
      '/fhir/R4/Patient/example',
      '/fhir/R4/Practitioner/dr-lee',
    ]);
    expect(reads.every((r) => /^Bearer \S+$/.test(r.authorization ?? ''))).toBe(true);
    expect(fhir.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /fhir/R4/.well-known/smart-configuration', 'POST /oauth2/token']),
    );
    // One token for all three reads.
    expect(fhir.requests.filter((r) => r.path === '/oauth2/token')).toHaveLength(1);
    expect((await details(stack, appointmentId)).details).toMatchObject({
      location: 'Valley Clinic Main',
      provider: { id: 'dr-lee', firstName: 'Ann', lastName: 'Lee' },
    });
  });
});
