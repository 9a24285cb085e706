/**
 * A long-lived appointment (an EHR that sends many updates) continues-as-new when Temporal
 * suggests it, and carries its whole state across: texts, event ids, reminders.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../src/shared/temporal';
import { appointmentViewQuery, ehrEventSignal } from '../../src/shared/appointment';
import { resolveTemporalBinary } from '../../src/temporal/binaries';
import {
  appointmentWorker,
  envelope,
  event,
  HOUR,
  startSandboxTwilio,
  signalAppointment,
  testActivities,
  type SandboxTwilio,
} from '../helpers/appointmentHarness';
import { bundleWorkflows, uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let sandbox: SandboxTwilio;

beforeAll(async () => {
  [env, bundle, sandbox] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: resolveTemporalBinary('cli') },
        ip: '127.0.0.1',
        ui: false,
        searchAttributes: Object.values(SEARCH_ATTRIBUTES),
        // Suggest continue-as-new after a few dozen events instead of thousands.
        extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
      },
    }),
    bundleWorkflows(require.resolve('../../src/workflows')),
    startSandboxTwilio(),
  ]);
});
afterAll(async () => {
  await env?.teardown();
  await sandbox?.close();
});

test('many EHR updates make the workflow continue-as-new with its state intact', async () => {
  const taskQueue = uniqueTaskQueue('can');
  const { activities } = testActivities(sandbox, { client: env.client, taskQueue });
  const worker = await appointmentWorker(env, bundle, taskQueue, activities);
  const appointmentId = `CAN-${taskQueue}`;
  const now = Date.now();
  const start = new Date(now + 72 * HOUR).toISOString();
  const at = (i: number) => new Date(now + i * 1000).toISOString();
  await worker.runUntil(async () => {
    const booked = event({ appointmentId, eventId: 'e0', eventType: 'BOOKED', start, eventAt: at(0) });
    // The dev server knows our search attributes: index them as production does.
    const handle = await signalAppointment(env.client, taskQueue, booked, {}, true);
    const firstRunId = (await handle.describe()).runId;
    const updates = 12;
    for (let i = 1; i <= updates; i++) {
      await handle.signal(
        ehrEventSignal,
        envelope(
          event({
            appointmentId,
            eventId: `e${i}`,
            eventType: 'MODIFIED',
            start,
            eventAt: at(i),
            location: `Room ${i}`,
          }),
        ),
      );
      // Let each text go out, so the history grows with activities too.
      for (let j = 0; j < 100; j++) {
        const v = await env.client.workflow
          .getHandle(`appointment-${appointmentId}`)
          .query(appointmentViewQuery);
        if (v.messages.length === i + 1 && v.messages.every((m) => m.status !== 'PENDING')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const latest = env.client.workflow.getHandle(`appointment-${appointmentId}`);
    const description = await latest.describe();
    expect(description.runId).not.toBe(firstRunId);
    expect(description.status.name).toBe('RUNNING');

    const view = await latest.query(appointmentViewQuery);
    expect(view.messages.map((m) => m.kind)).toEqual(['BOOKED', ...Array(updates).fill('MODIFIED')]);
    expect(view.reminders.filter((r) => r.status === 'PENDING')).toHaveLength(2);
    // An event id from the first run is still recognised after continue-as-new.
    await latest.signal(
      ehrEventSignal,
      envelope(
        event({
          appointmentId,
          eventId: 'e1',
          eventType: 'MODIFIED',
          start,
          eventAt: at(99),
          location: 'Elsewhere',
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 500));
    const after = await latest.query(appointmentViewQuery);
    expect(after.messages).toHaveLength(updates + 1);
    await latest.terminate('test finished');
  });
});
