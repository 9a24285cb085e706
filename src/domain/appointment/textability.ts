/**
 * Whether an appointment as an event describes it can be texted, and if not why: a code an
 * operator can act on (no PHI). Pure and bundle-safe: the workflow records it, ingress reports it.
 */
import type {
  AppointmentEvent,
  IngestedEvent,
  PhoneProblem,
  UntextableReason,
} from '../../shared/appointment';

/**
 * The phone's problem, else APPOINTMENT_PASSED when the appointment had begun when the event was
 * applied (nothing about it is worth a text then, except a no-show's), else undefined: textable.
 */
export function untextableReasonOf(
  event: AppointmentEvent | IngestedEvent,
  nowMs: number,
): UntextableReason | undefined {
  if (event.patient.phone === undefined) return event.patient.phoneProblem ?? 'NO_PHONE';
  if (event.start === undefined || event.eventType === 'NOSHOWED') return undefined;
  return Date.parse(event.start) <= nowMs ? 'APPOINTMENT_PASSED' : undefined;
}

/** Problems that say nothing about the number the appointment already has (none sent, or hidden). */
export function keepsKnownPhone(problem: PhoneProblem): boolean {
  return problem === 'NO_PHONE' || problem === 'MASKED_PHONE';
}
