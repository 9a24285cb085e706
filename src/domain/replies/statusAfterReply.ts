/**
 * The appointment status a routed confirm or cancel request leads to, as AppointmentState applies
 * it: only a booked or confirmed appointment takes either. The phone conversation and the
 * appointment both use this rule to agree on what the phone knows after a reply, so the
 * appointment does not have to send the phone its own new status.
 */
import type { AppointmentStatus } from '../../shared/appointment';

export function statusAfterReply(
  status: AppointmentStatus,
  kind: 'CONFIRM' | 'CANCEL_REQUEST' | 'OPT_OUT' | 'OPT_IN',
): AppointmentStatus {
  if (status !== 'BOOKED' && status !== 'CONFIRMED') return status;
  if (kind === 'CONFIRM') return 'CONFIRMED';
  if (kind === 'CANCEL_REQUEST') return 'CANCEL_REQUESTED';
  return status;
}
