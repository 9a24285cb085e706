/**
 * One workflow per phone number: the inbox of that number. It routes each reply to the right
 * appointment workflow, asks "which one?" when several could be meant, honours STOP/START for
 * every appointment on the number, and grants reminders within the daily allowance when several
 * appointments share the number.
 *
 * Runs started with `localActivities` (everything since the lean lifecycle) send and signal
 * through local activities; older runs keep their external signals and ordinary activities until
 * they continue-as-new, so their histories replay unchanged.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setCurrentDetails,
  getExternalWorkflowHandle,
  log,
  metricMeter,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { WakeTimer } from './wakeTimer';
import {
  ConversationState,
  initialPhoneState,
  type ConversationAction,
} from '../domain/phone/conversationState';
import {
  appointmentLinkedSignal,
  appointmentUnlinkedSignal,
  inboundReplySignal,
  reminderReleasedSignal,
  linkAppointmentUpdate,
  patientReplySignal,
  phoneSharedSignal,
  reserveReminderUpdate,
  newPhoneWorkflowInput,
} from '../shared/phone';
import type { PhoneOutboxRecord, PhoneRecord } from '../domain/phone/records';
import type { PhoneRunInput } from './phoneInput';
import { phoneStateQuery } from './phoneQueries';
import { FIRST_RULES } from '../shared/rulesVersion';
import { parseReply } from '../domain/replies/parseReply';
import { replyKindLabel, WORKFLOW_METRICS } from '../metrics/workflowMetrics';
import { phoneDetailsOf } from '../domain/phone/currentDetails';
import {
  SEND_SMS_LOCAL_OPTIONS,
  SEND_SMS_OPTIONS,
  SIGNAL_LOCAL_OPTIONS,
  SNAPSHOT_LOCAL_OPTIONS,
} from '../shared/activityOptions';

const durable = proxyActivities<Activities>(SEND_SMS_OPTIONS);
const localTexts = proxyLocalActivities<Activities>(SEND_SMS_LOCAL_OPTIONS);
const localSignals = proxyLocalActivities<Activities>(SIGNAL_LOCAL_OPTIONS);
const localRecords = proxyLocalActivities<Activities>(SNAPSHOT_LOCAL_OPTIONS);

type TextAction = Extract<ConversationAction, { type: 'text' }>;

export async function phoneConversationWorkflow(input: PhoneRunInput): Promise<void> {
  const lean = input.localActivities === true;
  const state = new ConversationState(input.carried ?? initialPhoneState(input.phone), {
    assumeRepliesApplied: lean,
    rules: input.rules ?? FIRST_RULES,
  });
  const actions: ConversationAction[] = [];
  const rules = input.rules ?? FIRST_RULES;
  // Since rules 3 a conversation ends when it has nothing left to do; a new one starts from the
  // opt-out state it left (a phone record). Until that is read, inputs wait in order.
  const endsWhenIdle = rules >= 3;
  const seeding = new Seeding(endsWhenIdle && input.carried === undefined);

  setHandler(inboundReplySignal, (inbound) =>
    seeding.then(() => {
      // Metrics only (nothing in the history): what the reply was read as, and an opt-out change.
      const fresh = !state.data.seenMessageSids.includes(inbound.messageSid);
      const wasOptedOut = state.data.optedOut;
      const kind = fresh ? parseReply(inbound.body, state.language()).kind : undefined;
      const decided = state.receive(inbound, Date.now());
      if (kind !== undefined) countReply(kind, wasOptedOut, state.data.optedOut);
      log.info('reply received', { messageSid: inbound.messageSid, actions: decided.map((a) => a.type) });
      actions.push(...decided);
    }),
  );
  setHandler(appointmentLinkedSignal, (appointment) =>
    seeding.then(() => actions.push(...state.announce(appointment, Date.now()))),
  );
  setHandler(appointmentUnlinkedSignal, ({ appointmentId }) =>
    seeding.then(() => state.forget(appointmentId)),
  );
  setHandler(reminderReleasedSignal, ({ messageKey }) => seeding.then(() => state.release(messageKey)));
  setHandler(linkAppointmentUpdate, (appointment) =>
    seeding.answer(() => {
      state.link(appointment, Date.now());
      // Older runs answered links without telling anyone: their histories hold no such signals.
      if (lean) actions.push(...state.sharedNotices(Date.now()));
      return { optedOut: state.data.optedOut };
    }),
  );
  setHandler(reserveReminderUpdate, (request) =>
    seeding.answer(() => {
      const linked = state.data.appointments.find((a) => a.appointmentId === request.appointmentId);
      const asked = state.data.reservations.some((r) => r.messageKey === request.messageKey);
      const answer = state.reserve(request, linked?.maxRemindersPerDay ?? 2);
      if (!answer.allowed && !asked) countRefusedReservation(answer.reason);
      return answer;
    }),
  );
  setHandler(phoneStateQuery, () => state.data);

  // Since rules 2 a reply that arrives while the run continues as new is acted on first.
  const rules2 = rules >= 2;
  const recordId = workflowInfo().workflowId;
  const record = seeding.pending ? await readRecord(recordId) : null;
  if (record) {
    state.data.optedOut = record.optedOut;
    state.data.version = record.version;
    state.data.recordKept = true;
  }
  seeding.done();

  // Ordinary activities, not local ones: a local activity beside the routing ones would make the
  // history depend on which finished first.
  const textsBeside = rules >= 3;
  const answers = new AnswerQueue(() => (answersSettled = true));
  let answersSettled = false;
  // Answers still going out hold back the idle check and continue-as-new; their end wakes the loop.
  const wake = (): boolean =>
    actions.length > 0 || (!answers.busy && (answersSettled || workflowInfo().continueAsNewSuggested));
  // One timer for the idle check, kept while replies come: it may fire early, then the check re-arms it.
  const idleTimer = new WakeTimer();
  let idleCheckAt: number | undefined;
  for (;;) {
    answersSettled = false;
    // The Web UI's "current details" (user metadata): no command, so it changes no history.
    setCurrentDetails(phoneDetailsOf(state.data));
    if (endsWhenIdle && !answers.busy) {
      if (idleCheckAt === undefined || Date.now() >= idleCheckAt) {
        idleCheckAt = Math.max(Date.now() + IDLE_CHECK_MIN_MS, state.idleAtMs());
      }
      await idleTimer.sleep(idleCheckAt, wake);
    } else {
      await condition(wake);
    }
    while (actions.length > 0) {
      const action = actions.shift() as ConversationAction;
      // Since rules 3 answers go out in order in the background: a retrying text never holds back a reply or a STOP.
      if (action.type === 'text' && textsBeside) {
        const send = prepareAnswer(state, action);
        answers.add(() => send(durable.sendSms));
      } else if (action.type === 'text') await answer(state, action, lean);
      else await tellAppointment(action, state.data.phone, lean);
    }
    if (answers.busy) continue;
    if (endsWhenIdle && state.isIdle(Date.now())) {
      // Nothing left to do: keep the opt-out state where the next conversation finds it, then end.
      // A number that never said STOP (and has no record) leaves nothing behind.
      if (state.data.optedOut || state.data.recordKept) await keepRecord(recordId, state);
      await condition(allHandlersFinished);
      if (actions.length === 0 && state.isIdle(Date.now())) return;
      continue;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // A reply that arrived meanwhile is acted on first (since rules 2): the new run gets only the state.
      if (rules2 && actions.length > 0) continue;
      // The new run takes the newest behaviour (local activities, current rules).
      await continueAsNew<typeof phoneConversationWorkflow>({
        ...newPhoneWorkflowInput(input.phone),
        carried: state.data,
      });
    }
  }
}

/**
 * Metrics decided here, in the workflow, through `metricMeter`: the SDK emits nothing while a
 * workflow replays, so each reply is counted once; exported with the SDK's metrics
 * (TEMPORAL_SDK_METRICS_ADDRESS). Label values from fixed sets only (src/metrics/workflowMetrics.ts).
 */
