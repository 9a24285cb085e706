/**
 * Everything an appointment workflow test needs, all real: a Temporal server (time-skipping or
 * dev), the real `twilio` SDK talking to our Twilio-compatible sandbox over HTTP, and the file
 * snapshot store in a temp folder.
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { DEFAULT_TEMPLATES } from '../../src/domain/messages/templates';
import { FileSnapshotStore } from '../../src/activities/snapshots/fileStore';
import {
  createSandboxTwilioClient,
  SANDBOX_FROM_NUMBER,
  sandboxTwilioBaseUrl,
} from '../../src/activities/twilioClient';
import { logger } from '../../src/log';
import { createEhrCallbackReceiverRouter, EhrCallbackStore } from '../../src/sandbox/ehrCallbackReceiver';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { createTwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import { AppointmentGateway } from '../../src/ingest/appointmentGateway';
import {
  appointmentViewQuery,
  type AppointmentView,
  type AppointmentEvent,
  type AppointmentPolicy,
  type EventEnvelope,
} from '../../src/shared/appointment';
import type { appointmentLifecycle } from '../../src/workflows/appointment';
import { bundleWorkflows, timeSkippingEnv } from './temporal';
import { SANDBOX_TEST_AUTH_TOKEN } from './config';

export const quietLogger = logger.child({}, { level: 'silent' });

export interface SandboxTwilio {
  store: SandboxMessageStore;
  baseUrl: string;
  close(): Promise<void>;
}

/** An EHR endpoint: the real built-in receiver, optionally failing the first N requests with 503. */
export async function startEhrReceiver(
  secret: string,
  failFirst = 0,
): Promise<{ url: string; store: EhrCallbackStore; requests: string[]; close(): Promise<void> }> {
  const store = new EhrCallbackStore(mkdtempSync(path.join(os.tmpdir(), 'ehr-')));
  const requests: string[] = [];
  const app = express();
  app.use(express.json());
  app.use((req, res, next) => {
    requests.push(String(req.headers['idempotency-key']));
    if (requests.length <= failFirst) {
      res.status(503).json({ error: 'down for maintenance' });
      return;
    }
    next();
  });
  app.use(createEhrCallbackReceiverRouter(store, { secret, logger: quietLogger }));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/sandbox/ehr-callbacks`,
    store,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function startSandboxTwilio(
  dir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-')),
): Promise<SandboxTwilio> {
  const store = new SandboxMessageStore(dir);
  const app = express();
  app.use(
    createTwilioSandboxRouter({
      store,
      authToken: SANDBOX_TEST_AUTH_TOKEN,
      logger: quietLogger,
      deliveryDelaysMs: { sent: 0, delivered: 0 },
    }),
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    store,
    baseUrl: sandboxTwilioBaseUrl(`http://127.0.0.1:${port}`),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function testActivities(
  sandbox: SandboxTwilio,
  temporal: { client: Client; taskQueue: string; phoneIdKey?: string },
  ehrCallback: { url: string; secret: string } = { url: 'http://127.0.0.1:9/unused', secret: 'unused' },
  snapshotDir = mkdtempSync(path.join(os.tmpdir(), 'snap-')),
) {
  return {
    snapshots: new FileSnapshotStore(snapshotDir),
    activities: createActivities({
      twilio: createSandboxTwilioClient(sandbox.baseUrl, SANDBOX_TEST_AUTH_TOKEN),
      sender: { from: SANDBOX_FROM_NUMBER },
      templates: DEFAULT_TEMPLATES,
      customerName: 'Valley Clinic',
      customerCode: 'valley',
      snapshots: new FileSnapshotStore(snapshotDir),
      // Tests' ConversationGateway uses the same key ('valley') to find phone workflows.
      temporal: { phoneIdKey: 'valley', ...temporal },
      ehrCallback,
      logger: quietLogger,
    }),
  };
}

export async function appointmentWorker(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
  taskQueue: string,
  activities: ReturnType<typeof createActivities>,
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
    ...options,
  });
}

export { DEFAULT_POLICY } from './policy';
import { DEFAULT_POLICY } from './policy';

let counter = 0;

/** A canonical event with sensible defaults; `start` is an ISO instant. */
export function event(
  overrides: Partial<AppointmentEvent> & Pick<AppointmentEvent, 'eventType' | 'start' | 'eventAt'>,
): AppointmentEvent {
  counter += 1;
  return {
    eventId: `ev-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    receivedAt: overrides.eventAt,
    appointmentId: 'A1',
    localStart: overrides.start.slice(0, 19),
    timeZone: 'UTC',
    location: 'Main St',
    patient: { id: 'P1', firstName: 'Ana', phone: '+13035550123', language: 'en' },
    provider: { id: 'D1', firstName: 'Jo', lastName: 'Smith', callbackPhone: '+13035550100' },
    ...overrides,
  };
}

export function envelope(ev: AppointmentEvent, policy: Partial<AppointmentPolicy> = {}): EventEnvelope {
  return { event: ev, policy: { ...DEFAULT_POLICY, ...policy } };
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/**
 * Hands the event to its appointment workflow through the API's own AppointmentGateway (one
 * signal-with-start, with DEFAULT_POLICY under `policy`) and returns the workflow's handle. Search
 * attributes are off by default: the time-skipping server cannot register ours. A gateway per call, as
 * if each event came through another API process: a resent event reaches the workflow, which
 * de-duplicates it itself.
 */
export async function signalAppointment(
  client: Client,
  taskQueue: string,
  ev: AppointmentEvent,
  policy: Partial<AppointmentPolicy> = {},
  indexSearchAttributes = false,
): Promise<WorkflowHandle<typeof appointmentLifecycle>> {
  const gateway = new AppointmentGateway(client, taskQueue, () => ({ ...DEFAULT_POLICY, ...policy }), {
    indexSearchAttributes,
  });
  const { workflowId } = await gateway.submit(ev);
  return client.workflow.getHandle<typeof appointmentLifecycle>(workflowId);
}

export interface TimeSkippingSuite {
  readonly env: TestWorkflowEnvironment;
  readonly bundle: WorkflowBundleWithSourceMap;
  readonly sandbox: SandboxTwilio;
}

/**
 * Registers the hooks of a workflow test file: workflows bundled and the sandbox started once per
 * file, and a fresh time-skipping server per test (its clock is global: one test's leftover timers
 * or tasks can hold it still for the next, seen as a 25 h env.sleep running in real time).
 */
export function useTimeSkippingSuite(): TimeSkippingSuite {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap | undefined;
  let sandbox: SandboxTwilio | undefined;
  beforeAll(async () => {
    [bundle, sandbox] = await Promise.all([
      bundleWorkflows(require.resolve('../../src/workflows')),
      startSandboxTwilio(),
    ]);
  });
  afterAll(() => sandbox?.close());
  beforeEach(async () => {
    env = await timeSkippingEnv();
  });
  afterEach(() => env?.teardown());
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only available inside a test`);
    return value;
  };
  return {
    get env() {
      return ready(env, 'env');
    },
    get bundle() {
      return ready(bundle, 'bundle');
    },
    get sandbox() {
      return ready(sandbox, 'sandbox');
    },
  };
}

/** Polls (real time) the appointment's view until the predicate holds; fails with the last view. */
export async function untilView(
  handle: WorkflowHandle<typeof appointmentLifecycle>,
  predicate: (view: AppointmentView) => boolean,
): Promise<AppointmentView> {
  let last: AppointmentView | undefined;
  for (let i = 0; i < 200; i++) {
    last = await handle.query(appointmentViewQuery);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition never held; last view: ${JSON.stringify(last, null, 2)}`);
}
