/**
 * Patient data encrypted in Temporal (issue 11): a lifecycle through the HTTP API on the dev server
 * with PAYLOAD_CODEC_KEYS set leaves no phone number, name or reply text in the raw history, while
 * the service (and any client with the keys) reads it as before.
 */
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import type { AppConfig } from '../../src/config';
import { phoneWorkflowId } from '../../src/ingest/phoneIds';
import { appointmentWorkflowId } from '../../src/shared/appointment';
import { newCodecKeyEntry } from '../../src/config/codecKeys';
import { dataConverterOf } from '../../src/temporal/dataConverter';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../src/temporal/workflowBundle';
import { waitFor } from '../helpers/processes';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';

jest.setTimeout(120_000);

const PHONE = '+13035550166';
const FIRST = 'Zenobia';
const LAST = 'Quillfeather';
const REPLY = 'Wombats tomorrow';

let stack: SandboxStack;
let env: TestWorkflowEnvironment;
let config: AppConfig;
let base: string;

beforeAll(async () => {
  // Rotated once: the newest encrypts, the older still decrypts.
  stack = await startSandboxStack('codec', {
    PAYLOAD_CODEC_KEYS: `${newCodecKeyEntry('k2')},${newCodecKeyEntry('k1')}`,
  });
  ({ env, config, base } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

const auth = { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/json' };

/** Every byte Temporal stores for a workflow, as the server gives it to a client without the keys. */
async function rawHistory(workflowId: string): Promise<Buffer> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}

describe('payload codec on the dev server', () => {
  test('raw history holds no phone, name or reply text; the service reads everything as before', async () => {
    const appointmentId = `CODEC-${Date.now()}`;
    const start = DateTime.now().setZone('America/Denver').plus({ days: 3 }).set({ hour: 10, minute: 0 });
    const posted = await fetch(`${base}/v1/ehr/events`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        event_type: 'BOOKED',
        appointment_id: appointmentId,
        appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
        appointment_timezone: 'America/Denver',
        patient_id: 'P-CODEC',
        patient_first_name: FIRST,
        patient_last_name: LAST,
        patient_phone: PHONE,
      }),
    });
    expect(posted.status).toBe(202);
    // The booking text went out (the worker decoded the event) and the API reads the view (decoded).
    await waitFor(async () => {
      const res = await fetch(`${base}/v1/appointments/${appointmentId}`, { headers: auth });
      const view = (await res.json()) as { messages?: Array<{ kind: string; sid?: string }> };
      return view.messages?.some((m) => m.kind === 'BOOKED' && m.sid) ? view : undefined;
    });
    // The patient answers something the service does not understand: its text sits in the phone's history.
    const inbound = await fetch(`${base}/v1/sandbox/inbound`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from: PHONE, body: REPLY }),
    });
    expect(inbound.status).toBeLessThan(300);
    const phoneId = phoneWorkflowId(PHONE, config.phoneIdKey);
    await waitFor(async () => {
      const raw = await rawHistory(phoneId);
      // Two or more signals (the link and the reply) and the answer's activity have run.
      return raw.length > 0 ? raw : undefined;
    });
    await waitFor(async () => {
      const res = await fetch(`${base}/v1/sandbox/messages`);
      const list = (await res.json()) as Array<{ to: string; body: string }>;
      return list.filter((m) => m.to === PHONE).length >= 2 ? list : undefined;
    });

    for (const id of [appointmentWorkflowId(appointmentId), phoneId]) {
      const raw = (await rawHistory(id)).toString('latin1');
      for (const secret of [PHONE, PHONE.slice(2), FIRST, LAST, REPLY]) expect(raw).not.toContain(secret);
      // Everything is there, encrypted under the newest key.
      expect(raw).toContain('binary/encrypted');
      expect(raw).toContain('k2');
    }

    // Replay runs through the codec: the encrypted histories replay against the current code.
    for (const id of [appointmentWorkflowId(appointmentId), phoneId]) {
      const history = await env.client.workflow.getHandle(id).fetchHistory();
      await expect(
        Worker.runReplayHistory(
          {
            workflowsPath: require.resolve('../../src/workflows'),
            bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
            dataConverter: dataConverterOf(config),
          },
          history,
          id,
        ),
      ).resolves.toBeUndefined();
    }
  });
});
