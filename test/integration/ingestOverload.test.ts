/**
 * Ingest that stays fast and honest when Temporal cannot keep up, against real servers: the dev server
 * with no worker polling, a Temporal address where nothing listens, and a dev server whose namespace is
 * rate limited to one request a second. Every answer must come within a bound, say what to do next
 * (503 + Retry-After, an AR ACK, a transient OperationOutcome), and a failed hand-off must stay resendable.
 */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { Message } from 'node-hl7-client';
import { createApp } from '../../src/api/app';
import { handleHl7Message } from '../../src/api/hl7';
import { mllpFrame, startMllpListener, type MllpListener } from '../../src/api/mllp';
import { apiRouters } from '../../src/api/routes';
import { startApi, type ApiServer } from '../../src/api/server';
import { parseConfig, type AppConfig } from '../../src/config';
import { parseCanonicalEvent } from '../../src/domain/events/canonicalEvent';
import { appointmentPolicy } from '../../src/config/policy';
import { AppointmentGateway, RecentlyAcceptedEvents } from '../../src/ingest/appointmentGateway';
import { ConversationGateway } from '../../src/ingest/conversationGateway';
import { logger } from '../../src/log';
import { appointmentWorkflowId } from '../../src/shared/appointment';
import { freePort } from '../helpers/ports';
import { devServerEnv, uniqueTaskQueue } from '../helpers/temporal';
import { sandboxEnv } from '../helpers/config';

jest.setTimeout(90_000);

const quiet = logger.child({}, { level: 'silent' });
const ZONE = 'America/Denver';
/** TEMPORAL_SUBMIT_TIMEOUT_MS in these tests. */
const TIMEOUT_MS = 1_000;
/** Generous: behaviour, not a benchmark (2 shared cores). The point is "not 3 s, not 20-30 s". */
const ANSWER_BOUND_MS = TIMEOUT_MS + 1_500;
const AUTH = { Authorization: 'Bearer sandbox-key' };

function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return parseConfig({
    ...sandboxEnv(),
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ingest-overload-')),
    // No worker ever polls it.
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('overload'),
    TEMPORAL_SUBMIT_TIMEOUT_MS: String(TIMEOUT_MS),
    DEFAULT_TIMEZONE: ZONE,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

interface Timed {
  status: number;
  ms: number;
  retryAfter: string | null;
  contentType: string;
  text: string;
}

async function timedFetch(url: string, init: RequestInit = {}): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    ms: performance.now() - started,
    retryAfter: res.headers.get('retry-after'),
    contentType: res.headers.get('content-type') ?? '',
    text,
  };
}

const hl7Time = (t: DateTime): string => t.toFormat('yyyyMMddHHmmss');

function canonicalEvent(
  appointmentId: string,
  eventId: string,
  eventType = 'BOOKED',
): Record<string, string> {
  const start = DateTime.now().setZone(ZONE).plus({ days: 3 }).set({ hour: 9, minute: 30 }).startOf('minute');
  return {
    event_type: eventType,
    event_id: eventId,
    event_datetime_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    appointment_id: appointmentId,
    appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    appointment_timezone: ZONE,
    patient_id: 'P-1',
    patient_phone: '+13035550142',
  };
}

