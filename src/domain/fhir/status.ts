/**
 * Appointment.status → the canonical event type. FHIR's statuses say more than our events do (arrived,
 * checked-in, proposed…), so each is decided here once: which are bookings, which end one, which are not
 * bookings yet and are refused.
 */
import type { Appointment } from '@medplum/fhirtypes';
import type { EhrEventType } from '../../shared/appointment';
import type { FhirProblem } from './problems';

/** What each R4 Appointment.status becomes; null: refused, not a booking yet. */
export const FHIR_STATUS_EVENT: Readonly<Record<Appointment['status'], EhrEventType | null>> = {
  proposed: null,
  pending: null,
  waitlist: null,
  booked: 'BOOKED',
  // The patient is there or has been: a BOOKED marked `attended` (ATTENDED_STATUSES).
  arrived: 'BOOKED',
  'checked-in': 'BOOKED',
  fulfilled: 'BOOKED',
  cancelled: 'CANCELED',
  // Booked by mistake: to the patient it is gone, as if cancelled.
  'entered-in-error': 'CANCELED',
  noshow: 'NOSHOWED',
};

/** The patient is there or has been: details only, never a booking prompt or a reopening (rules 2). */
const ATTENDED_STATUSES: ReadonlySet<string> = new Set(['arrived', 'checked-in', 'fulfilled']);

export function isAttended(status: string | undefined): boolean {
  return ATTENDED_STATUSES.has(status ?? '');
}

export function readStatus(
  status: string | undefined,
  path: string,
  problems: FhirProblem[],
): EhrEventType | undefined {
  const expression = `${path}.status`;
  if (status === undefined) {
    problems.push({ code: 'required', diagnostics: 'Appointment.status is required', expression });
    return undefined;
  }
  if (!Object.prototype.hasOwnProperty.call(FHIR_STATUS_EVENT, status)) {
    problems.push({
      code: 'value',
      diagnostics: `Appointment.status must be one of ${Object.keys(FHIR_STATUS_EVENT).join(', ')}`,
      expression,
    });
    return undefined;
  }
  const eventType = FHIR_STATUS_EVENT[status as Appointment['status']];
  if (eventType === null) {
    problems.push({
      code: 'not-supported',
      diagnostics: `Appointment.status ${status} is not a booking yet: send the Appointment once it is booked`,
      expression,
    });
    return undefined;
  }
  return eventType;
}
