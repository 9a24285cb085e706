import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows, devServerEnv, timeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';
import { sleepFortyEightHours, tagAndEcho } from '../fixtures/workflows';

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  bundle = await bundleWorkflows(require.resolve('../fixtures/workflows'));
});

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await timeSkippingEnv();
  });
  afterAll(() => env?.teardown());

  test('a workflow sleeping 48 hours finishes in seconds of real time', async () => {
    const taskQueue = uniqueTaskQueue('sleep');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
    });
    const started = Date.now();
    const slept = await worker.runUntil(
      env.client.workflow.execute(sleepFortyEightHours, { taskQueue, workflowId: `sleep-${taskQueue}` }),
    );
    expect(slept).toBeGreaterThanOrEqual(48 * 3600 * 1000);
    // Real time is far below the 48 h of workflow time: the server skipped it.
    expect(Date.now() - started).toBeLessThan(60 * 60 * 1000);
  });
});

describe('dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await devServerEnv();
  });
  afterAll(() => env?.teardown());

  test('a workflow round-trips and its search attribute is visible to a list query', async () => {
    const taskQueue = uniqueTaskQueue('echo');
    const appointmentId = `appt-${taskQueue}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
    });
    const result = await worker.runUntil(
      env.client.workflow.execute(tagAndEcho, {
        taskQueue,
        workflowId: `echo-${taskQueue}`,
        args: [appointmentId],
      }),
    );
    expect(result).toBe(`tagAndEcho:${appointmentId}`);

    // Visibility is eventually consistent: poll the list query briefly.
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of env.client.workflow.list({ query: `AppointmentId = "${appointmentId}"` })) {
        found.push(wf.workflowId);
      }
      if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toEqual([`echo-${taskQueue}`]);
  });
});
