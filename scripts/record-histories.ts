/**
 * Records workflow histories for the replay test (test/workflows/replay.test.ts).
 *
 * Each scenario runs on a fresh time-skipping server with the real activities (texts through the
 * real twilio SDK to the sandbox, snapshots to a temp folder, EHR callbacks to the built-in
 * receiver) and the histories of the appointment lifecycle and of every phone conversation it
 * touched are written to test/fixtures/histories/appointmentLifecycle/<scenario>[--phone].json,
 * with their event counts and encoded sizes. Re-record only as the README's "Replay tests" says.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { ConversationGateway } from '../src/ingest/conversationGateway';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { phoneWorkflowId } from '../src/ingest/phoneIds';
import { historyToJson } from '../src/tools/historyJson';
import {
  appointmentViewQuery,
  sendNextReminderNowUpdate,
  appointmentWorkflowId,
  type AppointmentEvent,
  type AppointmentPolicy,
  type AppointmentStatus,
  type AppointmentView,
} from '../src/shared/appointment';
import type { appointmentLifecycle } from '../src/workflows/appointment';
import {
  appointmentWorker,
  event,
  HOUR,
  MINUTE,
  startSandboxTwilio,
  testActivities,
  type SandboxTwilio,
  signalAppointment,
  startEhrReceiver,
} from '../test/helpers/appointmentHarness';
import { bundleWorkflows, timeSkippingEnv } from '../test/helpers/temporal';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(PROJECT_ROOT, 'test/fixtures/histories/appointmentLifecycle');
const EHR_SECRET = 'record-histories-secret';
/** The harness's activities salt phone workflow ids with this customer code. */
const CUSTOMER_CODE = 'valley';

const iso = (ms: number): string => new Date(ms).toISOString();
const minuteAligned = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;
const sentKinds = (v: AppointmentView): string[] => v.messages.filter((m) => m.sid).map((m) => m.kind);
const settled = (v: AppointmentView): boolean => v.messages.every((m) => m.status !== 'PENDING');
const confirmedAndCalledBack = (v: AppointmentView): boolean =>
  v.status === 'CONFIRMED' &&
  sentKinds(v).includes('REPLY_CONFIRMED') &&
  v.callbacks[0]?.status === 'DELIVERED';

interface Run {
  env: TestWorkflowEnvironment;
  /** Server time when the scenario began. */
  t0: number;
  appointmentId: string;
  /** Signal-with-start: the first event starts the workflow, later ones signal it. */
  send(ev: AppointmentEvent, policy?: Partial<AppointmentPolicy>): Promise<void>;
  /** Builds an event for this appointment with a stable, readable event id. */
  ev(
    eventId: string,
    overrides: Partial<AppointmentEvent> & Pick<AppointmentEvent, 'eventType' | 'start'>,
  ): AppointmentEvent;
  /** The patient texts back (through the same gateway the Twilio webhook uses). */
  reply(body: string): Promise<void>;
  /** Polls (real time) until the view satisfies the predicate. */
  until(what: string, predicate: (v: AppointmentView) => boolean): Promise<AppointmentView>;
  handle(): WorkflowHandle<typeof appointmentLifecycle>;
}

interface Scenario {
  name: string;
  /** Returns a one-line summary of the final state, printed next to the file written. */
  body(run: Run): Promise<string>;
}

/** Failure stack traces name this checkout's absolute path; replay never reads them. */
function portableHistoryJson(history: History): string {
  return historyToJson(history).split(PROJECT_ROOT).join('<project>');
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`scenario did not reach the expected state: ${message}`);
}

/** Sends the BOOKED event of an appointment `hours` ahead (for `patient`, if given); resolves with its start. */
async function book(r: Run, hours: number, patient?: AppointmentEvent['patient']): Promise<number> {
  const start = minuteAligned(r.t0) + hours * HOUR;
  await r.send(r.ev('booked', { eventType: 'BOOKED', start: iso(start), ...(patient ? { patient } : {}) }));
  return start;
}

/** Books the appointment `hours` ahead; resolves with its start once the booking text is out (and, by default, settled). */
async function booked(r: Run, hours: number, untilSettled = true): Promise<number> {
  const start = await book(r, hours);
  await r.until('BOOKED text sent', (v) => sentKinds(v).includes('BOOKED') && (!untilSettled || settled(v)));
  return start;
}

