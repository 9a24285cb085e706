/**
 * The line the Temporal Web UI shows as a phone conversation's current details (user metadata):
 * the appointments it routes replies for and whether the number said STOP. Never the number itself
 * (the workflow id hides it too). Pure and bundle-safe.
 */
import type { PhoneStateData } from './records';

/** `2 appointments: A100 BOOKED, A101 CONFIRMED · opted out · awaiting a choice`. */
export function phoneDetailsOf(state: PhoneStateData): string {
  const { appointments } = state;
  const parts = [
    appointments.length === 0
      ? 'no appointment linked'
      : `${appointments.length} appointment${appointments.length === 1 ? '' : 's'}: ${appointments
          .slice(0, 5)
          .map((a) => `${a.appointmentId} ${a.status}`)
          .join(', ')}${appointments.length > 5 ? ', …' : ''}`,
  ];
  if (state.optedOut) parts.push('opted out');
  if (state.awaitingChoice) parts.push('awaiting the patient’s choice');
  return parts.join(' · ');
}
