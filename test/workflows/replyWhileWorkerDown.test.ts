/**
 * A patient's reply that arrives while no worker runs is kept by Temporal and applied once a worker
 * starts. On the dev server: a stopped worker's sticky queue is released there, which the
 * time-skipping server does not do for queries.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ConversationGateway } from '../../src/ingest/conversationGateway';
import { phoneWorkflowId } from '../../src/ingest/phoneIds';
import { phoneStateQuery } from '../../src/workflows/phoneQueries';
import {
  appointmentWorker,
  event,
  HOUR,
  signalAppointment,
  startSandboxTwilio,
  testActivities,
  untilView,
  type SandboxTwilio,
} from '../helpers/appointmentHarness';
import { bundleWorkflows, devServerEnv, uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(120_000);

const PHONE = '+13035550199';
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let sandbox: SandboxTwilio;

beforeAll(async () => {
  [env, bundle, sandbox] = await Promise.all([
    devServerEnv(),
    bundleWorkflows(require.resolve('../../src/workflows')),
    startSandboxTwilio(),
  ]);
});
afterAll(async () => {
  await sandbox?.close();
  await env?.teardown();
});

/** Waits until the phone workflow knows `count` appointments whose patient was prompted. */
async function phoneKnowsPrompted(count: number): Promise<void> {
  const phone = env.client.workflow.getHandle(phoneWorkflowId(PHONE, 'valley'));
  for (let i = 0; i < 200; i++) {
    const known = await phone.query(phoneStateQuery).catch(() => undefined);
    if ((known?.appointments.filter((a) => a.prompted).length ?? 0) >= count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the phone workflow never saw ${count} prompted appointments`);
}

test('a reply sent while no worker runs is applied when one starts', async () => {
  const taskQueue = uniqueTaskQueue('restart');
  const { activities } = testActivities(sandbox, { client: env.client, taskQueue });
  const conversations = new ConversationGateway(env.client, taskQueue, 'valley');
  const now = Date.now();
  const handle = await signalAppointment(
    env.client,
    taskQueue,
    event({
      appointmentId: 'R5',
      eventType: 'BOOKED',
      start: new Date(now + 72 * HOUR).toISOString(),
      eventAt: new Date(now).toISOString(),
      patient: { id: 'P-R5', phone: PHONE, language: 'en' },
    }),
  );
  const first = await appointmentWorker(env, bundle, taskQueue, activities);
  await first.runUntil(async () => {
    await untilView(handle, (v) => v.messages.some((m) => m.kind === 'BOOKED' && m.sid !== null));
    await phoneKnowsPrompted(1);
  });

  // No worker now: the webhook's hand-off still lands durably in Temporal.
  await conversations.deliverInbound({
    messageSid: 'SMwhileDown',
    from: PHONE,
    body: 'YES',
    receivedAt: new Date().toISOString(),
  });

  const second = await appointmentWorker(env, bundle, taskQueue, activities);
  await second.runUntil(async () => {
    const view = await untilView(handle, (v) => v.status === 'CONFIRMED');
    expect(view.status).toBe('CONFIRMED');
  });
});
