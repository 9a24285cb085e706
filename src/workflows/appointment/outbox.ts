/**
 * Sends the appointment's texts, one local activity each. Reminders first pass the number's daily
 * allowance: counted here when the number is the appointment's alone, reserved with the phone
 * workflow when its conversation said the number is shared (the only wait on another workflow).
 */
import { log, metricMeter, workflowInfo } from '@temporalio/workflow';
import { WORKFLOW_METRICS } from '../../metrics/workflowMetrics';
import { type AppointmentState } from '../../domain/appointment/appointmentState';
import { localDayOf } from '../../domain/appointment/reminders';
import type { AppointmentEvent } from '../../shared/appointment';
import type { MessageRecord } from '../../domain/appointment/records';
import { releaseReminder, reserveReminder, sendText } from './activities';
import { SEND_SMS_LOCAL_OPTIONS } from '../../shared/activityOptions';
import { describeFailure, textFailure } from './failures';
import { providerNameOf, type PhoneLink } from './phoneLink';

export class Outbox {
  constructor(private readonly phoneLink: PhoneLink) {}

  async deliver(state: AppointmentState, message: MessageRecord): Promise<void> {
    const { details } = state.data;
    if (!details) return;
    const to = details.patient.phone;
    if (to === undefined) {
      // The state skips texts when the number goes; this only keeps a text from waiting for ever.
      state.suppressMessage(message.key, details.patient.phoneProblem ?? 'NO_PHONE');
      return;
    }
    if (message.kind === 'REMINDER' && !(await this.allowReminder(state, message, details, to))) return;
    const reservedOn = message.kind === 'REMINDER' ? state.data.sharedPhone : undefined;
    // A cancellation, reschedule or opt-out may have arrived while a reservation was pending.
    const current = state.data.details ?? details;
    if (message.status === 'PENDING' && current.patient.phone !== undefined) {
      await this.send(state, message, current, current.patient.phone);
    }
    // The daily cap counts texts that went out: a granted reminder that did not is given back.
    if (reservedOn === to && message.sid === undefined) {
      await releaseReminder(reservedOn, message.key).catch((err: unknown) =>
        log.error('reminder reservation not released', {
          messageKey: message.key,
          error: describeFailure(err),
        }),
      );
    }
  }

  private async allowReminder(
    state: AppointmentState,
    message: MessageRecord,
    details: AppointmentEvent,
    to: string,
  ): Promise<boolean> {
    const localDay = localDayOf(Date.now(), details.timeZone);
    let refusal: string | undefined;
    if (state.data.sharedPhone === to) {
      try {
        const answer = await reserveReminder(to, {
          appointmentId: details.appointmentId,
          messageKey: message.key,
          localDay,
        });
        if (!answer.allowed) refusal = answer.reason;
      } catch (err) {
        // Not reserved within its bound (an hour): sent now it would be late and might pass the cap.
        log.error('reminder not reserved', { messageKey: message.key, error: describeFailure(err) });
        refusal = 'RESERVATION_FAILED';
      }
    } else {
      const allowance = state.data.policy?.maxRemindersPerPhonePerDay ?? 2;
      if (state.remindersSentOnLocalDay(localDay, details.timeZone) >= allowance) {
        refusal = 'DAILY_CAP';
        // A number only this appointment uses: counted here (a shared one's refusal, by its conversation).
        const { reminderSuppressions } = WORKFLOW_METRICS;
        metricMeter
          .createCounter(reminderSuppressions.name, undefined, reminderSuppressions.help)
          .add(1, { reason: 'daily_cap' });
      }
    }
    if (refusal === undefined) return true;
    log.info('reminder suppressed', { messageKey: message.key, reason: refusal });
    state.suppressMessage(message.key, refusal);
    return false;
  }

  private async send(
    state: AppointmentState,
    message: MessageRecord,
    details: AppointmentEvent,
    to: string,
  ): Promise<void> {
    const kind =
      message.kind === 'REMINDER' && state.data.status === 'CONFIRMED' ? 'REMINDER_CONFIRMED' : message.kind;
    const link = this.phoneLink.withText(state, message);
    const provider = providerNameOf(details);
    // A reminder's planned send time, for the lateness metric only (an added input field: replay-safe).
    const plannedAt = state.data.reminders.find(
      (r) => r.kind === message.reminder && r.generation === message.reminderGeneration,
    )?.sendAt;
    try {
      // The Web UI names each text's activity ("first reminder"): user metadata, no PHI.
      const options = { ...SEND_SMS_LOCAL_OPTIONS, summary: textSummary(message) };
      const result = await sendText.executeWithOptions(options, [
        {
          messageKey: message.key,
          appointmentId: details.appointmentId,
          to,
          kind,
          context: {
            language: details.patient.language,
            firstName: details.patient.firstName,
            provider: provider || undefined,
            location: details.location,
            start: details.start,
            zone: details.timeZone,
            callbackPhone: details.provider?.callbackPhone,
          },
          ...(link ? { link: link.appointment } : {}),
          // A retry must not take an earlier identical text (a second acknowledgement) for its own send.
          excludeSids: state.data.messages.flatMap((m) => (m.sid ? [m.sid] : [])),
          ...(message.kind === 'REMINDER' && plannedAt ? { plannedAt } : {}),
          // The execution's start event: no lost task can move it, so a send whose task was lost is found, not
          // repeated (the task deciding the text may be re-run minutes later). Not runStartTime: that is the
          // first task this worker processed, later when the first one was lost. Added input field: replay-safe.
          notBefore: workflowInfo().startTime.toISOString(),
        },
      ]);
      state.recordSent(message.key, result, Date.now());
      if (link) this.phoneLink.linked(link);
    } catch (err) {
      const failure = textFailure(err);
      log.warn('text not sent', { messageKey: message.key, type: failure.type, code: failure.code });
      state.recordFailed(message.key, failure);
    }
  }
}

const TEXT_SUMMARIES: Readonly<Record<MessageRecord['kind'], string>> = {
  BOOKED: 'booking text',
  RESCHEDULED: 'reschedule text',
  MODIFIED: 'change text',
  CONFIRMED: 'confirmation text',
  CANCELED: 'cancellation text',
  NOSHOWED: 'missed-appointment text',
  REMINDER: 'reminder',
  REPLY_CONFIRMED: 'acknowledgement of a confirmation',
  REPLY_CANCEL_REQUESTED: 'acknowledgement of a cancel request',
};

/** "booking text", "first reminder", "second reminder", … */
export function textSummary(message: Pick<MessageRecord, 'kind' | 'reminder'>): string {
  if (message.kind === 'REMINDER' && message.reminder) return `${message.reminder.toLowerCase()} reminder`;
  return TEXT_SUMMARIES[message.kind];
}