function postEvent(base: string, body: unknown): Promise<Timed> {
  return timedFetch(`${base}/v1/ehr/events`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function siu(controlId: string, appointmentId: string): string {
  const start = DateTime.now().setZone(ZONE).plus({ days: 2 }).set({ hour: 10, minute: 0, second: 0 });
  return [
    `MSH|^~\\&|EPIC|VALLEY|SMS|CLINIC|${hl7Time(DateTime.now().setZone(ZONE))}||SIU^S12^SIU_S12|${controlId}|P|2.5.1`,
    `SCH||${appointmentId}^EPIC|||||||30|MIN|^^30^${hl7Time(start)}`,
    'PID|1||MRN-1^^^EPIC^MR||ROSE^ANA||||||||^PRN^CP^^1^303^5550142',
  ].join('\r');
}

function postHl7(base: string, message: string): Promise<Timed> {
  return timedFetch(`${base}/v1/ehr/hl7v2`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/hl7-v2' },
    body: message,
  });
}

/** MSA-1, MSA-2 and the ERR segments' ERR-8 texts, read with an HL7 library as an engine would. */
function readAck(text: string): { code: string; controlId: string; errors: string[] } {
  const ack = new Message({ text });
  const errors: string[] = [];
  const errSegments = ack.get('ERR');
  for (let i = 0; i < errSegments.length; i++) errors.push(errSegments.get(i).get('8').toString());
  return { code: ack.get('MSA.1').toString(), controlId: ack.get('MSA.2').toString(), errors };
}

function fhirAppointment(appointmentId: string): unknown {
  const start = DateTime.now().setZone(ZONE).plus({ days: 4 }).set({ hour: 11, minute: 0 }).startOf('minute');
  return {
    resourceType: 'Appointment',
    id: appointmentId,
    meta: { versionId: '1', lastUpdated: new Date().toISOString() },
    status: 'booked',
    start: start.toISO({ suppressMilliseconds: true }),
    contained: [
      {
        resourceType: 'Patient',
        id: 'p',
        telecom: [{ system: 'phone', value: '+13035550143', use: 'mobile' }],
      },
    ],
    participant: [{ actor: { reference: '#p' }, status: 'accepted' }],
  };
}

function postFhir(base: string, body: unknown): Promise<Timed> {
  return timedFetch(`${base}/v1/ehr/fhir`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
}

/** One MLLP round trip on a fresh connection, as an engine's sender does it; returns the ACK text. */
async function sendMllp(port: number, message: string): Promise<{ ack: string; ms: number }> {
  const started = performance.now();
  const socket = net.connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  let received = '';
  const ack = new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const end = received.indexOf('\u001c\r');
      if (end !== -1) resolve(received.slice(received.indexOf('\u000b') + 1, end));
    });
    socket.once('close', () => reject(new Error('MLLP connection closed without an ACK')));
  });
  socket.write(mllpFrame(message));
  const text = await ack;
  socket.destroy();
  return { ack: text, ms: performance.now() - started };
}

