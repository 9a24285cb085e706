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
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
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
  phoneStateQuery,
  reserveReminderUpdate,
  newPhoneWorkflowInput,
  type PhoneOutboxRecord,
  type PhoneWorkflowInput,
} from '../shared/phone';
import { FIRST_RULES } from '../shared/rulesVersion';
import { SEND_SMS_LOCAL_OPTIONS, SEND_SMS_OPTIONS, SIGNAL_LOCAL_OPTIONS } from '../shared/activityOptions';

const durable = proxyActivities<Activities>(SEND_SMS_OPTIONS);
const localTexts = proxyLocalActivities<Activities>(SEND_SMS_LOCAL_OPTIONS);
const localSignals = proxyLocalActivities<Activities>(SIGNAL_LOCAL_OPTIONS);

type TextAction = Extract<ConversationAction, { type: 'text' }>;

export async function phoneConversationWorkflow(input: PhoneWorkflowInput): Promise<void> {
  const lean = input.localActivities === true;
  const state = new ConversationState(input.carried ?? initialPhoneState(input.phone), {
    assumeRepliesApplied: lean,
    rules: input.rules ?? FIRST_RULES,
  });
  const actions: ConversationAction[] = [];

  setHandler(inboundReplySignal, (inbound) => {
    const decided = state.receive(inbound, Date.now());
    log.info('reply received', { messageSid: inbound.messageSid, actions: decided.map((a) => a.type) });
    actions.push(...decided);
  });
  setHandler(appointmentLinkedSignal, (appointment) => {
    actions.push(...state.announce(appointment, Date.now()));
  });
  setHandler(appointmentUnlinkedSignal, ({ appointmentId }) => state.forget(appointmentId));
  setHandler(reminderReleasedSignal, ({ messageKey }) => state.release(messageKey));
  setHandler(linkAppointmentUpdate, (appointment) => {
    state.link(appointment, Date.now());
    // Older runs answered links without telling anyone: their histories hold no such signals.
    if (lean) actions.push(...state.sharedNotices(Date.now()));
    return { optedOut: state.data.optedOut };
  });
  setHandler(reserveReminderUpdate, (request) => {
    const linked = state.data.appointments.find((a) => a.appointmentId === request.appointmentId);
    return state.reserve(request, linked?.maxRemindersPerDay ?? 2);
  });
  setHandler(phoneStateQuery, () => state.data);

  // Since rules 2 a reply that arrives while the run continues as new is acted on first.
  const rules2 = (input.rules ?? FIRST_RULES) >= 2;

  for (;;) {
    await condition(() => actions.length > 0 || workflowInfo().continueAsNewSuggested);
    while (actions.length > 0) {
      const action = actions.shift() as ConversationAction;
      if (action.type === 'text') await answer(state, action, lean);
      else await tellAppointment(action, state.data.phone, lean);
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // A reply that arrived meanwhile is acted on first (since rules 2): the new run gets only the state.
      if (rules2 && actions.length > 0) continue;
      // The new run takes the newest behaviour (local activities, current rules).
      await continueAsNew<typeof phoneConversationWorkflow>(newPhoneWorkflowInput(input.phone, state.data));
    }
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

async function answer(state: ConversationState, action: TextAction, lean: boolean): Promise<void> {
  const language = state.language();
  const latest = state.data.appointments[state.data.appointments.length - 1];
  const choices = action.kind === 'DISAMBIGUATE' ? state.choiceAppointments() : [];
  const record: PhoneOutboxRecord = { key: action.key, kind: action.kind, language, status: 'PENDING' };
  state.data.outbox.push(record);
  if (state.data.outbox.length > 50) state.data.outbox.shift();
  const send = lean ? localTexts.sendSms : durable.sendSms;
  try {
    const result = await send({
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
      // A retry must not take an earlier identical answer (a second HELP) for its own send.
      excludeSids: sidsOf(state.data.outbox),
    });
    record.status = result.status.toUpperCase();
    record.sid = result.sid;
  } catch (err) {
    record.status = 'FAILED';
    log.warn('conversation text not sent', { key: action.key, error: String(err) });
  }
}
