/**
 * The appointment status a routed confirm or cancel request leads to, as AppointmentState applies
 * it: a booked or confirmed appointment takes either, and (rules 2) a confirm takes back a cancel
 * request. The phone conversation and the appointment both use this rule to agree on what the phone
 * knows after a reply, so the appointment does not have to send the phone its own new status.
 */
import type { AppointmentStatus } from '../../shared/appointment';
import { CURRENT_RULES, type RulesVersion } from '../../shared/rulesVersion';

export function statusAfterReply(
  status: AppointmentStatus,
  kind: 'CONFIRM' | 'CANCEL_REQUEST' | 'OPT_OUT' | 'OPT_IN',
  rules: RulesVersion = CURRENT_RULES,
): AppointmentStatus {
  if (rules >= 2 && status === 'CANCEL_REQUESTED' && kind === 'CONFIRM') return 'CONFIRMED';
  if (status !== 'BOOKED' && status !== 'CONFIRMED') return status;
  if (kind === 'CONFIRM') return 'CONFIRMED';
  if (kind === 'CANCEL_REQUEST') return 'CANCEL_REQUESTED';
  return status;
}