function countReply(kind: string, wasOptedOut: boolean, optedOut: boolean): void {
  const { replies, optOuts } = WORKFLOW_METRICS;
  metricMeter.createCounter(replies.name, undefined, replies.help).add(1, { kind: replyKindLabel(kind) });
  if (wasOptedOut !== optedOut) {
    metricMeter
      .createCounter(optOuts.name, undefined, optOuts.help)
      .add(1, { change: optedOut ? 'opt_out' : 'opt_in' });
  }
}

function countRefusedReservation(reason: string): void {
  const { reminderSuppressions } = WORKFLOW_METRICS;
  metricMeter
    .createCounter(reminderSuppressions.name, undefined, reminderSuppressions.help)
    .add(1, { reason: reason === 'OPTED_OUT' ? 'opted_out' : 'daily_cap' });
}

/** The shortest wait before checking whether the conversation has become idle. */
const IDLE_CHECK_MIN_MS = 1_000;

/**
 * Inputs that arrive before the phone record is read wait, in arrival order, and are applied once
 * it is: an announcement must see the number's opt-out state. Runs that read no record apply them at once.
 */
class Seeding {
  private readonly held: Array<() => void> = [];

  constructor(public pending: boolean) {}

  /** Applies `input` now, or once seeded. */
  then(input: () => void): void {
    if (this.pending) this.held.push(input);
    else input();
  }