async function signalCount(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

function listen(app: ReturnType<typeof createApp>): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function baseOf(server: Server): string {
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

describe('with the dev server up and no worker polling', () => {
  let env: TestWorkflowEnvironment;
  let api: ApiServer;
  let base: string;

  beforeAll(async () => {
    env = await devServerEnv();
    const port = await freePort();
    api = await startApi(testConfig({ PORT: String(port), TEMPORAL_ADDRESS: env.address }), env.client);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await api?.close();
    await env?.teardown();
  });

  test('an event for an existing appointment is accepted at once (no 3 s query first); a replay is a duplicate that adds nothing to the history', async () => {
    const appointmentId = `OVL-${Date.now()}`;
    const workflowId = appointmentWorkflowId(appointmentId);
    const booked = await postEvent(base, canonicalEvent(appointmentId, `${appointmentId}-1`));
    expect(booked.status).toBe(202);

    // The old path first queried the workflow (hasSeenEvent) and waited 3 s for a worker that never came.
    const modified = await postEvent(base, canonicalEvent(appointmentId, `${appointmentId}-2`, 'MODIFIED'));
    expect(modified.status).toBe(202);
    expect(JSON.parse(modified.text)).toEqual({
      workflowId,
      appointmentId,
      eventId: `${appointmentId}-2`,
      duplicate: false,
    });
    expect(modified.ms).toBeLessThan(1_500);
    expect(await signalCount(env.client, workflowId)).toBe(2);

    const replay = await postEvent(base, canonicalEvent(appointmentId, `${appointmentId}-2`, 'MODIFIED'));
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.text)).toMatchObject({ eventId: `${appointmentId}-2`, duplicate: true });
    expect(replay.ms).toBeLessThan(1_500);
    // Answered from the API's memory: Temporal never saw the replay.
    expect(await signalCount(env.client, workflowId)).toBe(2);

    // Over HL7 and FHIR too: the same memory answers a resend (AA again; FHIR 200 duplicate).
    const hl7 = siu(`${appointmentId}-H`, appointmentId);
    expect(readAck((await postHl7(base, hl7)).text).code).toBe('AA');
    const hl7Resend = await postHl7(base, hl7);
    expect(readAck(hl7Resend.text)).toMatchObject({ code: 'AA', controlId: `${appointmentId}-H` });
    const fhirId = `${appointmentId}-F`;
    expect((await postFhir(base, fhirAppointment(fhirId))).status).toBe(202);
    const fhirResend = await postFhir(base, fhirAppointment(fhirId));
    expect(fhirResend.status).toBe(200);
    expect(await signalCount(env.client, workflowId)).toBe(3);
    expect(await signalCount(env.client, appointmentWorkflowId(fhirId))).toBe(1);
  });

  test('a replay another API process never saw is accepted as new (202) and only adds a signal the workflow ignores', async () => {
    const appointmentId = `OVL-OTHER-${Date.now()}`;
    const workflowId = appointmentWorkflowId(appointmentId);
    const event = canonicalEvent(appointmentId, `${appointmentId}-1`);
    expect((await postEvent(base, event)).status).toBe(202);

    // A second API process (its own memory) on the same cluster.
    const config = testConfig({ TEMPORAL_ADDRESS: env.address });
    const other = createApp({
      logger: quiet,
      readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
      routers: apiRouters(
        config,
        {
          temporal: env.client,

          appointments: new AppointmentGateway(env.client, config.env.TEMPORAL_TASK_QUEUE, () =>
            appointmentPolicy(config),
          ),
          conversations: new ConversationGateway(
            env.client,
            config.env.TEMPORAL_TASK_QUEUE,
            config.phoneIdKey,
          ),
        },
        quiet,
      ),
    });
    const server = await listen(other);
    try {
      const replay = await postEvent(baseOf(server), event);
      expect(replay.status).toBe(202);
      expect(JSON.parse(replay.text)).toMatchObject({ duplicate: false });
      expect(await signalCount(env.client, workflowId)).toBe(2);
    } finally {
      await closeServer(server);
    }
  });

  test('GET of an existing appointment answers 503 + Retry-After within the timeout when no worker answers; an unknown one is 404', async () => {
    const appointmentId = `OVL-GET-${Date.now()}`;
    expect((await postEvent(base, canonicalEvent(appointmentId, `${appointmentId}-1`))).status).toBe(202);

    const view = await timedFetch(`${base}/v1/appointments/${appointmentId}`, { headers: AUTH });
    expect(view.status).toBe(503);
    expect(view.retryAfter).toBe('5');
    expect(JSON.parse(view.text)).toEqual({
      error: {
        code: 'temporarily_unavailable',
        message: expect.stringMatching(/could not be read within 1000 ms/),
      },
    });
    expect(view.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(view.ms).toBeLessThan(ANSWER_BOUND_MS);

    const unknown = await timedFetch(`${base}/v1/appointments/NEVER-${Date.now()}`, { headers: AUTH });
    expect(unknown.status).toBe(404);
    expect(unknown.ms).toBeLessThan(1_500);
  });
});

describe('with Temporal unreachable (nothing listens at its address)', () => {
  let env: TestWorkflowEnvironment;
  let down: Server;
  let mllp: MllpListener;
  let downBase: string;
  let downGateway: AppointmentGateway;
  let upGateway: AppointmentGateway;

  beforeAll(async () => {
    env = await devServerEnv();
    const config = testConfig();
    const policy = appointmentPolicy(config);
    // The memory two gateways share shows what a failed hand-off leaves behind: nothing.
    const recentEvents = new RecentlyAcceptedEvents();
    const options = { submitTimeoutMs: TIMEOUT_MS, recentEvents };
    const unreachable = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }),
    });
    downGateway = new AppointmentGateway(unreachable, config.env.TEMPORAL_TASK_QUEUE, () => policy, options);
    upGateway = new AppointmentGateway(env.client, config.env.TEMPORAL_TASK_QUEUE, () => policy, options);
    const app = createApp({
      logger: quiet,
      readiness: async () => ({ ready: false, temporal: 'unreachable', worker: 'unknown' }),
      routers: apiRouters(
        config,
        {
          temporal: unreachable,
          appointments: downGateway,
          conversations: new ConversationGateway(
            unreachable,
            config.env.TEMPORAL_TASK_QUEUE,
            config.phoneIdKey,
          ),
        },
        quiet,
      ),
    });
    down = await listen(app);
    downBase = baseOf(down);
    mllp = await startMllpListener({
      port: 0,
      host: '127.0.0.1',
      logger: quiet,
      handle: (message) =>
        handleHl7Message(message, {
          gateway: downGateway,
          defaultCountry: config.env.DEFAULT_COUNTRY,
          defaultTimezone: config.defaultTimezone,
          logger: quiet,
        }),
    });
  });

  afterAll(async () => {
    await mllp?.close();
    await closeServer(down);
    await env?.teardown();
  });

  test('JSON: 503 with Retry-After and a clear error, within the timeout; the event stays resendable', async () => {
    const appointmentId = `DOWN-JSON-${Date.now()}`;
    const event = canonicalEvent(appointmentId, `${appointmentId}-1`);
    const answer = await postEvent(downBase, event);
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('5');
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(answer.text)).toEqual({
      error: {
        code: 'temporarily_unavailable',
        message: expect.stringMatching(/^Temporal .* send it again.*\. Try again in 5 s \(Retry-After\)\.$/),
      },
    });
    expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);

    // Nothing recorded anywhere: no workflow, and no memory of the event, so the resend is taken as new...
    expect(await exists(env.client, appointmentWorkflowId(appointmentId))).toBe(false);
    const parsed = parseCanonicalEvent(event, { defaultCountry: 'US', receivedAt: new Date().toISOString() });
    if (!parsed.ok) throw new Error('the test event is invalid');
    expect(await upGateway.submit(parsed.event)).toMatchObject({ duplicate: false });
    expect(await signalCount(env.client, appointmentWorkflowId(appointmentId))).toBe(1);
    // ...and once Temporal took it, even a Temporal that is down again answers the replay as a duplicate.
    const replay = await postEvent(downBase, event);
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.text)).toMatchObject({ duplicate: true });
  });

  test('HL7 over HTTP: an AR ACK echoing MSH-10 whose ERR asks for a resend, within the timeout', async () => {
    const appointmentId = `DOWN-HL7-${Date.now()}`;
    const answer = await postHl7(downBase, siu(`${appointmentId}-1`, appointmentId));
    expect(answer.status).toBe(200);
    expect(answer.retryAfter).toBe('5');
    const ack = readAck(answer.text);
    expect(ack).toMatchObject({ code: 'AR', controlId: `${appointmentId}-1` });
    expect(ack.errors).toEqual([
      expect.stringMatching(/^temporarily unavailable: send the message again in 5 s/),
    ]);
    expect(answer.text).toContain('|207^Application internal error^HL70357|E|');
    expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(await exists(env.client, appointmentWorkflowId(appointmentId))).toBe(false);
  });

  test('HL7 over MLLP: the same AR ACK on the connection, within the timeout', async () => {
    const appointmentId = `DOWN-MLLP-${Date.now()}`;
    const { ack, ms } = await sendMllp(mllp.port, siu(`${appointmentId}-1`, appointmentId));
    expect(readAck(ack)).toMatchObject({ code: 'AR', controlId: `${appointmentId}-1` });
    expect(readAck(ack).errors[0]).toMatch(/^temporarily unavailable/);
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(await exists(env.client, appointmentWorkflowId(appointmentId))).toBe(false);
  });

  test('FHIR: 503 with Retry-After and a transient OperationOutcome, within the timeout', async () => {
    const appointmentId = `DOWN-FHIR-${Date.now()}`;
    const answer = await postFhir(downBase, fhirAppointment(appointmentId));
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('5');
    expect(answer.contentType).toMatch(/^application\/fhir\+json/);
    expect(JSON.parse(answer.text)).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'transient',
          diagnostics: expect.stringMatching(/^Temporal .* Try again in 5 s \(Retry-After\)\.$/),
        },
      ],
    });
    expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
    expect(await exists(env.client, appointmentWorkflowId(appointmentId))).toBe(false);
  });

  test('GET: 503 with Retry-After, within the timeout', async () => {
    const answer = await timedFetch(`${downBase}/v1/appointments/A-1`, { headers: AUTH });
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('5');
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'temporarily_unavailable' } });
    expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
  });
});

