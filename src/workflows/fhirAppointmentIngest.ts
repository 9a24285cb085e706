/**
 * The FHIR ingest workflow (type `fhirAppointmentIngest`, id `fhir-ingest-<eventId>`): one per posted FHIR
 * Appointment event whose Patient, Practitioner or Location must be read from the EHR (FHIR_BASE_URL). It
 * reads them (an activity retried with backoff for up to a day, so an EHR that is down delays the event and
 * never loses it), maps the self-contained result, and hands the event to the appointment workflow. Whatever
 * cannot become an event (a 404/410 Patient, a refused reference, an EHR down for a day) ends the run with a
 * `failed` result, logged: nothing is retried for ever. Deterministic: every read and hand-off is an activity.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  FHIR_REFERENCE_REFUSED,
  FHIR_UNKNOWN_APPOINTMENT,
  type FhirIngestInput,
  type FhirIngestResult,
} from '../domain/fhir/resolvedReferences';

const { resolveFhirAppointment } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // An EHR down longer than a day: the event is recorded as failed (logged) rather than waiting for ever.
  scheduleToCloseTimeout: '1 day',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: [FHIR_REFERENCE_REFUSED],
  },
});

const { submitResolvedFhirEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [FHIR_UNKNOWN_APPOINTMENT],
  },
});

export async function fhirAppointmentIngest(input: FhirIngestInput): Promise<FhirIngestResult> {
  const ids = { appointmentId: input.appointmentId, eventId: input.eventId };
  const failed = (
    reason: Extract<FhirIngestResult, { status: 'failed' }>['reason'],
    rest: Partial<Pick<Extract<FhirIngestResult, { status: 'failed' }>, 'problems' | 'missing'>> = {},
  ): FhirIngestResult => {
    const result = { status: 'failed' as const, ...ids, reason, problems: [], missing: [], ...rest };
    // Codes and element paths only: diagnostics and references may name the patient.
    log.warn('FHIR appointment event not ingested', {
      ...ids,
      reason,
      issues: result.problems.map(({ code, expression }) => ({ code, expression })),
      missing: result.missing.length,
    });
    return result;
  };

  let resolution;
  try {
    resolution = await resolveFhirAppointment(input);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return failed(failureType(err) === FHIR_REFERENCE_REFUSED ? 'refused' : 'ehr-unavailable');
  }
  if (!resolution.ok) {
    return failed('invalid', { problems: resolution.problems, missing: resolution.missing });
  }
  try {
    const submitted = await submitResolvedFhirEvent(resolution.event);
    return { status: 'submitted', ...ids, duplicate: submitted.duplicate, missing: resolution.missing };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return failed(
      failureType(err) === FHIR_UNKNOWN_APPOINTMENT ? 'unknown-appointment' : 'temporal-unavailable',
      { missing: resolution.missing },
    );
  }
}

/** The ApplicationFailure type an activity failed with; undefined for a timeout (retries ran out). */
function failureType(err: ActivityFailure): string | undefined {
  if (err.cause instanceof TimeoutFailure) return undefined;
  return err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
}
