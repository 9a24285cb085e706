/**
 * The texts the appointment decides to send: queued for an EHR event or a patient's reply (or kept as
 * skipped, with why, when they must not go), dropped when a cancellation or opt-out makes them wrong,
 * and what became of each once handed to Twilio.
 */
import type { AppointmentEvent, OutboundKind } from '../../shared/appointment';
import type { AppointmentStateData, MessageRecord } from './records';
import type { PatientReply } from '../../shared/phone';
import type { RulesVersion } from '../../shared/rulesVersion';
import { recordDelivery } from './deliveryReports';
import { reminderOf } from './reminders';
import { bump, iso } from './stateData';

/** Texts decided but not yet handed to Twilio, oldest first. */
export function pendingMessages(data: AppointmentStateData): MessageRecord[] {
  return data.messages.filter((m) => m.status === 'PENDING');
}

function messageOf(data: AppointmentStateData, key: string): MessageRecord {
  const message = data.messages.find((m) => m.key === key);
  if (!message) throw new Error(`unknown message ${key}`);
  return message;
}

/**
 * A cancellation makes unsent booking/confirmation texts wrong, and an opt-out forbids them: drop them
 * rather than send them late. A dropped reminder text takes its reminder out of QUEUED too.
 */
export function skipPendingTexts(
  data: AppointmentStateData,
  skipReason: string,
  reminderStatus: 'CANCELED' | 'SUPPRESSED',
  reminderNote: string,
): void {
  for (const message of pendingMessages(data)) {
    message.status = 'SKIPPED';
    message.skipReason = skipReason;
    const reminder = reminderOf(data, message);
    if (reminder?.status === 'QUEUED') {
      reminder.status = reminderStatus;
      reminder.note = reminderNote;
    }
  }
}

export function queueReplyText(
  data: AppointmentStateData,
  kind: 'REPLY_CONFIRMED' | 'REPLY_CANCEL_REQUESTED',
  reply: PatientReply,
  nowMs: number,
): void {
  const key = `${data.appointmentId}:${reply.messageSid}:${kind}`;
  if (data.messages.some((m) => m.key === key)) return;
  const record: MessageRecord = { key, kind, status: 'PENDING', createdAt: iso(nowMs) };
  if (data.optedOut) {
    record.status = 'SKIPPED';
    record.skipReason = 'OPTED_OUT';
  } else if (data.details?.patient.phone === undefined) {
    record.status = 'SKIPPED';
    record.skipReason = data.details?.patient.phoneProblem ?? 'NO_PHONE';
  }
  data.messages.push(record);
}

export function queueEventText(
  data: AppointmentStateData,
  kind: OutboundKind,
  event: AppointmentEvent,
  nowMs: number,
): void {
  const key = `${data.appointmentId}:${event.eventId}:${kind}`;
  // An event id that fell out of seenEventIds and came back must not make a second record with this
  // key: recordSent/recordFailed find the first, so the second would stay PENDING for ever.
  if (data.messages.some((m) => m.key === key)) return;
  const record: MessageRecord = { key, kind, status: 'PENDING', createdAt: iso(nowMs) };
  const appointmentPassed = Date.parse(event.start) <= nowMs;
  if (data.optedOut) {
    record.status = 'SKIPPED';
    record.skipReason = 'OPTED_OUT';
  } else if (event.patient.phone === undefined) {
    record.status = 'SKIPPED';
    record.skipReason = event.patient.phoneProblem ?? 'NO_PHONE';
  } else if (appointmentPassed && kind !== 'NOSHOWED') {
    // Telling a patient about a past appointment's booking or cancellation helps nobody.
    record.status = 'SKIPPED';
    record.skipReason = 'APPOINTMENT_PASSED';
  }
  data.messages.push(record);
}

/** Twilio took the text; a delivery report that overtook this result is applied now. */
export function recordSent(
  data: AppointmentStateData,
  rules: RulesVersion,
  key: string,
  result: { sid: string; status: string },
  nowMs: number,
): void {
  const message = messageOf(data, key);
  message.sid = result.sid;
  message.status = result.status.toUpperCase();
  message.sentAt = iso(nowMs);
  const to = data.details?.patient.phone;
  if (rules >= 2 && to !== undefined) message.to = to;
  const reminder = reminderOf(data, message);
  if (reminder) reminder.status = 'SENT';
  bump(data);
  const early = data.earlyDeliveries?.find((d) => d.messageSid === result.sid);
  if (early) {
    data.earlyDeliveries = data.earlyDeliveries?.filter((d) => d !== early);
    recordDelivery(data, rules, early);
  }
}

export function recordFailed(
  data: AppointmentStateData,
  key: string,
  error: { type: string; code?: number; message: string },
): void {
  const message = messageOf(data, key);
  message.status = 'FAILED';
  message.error = error;
  const reminder = reminderOf(data, message);
  if (reminder) {
    reminder.status = 'FAILED';
    reminder.note = error.code ? `${error.type}:${error.code}` : error.type;
  }
  bump(data);
}

/** A text the phone's daily allowance or opt-out refused: kept visible, never sent. */
export function suppressMessage(data: AppointmentStateData, key: string, reason: string): void {
  const message = messageOf(data, key);
  message.status = 'SKIPPED';
  message.skipReason = reason;
  const reminder = reminderOf(data, message);
  if (reminder) {
    reminder.status = 'SUPPRESSED';
    reminder.note = reason;
  }
  bump(data);
}
