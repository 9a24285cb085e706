/**
 * One workflow per phone number: the inbox of that number. It routes each reply to the right
 * appointment workflow, asks "which one?" when several could be meant, honours STOP/START for
 * every appointment on the number, and grants reminders within the daily allowance.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
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
  inboundReplySignal,
  linkAppointmentUpdate,
  patientReplySignal,
  phoneStateQuery,
  reserveReminderUpdate,
  type PhoneOutboxRecord,
  type PhoneWorkflowInput,
} from '../shared/phone';
import { SEND_SMS_OPTIONS } from '../shared/activityOptions';

const { sendSms } = proxyActivities<Activities>(SEND_SMS_OPTIONS);

export async function phoneConversationWorkflow(input: PhoneWorkflowInput): Promise<void> {
  const state = new ConversationState(input.carried ?? initialPhoneState(input.phone));
  const actions: ConversationAction[] = [];

  setHandler(inboundReplySignal, (inbound) => {
    const decided = state.receive(inbound, Date.now());
    log.info('reply received', { messageSid: inbound.messageSid, actions: decided.map((a) => a.type) });
    actions.push(...decided);
  });
  setHandler(linkAppointmentUpdate, (appointment) => {
    state.link(appointment, Date.now());
    return { optedOut: state.data.optedOut };
  });
  setHandler(reserveReminderUpdate, (request) => {
    const linked = state.data.appointments.find((a) => a.appointmentId === request.appointmentId);
    return state.reserve(request, linked?.maxRemindersPerDay ?? 2);
  });
  setHandler(phoneStateQuery, () => state.data);

  for (;;) {
    await condition(() => actions.length > 0 || workflowInfo().continueAsNewSuggested);
    while (actions.length > 0) {
      const action = actions.shift() as ConversationAction;
      if (action.type === 'route') {
        // Signals are durable: the reply reaches the appointment even if its worker is down now.
        await getExternalWorkflowHandle(action.workflowId)
          .signal(patientReplySignal, action.reply)
          .catch((err: unknown) =>
            log.warn('appointment gone; reply not routed', {
              appointmentId: action.appointmentId,
              error: String(err),
            }),
          );
      } else {
        await answer(state, action);
      }
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof phoneConversationWorkflow>({ phone: input.phone, carried: state.data });
    }
  }
}

async function answer(
  state: ConversationState,
  action: Extract<ConversationAction, { type: 'text' }>,
): Promise<void> {
  const language = state.language();
  const latest = state.data.appointments[state.data.appointments.length - 1];
  const choices = action.kind === 'DISAMBIGUATE' ? state.choiceAppointments() : [];
  const record: PhoneOutboxRecord = { key: action.key, kind: action.kind, language, status: 'PENDING' };
  state.data.outbox.push(record);
  if (state.data.outbox.length > 50) state.data.outbox.shift();
  try {
    const result = await sendSms({
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
    });
    record.status = result.status.toUpperCase();
    record.sid = result.sid;
  } catch (err) {
    record.status = 'FAILED';
    log.warn('conversation text not sent', { key: action.key, error: String(err) });
  }
}
