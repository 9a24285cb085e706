/**
 * Issue 15.5(b): GET /readyz turns false within seconds of the last worker going, against the dev server
 * with real `npm run worker` processes and the real API.
 *
 * A killed worker is gone for /readyz WORKER_GONE_AFTER_MS (6 s) after its last heartbeat, while the
 * server's DescribeTaskQueue still lists its poller as seen seconds ago (the old rule would have said
 * ready for up to 90 s more). A drained worker (SIGTERM) says so in a last heartbeat: /readyz turns false
 * at once. Another worker still alive keeps it true.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { POLLER_FRESH_MS, WORKER_GONE_AFTER_MS } from '../../src/api/readiness';
import { startApi, type ApiServer } from '../../src/apiServer';
import { parseConfig } from '../../src/config';
import { createClient } from '../../src/temporal/connection';
import { EXIT_CODES } from '../../src/lifecycle';
import { sandboxEnv } from '../helpers/config';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/processes';
import {
  buildWorkflowBundle,
  ensureStopped,
  removeTempDirs,
  startService,
  stopWith,
  tempDir,
  type ServiceProcess,
} from '../helpers/processHygiene';
import { devServerEnv, uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(180_000);

/** How often the test asks /readyz, and what a request may add on top of the bound. */
const PROBE_EVERY_MS = 200;
const SLACK_MS = 1_500;

let env: TestWorkflowEnvironment;
let api: ApiServer;
let bundle: string;
const taskQueue = uniqueTaskQueue('readiness');
const workers: ServiceProcess[] = [];

beforeAll(async () => {
  bundle = buildWorkflowBundle();
  env = await devServerEnv();
  const config = parseConfig(
    sandboxEnv({
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      PORT: String(await freePort()),
      DATA_DIR: tempDir('hygiene-ready-api-'),
      LOG_LEVEL: 'silent',
    }),
  );
  api = await startApi(config, createClient(env.connection, 'default'));
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => ensureStopped(worker)));
  await api?.close();
  await env?.teardown();
  removeTempDirs();
});

async function readyz(): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${new URL(api.url).port}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A real `npm run worker` on the test's task queue, with the project's prebuilt workflow bundle. */
function startWorker(): ServiceProcess {
  const worker = startService('src/worker.ts', {
    ...sandboxEnv({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue }),
    DATA_DIR: tempDir('hygiene-ready-worker-'),
    WORKFLOW_BUNDLE_PATH: bundle,
  });
  workers.push(worker);
  return worker;
}

/** The worker processes heartbeating RUNNING on the task queue, by pid (the SDK's identity is `<pid>@<host>`). */
async function heartbeatingPids(): Promise<number[]> {
  const listed = await env.connection.workflowService.listWorkers({
    namespace: 'default',
    query: `TaskQueue = "${taskQueue}"`,
  });
  return (listed.workersInfo ?? [])
    .map((info) => info.workerHeartbeat)
    .filter((hb) => hb?.status === temporal.api.enums.v1.WorkerStatus.WORKER_STATUS_RUNNING)
    .map((hb) => Number(hb?.workerIdentity?.split('@')[0]));
}

async function untilHeartbeating(worker: ServiceProcess): Promise<void> {
  await waitFor(async () => ((await heartbeatingPids()).includes(worker.pid) ? true : undefined), {
    timeoutMs: 90_000,
    what: () => `a heartbeat from worker ${worker.pid}\n${worker.output()}`,
  });
  await waitFor(async () => ((await readyz()).status === 200 ? true : undefined), { what: 'readyz 200' });
}

/** Asks /readyz until it is 503; resolves with how long after `since` that was, and the answer. */
async function msUntilNotReady(since: number): Promise<{ ms: number; body: Record<string, unknown> }> {
  for (;;) {
    const answer = await readyz();
    if (answer.status === 503) return { ms: Date.now() - since, body: answer.body };
    if (Date.now() - since > POLLER_FRESH_MS) throw new Error('readyz stayed 200 past the poller bound');
    await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
  }
}

/** Asks /readyz for `ms`; every answer must be 200. */
async function staysReady(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const answer = await readyz();
    expect(answer).toMatchObject({ status: 200, body: { ready: true, worker: 'polling' } });
    await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
  }
}

describe('GET /readyz follows the workers of its task queue', () => {
  test('one of two workers killed: still ready; the last one drained (SIGTERM): 503 at once, and it exits 0', async () => {
    const [first, second] = [startWorker(), startWorker()];
    await untilHeartbeating(first);
    await untilHeartbeating(second);
    // Heartbeats every 2 s keep it ready without a gap (a bound too tight for them would flap here).
    await staysReady(3_000);

    first.child.kill('SIGKILL');
    await staysReady(WORKER_GONE_AFTER_MS + 2_000);

    const signalled = Date.now();
    const [stopped, notReady] = await Promise.all([stopWith(second, 'SIGTERM'), msUntilNotReady(signalled)]);
    console.log(
      `readyz 503 ${notReady.ms} ms after SIGTERM to the last worker; it exited in ${stopped.ms} ms`,
    );
    expect(notReady.body).toMatchObject({ ready: false, temporal: 'reachable', worker: 'not-polling' });
    expect(notReady.ms).toBeLessThan(2_000 + SLACK_MS);
    expect(stopped.code).toBe(EXIT_CODES.stopped);
  });

  test('the last worker killed (SIGKILL): 503 within WORKER_GONE_AFTER_MS, though its poller is still listed as fresh', async () => {
    const worker = startWorker();
    await untilHeartbeating(worker);
    await staysReady(2_000);

    const killed = Date.now();
    worker.child.kill('SIGKILL');
    const notReady = await msUntilNotReady(killed);
    console.log(`readyz 503 ${notReady.ms} ms after SIGKILL to the last worker`);
    expect(notReady.body).toMatchObject({ ready: false, temporal: 'reachable', worker: 'not-polling' });
    expect(notReady.ms).toBeLessThan(WORKER_GONE_AFTER_MS + SLACK_MS);

    // What the server says about pollers at this moment: the killed worker, polled a few seconds ago.
    const described = await env.connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const lastPolls = (described.pollers ?? [])
      .filter((poller) => poller.identity?.startsWith(`${worker.pid}@`))
      .map((poller) => Date.now() - Number(poller.lastAccessTime?.seconds ?? 0) * 1000);
    expect(lastPolls.length).toBe(1);
    expect(lastPolls[0]).toBeLessThan(POLLER_FRESH_MS);
  });
});
