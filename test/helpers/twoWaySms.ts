/**
 * What the two-way SMS workflow tests share, on the time-skipping server with real activities: a
 * patient number per test, and a "world" per test (a worker on its own task queue, the
 * ConversationGateway the Twilio webhooks use, and the patient's side: book, reply, read texts).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { ConversationGateway } from '../../src/ingest/conversationGateway';
import { phoneWorkflowId } from '../../src/ingest/phoneIds';
import { phoneStateQuery } from '../../src/workflows/phoneQueries';
import type { AppointmentEvent, AppointmentView } from '../../src/shared/appointment';
import type { appointmentLifecycle } from '../../src/workflows/appointment';
import {
  appointmentWorker,
  event,
  testActivities,
  useTimeSkippingSuite,
  signalAppointment,
  startEhrReceiver,
  untilView,
  type TimeSkippingSuite,
} from './appointmentHarness';
import { uniqueTaskQueue } from './temporal';

export const SECRET = 'test-callback-secret';

export const iso = (ms: number): string => new Date(ms).toISOString();

export const sentKinds = (v: AppointmentView): string[] => v.messages.filter((m) => m.sid).map((m) => m.kind);

export interface World {
  taskQueue: string;
  conversations: ConversationGateway;
  book(
    appointmentId: string,
    startMs: number,
    overrides?: Partial<AppointmentEvent>,
  ): Promise<WorkflowHandle<typeof appointmentLifecycle>>;
  reply(body: string): Promise<void>;
  until(
    handle: WorkflowHandle<typeof appointmentLifecycle>,
    predicate: (v: AppointmentView) => boolean,
  ): Promise<AppointmentView>;
  texts(): Promise<string[]>;
  /** Waits until the phone workflow has `count` appointments whose patient was prompted. */
  phoneKnowsPrompted(count: number): Promise<void>;
}

export type Activities = ReturnType<typeof testActivities>['activities'];

export interface TwoWaySms {
  readonly suite: TimeSkippingSuite;
  /** This test's patient number: each test texts its own, the sandbox store being shared across the file. */
  readonly phone: string;
  /** The EHR's callback receiver, verifying SECRET; failing the first `failFirst` requests with 503. */
  startEhr(failFirst?: number): ReturnType<typeof startEhrReceiver>;
  /** Runs `body` with a worker whose EHR callbacks go to `ehrUrl`; `wrap` may slow or fail activities. */
  world(
    ehrUrl: string,
    body: (w: World) => Promise<void>,
    wrap?: (activities: Activities) => Activities,
  ): Promise<void>;
  /** Waits until the phone workflow's latest run has `status`. */
  untilPhone(phone: WorkflowHandle, status: 'RUNNING' | 'COMPLETED'): Promise<void>;
}

/** Registers the file's hooks (a number per test, the time-skipping suite); call once at the top of a test file. */
export function useTwoWaySms(): TwoWaySms {
  let phoneSeq = 100;
  let PHONE = '+13035550100';
  beforeEach(() => {
    phoneSeq += 1;
    PHONE = `+130355501${phoneSeq}`;
  });

  const suite = useTimeSkippingSuite();

  const startEhr = (failFirst = 0): ReturnType<typeof startEhrReceiver> =>
    startEhrReceiver(SECRET, failFirst);

  let replySeq = 0;

  async function world(
    ehrUrl: string,
    body: (w: World) => Promise<void>,
    wrap: (activities: Activities) => Activities = (a) => a,
  ): Promise<void> {
    const taskQueue = uniqueTaskQueue('sms');
    const { activities } = testActivities(
      suite.sandbox,
      { client: suite.env.client, taskQueue },
      { url: ehrUrl, secret: SECRET },
    );
    const worker = await appointmentWorker(suite.env, suite.bundle, taskQueue, wrap(activities));
    const conversations = new ConversationGateway(suite.env.client, taskQueue, 'valley');
    const t0 = await suite.env.currentTimeMs();
    const started = Date.now();
    const w: World = {
      taskQueue,
      conversations,
      async book(appointmentId, startMs, overrides = {}) {
        const ev = event({
          appointmentId,
          eventType: 'BOOKED',
          start: iso(startMs),
          eventAt: iso(t0),
          patient: { id: `P-${appointmentId}`, firstName: 'Ana', phone: PHONE, language: 'en' },
          ...overrides,
        });
        return signalAppointment(suite.env.client, taskQueue, ev);
      },
      async reply(text) {
        replySeq += 1;
        await conversations.deliverInbound({
          messageSid: `SMreply${replySeq}${Date.now()}`,
          from: PHONE,
          body: text,
          receivedAt: iso(t0),
        });
      },
      until: untilView,
      phoneKnowsPrompted,
      async texts() {
        const list = await suite.sandbox.store.list({ to: PHONE, createdAfter: new Date(started - 1000) });
        return list.map((m) => m.body);
      },
    };
    await worker.runUntil(body(w));
  }

  /** Waits until the phone workflow's latest run has `status`. */
  async function untilPhone(phone: WorkflowHandle, status: 'RUNNING' | 'COMPLETED'): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await phone.describe()).status.name === status) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the phone workflow never became ${status}`);
  }

  /** Waits until the phone workflow has `count` appointments whose patient was prompted. */
  async function phoneKnowsPrompted(count: number): Promise<void> {
    const phone = suite.env.client.workflow.getHandle(phoneWorkflowId(PHONE, 'valley'));
    for (let i = 0; i < 200; i++) {
      const known = await phone.query(phoneStateQuery).catch(() => undefined);
      if ((known?.appointments.filter((a) => a.prompted).length ?? 0) >= count) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the phone workflow never saw ${count} prompted appointments`);
  }

  return {
    suite,
    get phone() {
      return PHONE;
    },
    startEhr,
    world,
    untilPhone,
  };
}
