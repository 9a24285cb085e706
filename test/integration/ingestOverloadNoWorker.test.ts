/**
 * Ingest with the dev server up but no worker polling: an event is handed over with one signal-with-start
 * (no query first), a replay is answered from memory, and a read answers 503 + Retry-After within the timeout.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startApi, type ApiServer } from '../../src/apiServer';
import { createGateways } from '../../src/composition/gateways';
import { appointmentWorkflowId } from '../../src/shared/appointment';
import { freePort } from '../helpers/ports';
import { devServerEnv } from '../helpers/temporal';
import {
  ingestApp,
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
  signalCount,
  listen,
  closeServer,
  baseOf,
} from '../helpers/ingestOverload';

jest.setTimeout(90_000);

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
    const server = await listen(ingestApp(config, createGateways(config, env.client)));
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
