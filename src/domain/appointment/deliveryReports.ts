/**
 * Twilio's delivery reports for the appointment's texts. Reports arrive late and out of order, so a
 * status only moves forward; since rules 2 a report that overtakes the send's own result is kept
 * until the text is recorded, and DELIVERED is final.
 */
import type { AppointmentStateData } from './records';
import type { DeliveryUpdate } from '../../shared/phone';
import type { RulesVersion } from '../../shared/rulesVersion';
import { bump } from './stateData';

/** Delivery statuses only move forward: a late "sent" never overwrites "delivered". */
const DELIVERY_RANK: Record<string, number> = {
  PENDING: 0,
  QUEUED: 1,
  ACCEPTED: 1,
  SCHEDULED: 1,
  SENDING: 2,
  SENT: 3,
  DELIVERED: 4,
  UNDELIVERED: 4,
  FAILED: 4,
  READ: 5,
};

/** Rules 2: a text Twilio delivered stays delivered whatever report comes late; READ is after that. */
const DELIVERY_RANK_V2: Record<string, number> = { ...DELIVERY_RANK, DELIVERED: 5, READ: 6 };
/** Reports for texts not recorded yet (a report can overtake the send's own result), kept until they are. */
const MAX_EARLY_DELIVERIES = 20;

/**
 * Twilio's delivery report for one of our texts; a late report never moves a status back. Since
 * rules 2 a report for a text not recorded yet is kept until the text is (see recordSent), and
 * DELIVERED is final against a late UNDELIVERED or FAILED.
 */
export function recordDelivery(
  data: AppointmentStateData,
  rules: RulesVersion,
  update: DeliveryUpdate,
): boolean {
  const message = data.messages.find((m) => m.sid === update.messageSid);
  if (!message) return rules >= 2 && keepEarly(data, update);
  const next = update.status.toUpperCase();
  const rank = rules >= 2 ? DELIVERY_RANK_V2 : DELIVERY_RANK;
  if ((rank[next] ?? 0) < (rank[message.status] ?? 0)) return false;
  message.status = next;
  if (update.errorCode !== undefined && (next === 'UNDELIVERED' || next === 'FAILED')) {
    message.error = {
      type: 'SmsDeliveryFailure',
      code: update.errorCode,
      message: `Twilio reported ${next}`,
    };
  } else if (rules >= 2 && (next === 'DELIVERED' || next === 'READ')) {
    delete message.error;
  }
  bump(data);
  return true;
}

/** Keeps the most advanced report per unknown SID, the newest MAX_EARLY_DELIVERIES of them. */
function keepEarly(data: AppointmentStateData, update: DeliveryUpdate): boolean {
  const kept = data.earlyDeliveries ?? [];
  const same = kept.find((d) => d.messageSid === update.messageSid);
  const rankOf = (d: DeliveryUpdate): number => DELIVERY_RANK_V2[d.status.toUpperCase()] ?? 0;
  if (same && rankOf(same) > rankOf(update)) return false;
  data.earlyDeliveries = [...kept.filter((d) => d !== same), update].slice(-MAX_EARLY_DELIVERIES);
  bump(data);
  return true;
}