/** Skips time to the first reminder (48 h before `start`), then to the second (24 h later), waiting for each. */
async function bothReminders(r: Run, start: number): Promise<void> {
  await r.env.sleep(start - 48 * HOUR - (await r.env.currentTimeMs()) + MINUTE / 2);
  await r.until('first reminder sent', (v) => v.reminders[0]?.status === 'SENT');
  await r.env.sleep(24 * HOUR);
  await r.until('second reminder sent', (v) => v.reminders[1]?.status === 'SENT');
}

/** The lifecycle's result, checked to end in `status`. */
async function endedIn(r: Run, status: AppointmentStatus): Promise<AppointmentView> {
  const final = await r.handle().result();
  check(final.status === status, `status ${final.status}, expected ${status}`);
  return final;
}

const sentSummary = (final: AppointmentView): string => `${final.status}, sent ${sentKinds(final).join(' ')}`;
const messagesSummary = (final: AppointmentView): string =>
  `${final.status}, messages ${final.messages.map((m) => `${m.kind}:${m.status}`).join(' ')}`;

const scenarios: Scenario[] = [
  {
    // The typical lifecycle: booked, two reminders, the patient replies "yes", the EHR is told.
    name: 'booked-reminded-confirmed-by-reply',
    async body(r) {
      await bothReminders(r, await booked(r, 72, false));
      await r.reply('yes');
      await r.until('confirmed, acknowledged and called back', confirmedAndCalledBack);
      const final = await endedIn(r, 'COMPLETED');
      return `${sentSummary(final)}, callbacks ${final.callbacks.length}`;
    },
  },
  {
    name: 'booked-reminded-completed',
    async body(r) {
      await bothReminders(r, await booked(r, 72, false));
      // Time skips to the end of retention (72 h after the appointment) while we wait for the result.
      const final = await endedIn(r, 'COMPLETED');
      check(
        sentKinds(final).join() === 'BOOKED,REMINDER,REMINDER',
        `sent ${sentKinds(final).join()}, expected BOOKED,REMINDER,REMINDER`,
      );
      return sentSummary(final);
    },
  },
  {
    name: 'confirmed-rescheduled-canceled-with-duplicate-and-stale',
    async body(r) {
      const start = minuteAligned(r.t0) + 72 * HOUR;
      const booking = r.ev('booked', { eventType: 'BOOKED', start: iso(start) });
      await r.send(booking);
      await r.send(booking); // the EHR sends the same event twice
      await r.until('BOOKED text sent', (v) => sentKinds(v).includes('BOOKED') && settled(v));
      await r.send(
        r.ev('confirmed', { eventType: 'CONFIRMED', start: iso(start), eventAt: iso(r.t0 + MINUTE) }),
      );
      await r.until('CONFIRMED text sent', (v) => sentKinds(v).includes('CONFIRMED') && settled(v));
      await r.env.sleep(25 * HOUR); // the 48 h reminder goes out, in its "confirmed" wording
      await r.until('first reminder sent', (v) => v.reminders[0]?.status === 'SENT');
      const later = start + 48 * HOUR;
      await r.send(
        r.ev('rescheduled', { eventType: 'RESCHEDULED', start: iso(later), eventAt: iso(r.t0 + 25 * HOUR) }),
      );
      await r.until('RESCHEDULED text sent', (v) => sentKinds(v).includes('RESCHEDULED') && settled(v));
      // Older than the reschedule: ignored as stale.
      await r.send(r.ev('stale-modified', { eventType: 'MODIFIED', start: iso(start), eventAt: iso(r.t0) }));
      await r.until('stale event ignored', (v) => v.ignoredEvents.length === 1);
      await r.send(
        r.ev('canceled', { eventType: 'CANCELED', start: iso(later), eventAt: iso(r.t0 + 26 * HOUR) }),
      );
      await r.until('CANCELED text sent', (v) => sentKinds(v).includes('CANCELED') && settled(v));
      const final = await endedIn(r, 'CANCELED');
      check(final.ignoredEvents.length === 1, 'one stale event ignored');
      return `${sentSummary(final)}, ignored ${final.ignoredEvents.length}`;
    },
  },
  {
    name: 'permanent-sms-failure',
    async body(r) {
      // Twilio's magic "invalid number": a permanent (non-retryable) failure.
      await book(r, 72, { id: 'P9', firstName: 'Ana', phone: '+15005550001', language: 'en' });
      const v = await r.until('BOOKED text failed', (x) => x.messages[0]?.status === 'FAILED');
      check(v.messages[0]?.error === 'SmsPermanentFailure:21211', `error ${v.messages[0]?.error}`);
      return messagesSummary(await r.handle().result());
    },
  },
  {
    // Rules 3: the patient says STOP; the number's conversation, with nothing left to do a day after,
    // keeps its opt-out state in a phone record and ends (its history ends with the record's write).
    name: 'stop-then-conversation-ends',
    async body(r) {
      await booked(r, 30);
      await r.reply('STOP');
      await r.until('opted out', (v) => v.optedOut);
      const final = await r.handle().result();
      check(final.optedOut, 'opted out at the end');
      return `${final.status}, opted out, sent ${sentKinds(final).join(' ')}`;
    },
  },
  {
    // Rules 3: "HELP" is answered in the background while "yes" is routed; the EHR hears of the
    // confirmation before its acknowledgement text goes out.
    name: 'help-then-yes-ehr-first',
    async body(r) {
      await booked(r, 30);
      await r.reply('HELP');
      await r.reply('yes');
      await r.until('confirmed, acknowledged and called back', confirmedAndCalledBack);
      const final = await endedIn(r, 'COMPLETED');
      return `${sentSummary(final)}, callbacks ${final.callbacks.length}`;
    },
  },
  {
    // Issue 12: booked with a landline only (recorded, nothing texted), then the EHR sends a mobile:
    // the booking text goes out then, and the appointment completes as usual.
    name: 'no-mobile-then-textable',
    async body(r) {
      const start = await book(r, 2, {
        id: 'P8',
        firstName: 'Ana',
        phoneProblem: 'NOT_MOBILE',
        language: 'en',
      });
      await r.until('recorded without a number', (v) => v.untextable === 'NOT_MOBILE');
      await r.send(
        r.ev('modified', { eventType: 'MODIFIED', start: iso(start), eventAt: iso(r.t0 + MINUTE) }),
      );
      await r.until('BOOKED text sent', (v) => sentKinds(v).includes('BOOKED') && settled(v));
      const final = await r.handle().result();
      check(final.untextable === undefined, `untextable ${final.untextable}`);
      return messagesSummary(final);
    },
  },
  {
    // Issue 13: the console's "send the next reminder now" (an update) sends the first reminder early.
    name: 'booked-reminded-now-by-update',
    async body(r) {
      await booked(r, 72);
      const result = await r.handle().executeUpdate(sendNextReminderNowUpdate, { updateId: 'remind-now-1' });
      check('reminder' in result, `update answered ${JSON.stringify(result)}`);
      await r.until('first reminder sent', (v) => v.reminders[0]?.status === 'SENT');
      return sentSummary(await r.handle().result());
    },
  },
  {
    name: 'noshowed-then-completed',
    async body(r) {
      const start = await booked(r, 2);
      await r.env.sleep(2 * HOUR + 48 * HOUR);
      await r.send(
        r.ev('noshowed', { eventType: 'NOSHOWED', start: iso(start), eventAt: iso(r.t0 + 50 * HOUR) }),
      );
      await r.until('NOSHOWED text sent', (v) => sentKinds(v).includes('NOSHOWED'));
      return sentSummary(await endedIn(r, 'NOSHOWED'));
    },
  },
];