describe('with the namespace over its rate limit (RESOURCE_EXHAUSTED)', () => {
  let env: TestWorkflowEnvironment;
  let api: Server;
  let base: string;

  beforeAll(async () => {
    // One request a second for the namespace: a burst of events is more than it takes.
    env = await devServerEnv([
      '--dynamic-config-value',
      'frontend.namespaceRPS=1',
      '--dynamic-config-value',
      'frontend.namespaceBurstRatio=1',
    ]);
    const config = testConfig({ TEMPORAL_ADDRESS: env.address });
    const app = createApp({
      logger: quiet,
      readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
      routers: apiRouters(
        config,
        {
          temporal: env.client,
          appointments: new AppointmentGateway(
            env.client,
            config.env.TEMPORAL_TASK_QUEUE,
            () => appointmentPolicy(config),
            { submitTimeoutMs: TIMEOUT_MS },
          ),
          conversations: new ConversationGateway(
            env.client,
            config.env.TEMPORAL_TASK_QUEUE,
            config.phoneIdKey,
          ),
        },
        quiet,
      ),
    });
    api = await listen(app);
    base = baseOf(api);
  });

  afterAll(async () => {
    await closeServer(api);
    await env?.teardown();
  });

  test('a burst gets 202 for what Temporal took and 503 + Retry-After for the rest, each within the timeout; a 503 event is taken when resent', async () => {
    const runId = Date.now();
    const events = Array.from({ length: 6 }, (_, i) =>
      canonicalEvent(`BUSY-${runId}-${i}`, `BUSY-${runId}-${i}-1`),
    );
    const answers = await Promise.all(events.map((event) => postEvent(base, event)));

    for (const answer of answers) {
      expect([202, 503]).toContain(answer.status);
      expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
    }
    const refused = answers.flatMap((answer, i) => (answer.status === 503 ? [i] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const i of refused) {
      expect(answers[i]?.retryAfter).toBe('5');
      expect(JSON.parse(answers[i]?.text ?? '{}')).toMatchObject({
        error: { code: 'temporarily_unavailable' },
      });
    }

    // After Retry-After (shortened here: the limit refills each second), the resend is taken as new.
    const first = refused[0] ?? 0;
    let resent: Timed | undefined;
    for (let attempt = 0; attempt < 10 && resent?.status !== 202; attempt++) {
      await new Promise((r) => setTimeout(r, 1_100));
      resent = await postEvent(base, events[first]);
    }
    expect(resent?.status).toBe(202);
    expect(JSON.parse(resent?.text ?? '{}')).toMatchObject({ duplicate: false });
  });
});