  /** An update's answer: at once (as runs that read no record always did), or once seeded. */
  answer<T>(compute: () => T): T | Promise<T> {
    if (!this.pending) return compute();
    return new Promise<T>((resolve) => this.held.push(() => resolve(compute())));
  }

  done(): void {
    this.pending = false;
    for (const input of this.held.splice(0)) input();
  }
}

async function readRecord(recordId: string): Promise<PhoneRecord | null> {
  try {
    return await localRecords.readPhoneRecord(recordId);
  } catch (err) {
    // Unreadable for a whole day (SNAPSHOT_LOCAL_OPTIONS): start afresh rather than never answer.
    log.error('phone record not read; starting afresh', { error: String(err) });
    return null;
  }
}

async function keepRecord(recordId: string, state: ConversationState): Promise<void> {
  state.data.version += 1;
  try {
    await localRecords.writePhoneRecord(recordId, {
      optedOut: state.data.optedOut,
      version: state.data.version,
    });
    state.data.recordKept = true;
  } catch (err) {
    // Not written within a day: the number's next conversation starts opted in (Twilio still blocks a STOPped number).
    log.error('phone record not written', { error: String(err) });
  }
}

/** Signals are durable: a reply reaches the appointment even if its worker is down now. */
async function tellAppointment(
  action: Exclude<ConversationAction, TextAction>,
  phone: string,
  lean: boolean,
): Promise<void> {
  const gone = (err: unknown): void =>
    log.warn('appointment gone; not told', { appointmentId: action.appointmentId, error: String(err) });
  if (lean) {
    try {
      const told =
        action.type === 'route'
          ? await localSignals.routeReplyToAppointment(action.workflowId, action.reply)
          : await localSignals.tellPhoneShared(action.workflowId, phone);
      if (!told) gone('not found');
    } catch (err) {
      // Temporal refused the signal for a whole day (SIGNAL_LOCAL_OPTIONS): say so, keep the conversation going.
      log.error('appointment not told', { appointmentId: action.appointmentId, error: String(err) });
    }
    return;
  }
  const handle = getExternalWorkflowHandle(action.workflowId);
  await (
    action.type === 'route'
      ? handle.signal(patientReplySignal, action.reply)
      : handle.signal(phoneSharedSignal, { phone: phone })
  ).catch(gone);
}

function sidsOf(records: ReadonlyArray<{ sid?: string | null }>): string[] {
  return records.flatMap((r) => (r.sid ? [r.sid] : []));
}

/** Texts sent one after another in the background. */
class AnswerQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(private readonly onSettled: () => void) {}

  get busy(): boolean {
    return this.queued > 0;
  }

  add(send: () => Promise<void>): void {
    this.queued += 1;
    this.tail = this.tail.then(send).finally(() => {
      this.queued -= 1;
      if (this.queued === 0) this.onSettled();
    });
  }
}

type SendSms = (typeof durable)['sendSms'];

/** Answers one text now (runs before rules 3: in line, a local activity since the lean lifecycle). */
async function answer(state: ConversationState, action: TextAction, lean: boolean): Promise<void> {
  await prepareAnswer(state, action)(lean ? localTexts.sendSms : durable.sendSms);
}

/**
 * Decides an answer's text now (language, the list a which-one question shows) and records it as
 * pending; the returned function sends it. Which earlier answers a retry must not mistake for its
 * own send is read when it is sent.
 */
function prepareAnswer(state: ConversationState, action: TextAction): (send: SendSms) => Promise<void> {
  const language = state.language();
  const latest = state.data.appointments[state.data.appointments.length - 1];
  const choices = action.kind === 'DISAMBIGUATE' ? state.choiceAppointments() : [];
  const record: PhoneOutboxRecord = { key: action.key, kind: action.kind, language, status: 'PENDING' };
  state.data.outbox.push(record);
  if (state.data.outbox.length > 50) state.data.outbox.shift();
  const request = {
    messageKey: action.key,
    appointmentId: latest?.appointmentId ?? 'none',
    to: state.data.phone,
    kind: action.kind,
    context: {
      language,
      firstName: latest?.firstName,
      ...(latest?.callbackPhone ? { callbackPhone: latest.callbackPhone } : {}),
    },
    ...(choices.length > 0
      ? { choiceItems: choices.map((a) => ({ start: a.start, zone: a.timeZone, provider: a.provider })) }
      : {}),
  };
  return async (send) => {
    try {
      // A retry must not take an earlier identical answer (a second HELP) for its own send.
      const result = await send({ ...request, excludeSids: sidsOf(state.data.outbox) });
      record.status = result.status.toUpperCase();
      record.sid = result.sid;
    } catch (err) {
      record.status = 'FAILED';
      log.warn('conversation text not sent', { key: action.key, error: String(err) });
    }
  };
}