interface Recorded {
  file: string;
  events: number;
  /** Protobuf-encoded size, as Temporal stores it. */
  bytes: number;
}

function writeHistory(name: string, history: History): Recorded {
  const file = path.join(OUT_DIR, `${name}.json`);
  writeFileSync(file, `${portableHistoryJson(history)}\n`);
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  return { file, events: history.events?.length ?? 0, bytes };
}

async function record(
  scenario: Scenario,
  sandbox: SandboxTwilio,
  bundle: WorkflowBundleWithSourceMap,
  ehr: { url: string },
): Promise<{ recorded: Recorded[]; summary: string }> {
  // A fresh server per scenario: its clock is global, and leftovers can stall time skipping.
  const env = await timeSkippingEnv();
  try {
    const taskQueue = `record-${scenario.name}`;
    const { activities } = testActivities(
      sandbox,
      { client: env.client, taskQueue },
      { url: ehr.url, secret: EHR_SECRET },
    );
    const conversations = new ConversationGateway(env.client, taskQueue, CUSTOMER_CODE);
    let replies = 0;
    const worker = await appointmentWorker(env, bundle, taskQueue, activities);
    const appointmentId = `A-${scenario.name}`;
    const workflowId = appointmentWorkflowId(appointmentId);
    const t0 = await env.currentTimeMs();
    const phones = new Set<string>();
    let handle: WorkflowHandle<typeof appointmentLifecycle> | undefined;
    const run: Run = {
      env,
      t0,
      appointmentId,
      async send(ev, policy) {
        if (ev.patient.phone) phones.add(ev.patient.phone);
        handle = await signalAppointment(env.client, taskQueue, ev, policy);
      },
      async reply(body) {
        replies += 1;
        const from = [...phones][0] ?? '';
        await conversations.deliverInbound({
          messageSid: `SM${scenario.name.replace(/[^a-z]/g, '').slice(0, 20)}${replies}`,
          from,
          body,
          receivedAt: iso(await env.currentTimeMs()),
        });
      },
      ev: (eventId, overrides) => ({
        ...event({ appointmentId, eventAt: iso(t0), ...overrides }),
        eventId: `${scenario.name}-${eventId}`,
      }),
      async until(what, predicate) {
        let last: AppointmentView | undefined;
        for (let i = 0; i < 400; i++) {
          last = await run.handle().query(appointmentViewQuery);
          if (predicate(last)) return last;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`${scenario.name}: never saw "${what}"; last view: ${JSON.stringify(last, null, 2)}`);
      },
      handle() {
        if (!handle) throw new Error('no event sent yet');
        return handle;
      },
    };

    let summary = '';
    await worker.runUntil(async () => {
      try {
        summary = await scenario.body(run);
      } finally {
        // Anything still running (the appointment if the scenario stopped early, and phone
        // conversations with something left to do) is terminated before the server goes away.
        const running = [workflowId, ...[...phones].map((p) => phoneWorkflowId(p, CUSTOMER_CODE))];
        for (const id of running) {
          const h = env.client.workflow.getHandle(id);
          const { status } = await h.describe().catch(() => ({ status: { name: 'UNKNOWN' } }));
          if (status.name === 'RUNNING') await h.terminate('history recorded').catch(() => undefined);
        }
      }
    });

    const recorded = [writeHistory(scenario.name, await run.handle().fetchHistory())];
    // The phone conversations this scenario touched (a reply, or a link from a lean lifecycle).
    for (const phone of phones) {
      const history = await env.client.workflow
        .getHandle(phoneWorkflowId(phone, CUSTOMER_CODE))
        .fetchHistory()
        .catch(() => undefined);
      if (history) recorded.push(writeHistory(`${scenario.name}--phone`, history));
    }
    return { recorded, summary };
  } finally {
    await env.teardown();
  }
}

async function main(): Promise<void> {
  // Workflow and activity warnings (the failing-number scenario logs its failures) are expected here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  mkdirSync(OUT_DIR, { recursive: true });
  const only = process.argv.slice(2);
  const selected = only.length > 0 ? scenarios.filter((s) => only.includes(s.name)) : scenarios;
  if (selected.length === 0) throw new Error(`no scenario named ${only.join(', ')}`);
  const [bundle, sandbox, ehr] = await Promise.all([
    bundleWorkflows(require.resolve('../src/workflows')),
    startSandboxTwilio(),
    startEhrReceiver(EHR_SECRET),
  ]);
  try {
    for (const scenario of selected) {
      const { recorded, summary } = await record(scenario, sandbox, bundle, ehr);
      for (const { file, events, bytes } of recorded) {
        console.log(`wrote ${path.relative(process.cwd(), file)} (${events} events, ${bytes} bytes encoded)`);
      }
      console.log(`  ${scenario.name}: ${summary}`);
    }
  } finally {
    await Promise.all([sandbox.close(), ehr.close()]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
