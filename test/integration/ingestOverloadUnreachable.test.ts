/**
 * Ingest with Temporal unreachable (nothing listens at its address): every format answers within the
 * timeout what to do next (503 + Retry-After, an AR ACK, a transient OperationOutcome), and a failed
 * hand-off stays resendable.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { handleHl7Message } from '../../src/api/hl7';
import { startMllpListener, type MllpListener } from '../../src/api/mllp';
import { parseCanonicalEvent } from '../../src/domain/events/canonicalEvent';
import { appointmentPolicy } from '../../src/config/policy';
import { AppointmentGateway, RecentlyAcceptedEvents } from '../../src/ingest/appointmentGateway';
import { ConversationGateway } from '../../src/ingest/conversationGateway';
import { appointmentWorkflowId } from '../../src/shared/appointment';
import { freePort } from '../helpers/ports';
import { devServerEnv } from '../helpers/temporal';
import {
  ingestApp,
  quiet,
  TIMEOUT_MS,
  ANSWER_BOUND_MS,
  AUTH,
  testConfig,
  timedFetch,
  canonicalEvent,
  postEvent,
  siu,
  postHl7,
  readAck,
  fhirAppointment,
  postFhir,
  sendMllp,
  signalCount,
  exists,
  listen,
  closeServer,
  baseOf,
} from '../helpers/ingestOverload';

jest.setTimeout(90_000);

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
    const app = ingestApp(
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
      { ready: false, temporal: 'unreachable', worker: 'unknown' },
    );
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
