/**
 * The patient's replies, routed here by the phone workflow: confirm, cancel request, opt-out or
 * opt-in, each acknowledged by text and, for confirm and cancel, told to the EHR. Also whether the
 * patient has been asked anything yet (a reply only means something after a prompt).
 */
import type { AppointmentStateData } from './records';
import type { PatientReply } from '../../shared/phone';
import type { RulesVersion } from '../../shared/rulesVersion';
import { queueCallback } from './ehrCallbacks';
import { optIn, optOut } from './optOut';
import { replan, stopReminders } from './reminders';
import { ACTIVE, bump, hasSeen, REMINDED, remember } from './stateData';
import { queueReplyText } from './texts';

/** Applies one reply; idempotent by message SID and kind. Returns false for a repeat. */
export function applyPatientReply(
  data: AppointmentStateData,
  rules: RulesVersion,
  reply: PatientReply,
  nowMs: number,
): boolean {
  const seenKey = `sms:${reply.messageSid}:${reply.kind}`;
  if (hasSeen(data, seenKey)) return false;
  remember(data, seenKey);
  const active = data.details !== null && ACTIVE.has(data.status);
  switch (reply.kind) {
    case 'OPT_OUT':
      optOut(data);
      break;
    case 'OPT_IN':
      optIn(data, nowMs, active && (rules < 2 || REMINDED.has(data.status)));
      break;
    case 'CONFIRM':
      if (!active) break;
      if (data.status === 'CANCEL_REQUESTED') {
        if (rules < 2) break;
        // Confirm wins over a cancel request the clinic has not acted on: the EHR hears CONFIRM after CANCEL.
        data.status = 'CONFIRMED';
        replan(data, nowMs);
        queueCallback(data, 'CONFIRM', reply);
      } else if (data.status !== 'CONFIRMED') {
        data.status = 'CONFIRMED';
        queueCallback(data, 'CONFIRM', reply);
      }
      queueReplyText(data, 'REPLY_CONFIRMED', reply, nowMs);
      break;
    case 'CANCEL_REQUEST':
      if (!active || data.status === 'CANCEL_REQUESTED') break;
      data.status = 'CANCEL_REQUESTED';
      // The patient will not come: no more reminders while the EHR processes the cancellation.
      stopReminders(data, 'CANCEL_REQUESTED');
      queueCallback(data, 'CANCEL', reply);
      queueReplyText(data, 'REPLY_CANCEL_REQUESTED', reply, nowMs);
      break;
  }
  bump(data);
  return true;
}

/** A booking text or reminder reached the patient's current number (any number on the first rules). */
export function prompted(data: AppointmentStateData, rules: RulesVersion): boolean {
  const phone = data.details?.patient.phone;
  return data.messages.some(
    (m) =>
      (m.kind === 'BOOKED' || m.kind === 'REMINDER') &&
      m.sid !== undefined &&
      (rules < 2 || m.to === undefined || m.to === phone),
  );
}
