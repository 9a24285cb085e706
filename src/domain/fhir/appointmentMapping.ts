/**
 * FHIR R4 Appointment ingress (ARCHITECTURE §3): an `Appointment` alone (its Patient, Practitioner and
 * Location contained and referenced as `#id`) or in a `Bundle` with them, mapped to the canonical
 * AppointmentEvent, or to every problem found, each with a FHIRPath expression for an OperationOutcome.
 * Pure: the receive time, default country and default zone are parameters. Rules (README "FHIR appointments"):
 *
 * - status (status.ts): booked, arrived, checked-in, fulfilled → BOOKED; cancelled, entered-in-error → CANCELED;
 *   noshow → NOSHOWED; proposed, pending, waitlist are not bookings yet and are refused (not-supported).
 * - appointment id: `Appointment.id`, else the first `identifier.value` (the EHR id rule of ingestRules.ts).
 * - start (timeZone.ts): `Appointment.start` (an instant with offset), required except for cancelled,
 *   entered-in-error and noshow, which apply to the known appointment's time (as in the JSON format).
 * - zone (timeZone.ts): the `timezone` extension (IANA code, on `_start`, the Appointment or its meta) wins; else
 *   DEFAULT_TIMEZONE, unless the start carries a non-zero offset that DEFAULT_TIMEZONE does not have at that
 *   instant, then that fixed offset, so the patient reads the wall-clock time the EHR wrote.
 * - patient (patient.ts), provider (practitioner.ts), location (location.ts): the participants' actors, found
 *   by references.ts; values read by the rules all formats share (ingestRules.ts).
 * - identity: eventId `Appointment/<id>/_history/<meta.versionId>`, else a hash of what we read; eventAt
 *   `meta.lastUpdated`, else the receive time. A resent version is a duplicate, an older one is stale.
 * - references the input does not carry (`Patient/example`, an absolute URL under the EHR's FHIR base): with
 *   `ehrFhirBaseUrl` in the context they are listed in `unresolved` (the ingest workflow reads them and maps
 *   again with the resources read added as Bundle entries, see resolvedReferences.ts); without it, as before.
 */
import { createHash } from 'node:crypto';
import { UNTIMED_EVENT_TYPES, type IngestedEvent } from '../../shared/appointment';
import { isEhrIdentifier } from '../events/ingestRules';
import { parseInstant } from '../time/zone';
import { readLocation } from './location';
import { readPatient } from './patient';
import { readProvider } from './practitioner';
import type { FhirProblem } from './problems';
import { FHIR_ID, findAppointment, readParticipants } from './references';
import type { FhirMappingContext, Scope } from './scope';
import { appointmentSchema, parseAs, type AppointmentRead } from './shapes';
import { isAttended, readStatus } from './status';
import { readStart } from './timeZone';

// The module's contract as before the split: src/api/fhir.ts, the activities and the tests import these from here.

/**
 * References the EHR's FHIR API can resolve (context `ehrFhirBaseUrl`), listed when reading them may complete
 * the mapping: on a failure only when every problem is such a reference; on success when one adds detail.
 */
export interface UnresolvedReferences {
  /** As written in the input, e.g. `Patient/example` or `https://ehr.example.org/fhir/Patient/example`. */
  references: string[];
  appointmentId: string;
  /** Fixed before the reads: `Appointment/<id>/_history/<versionId>`, else a hash of the input as posted. */
  eventId: string;
}

export type FhirMappingResult =
  | { ok: true; event: IngestedEvent; unresolved?: UnresolvedReferences }
  | { ok: false; problems: FhirProblem[]; unresolved?: UnresolvedReferences };

export function mapFhirAppointment(input: unknown, context: FhirMappingContext): FhirMappingResult {
  const problems: FhirProblem[] = [];
  const found = findAppointment(input, problems);
  if (!found) return { ok: false, problems };
  const scope: Scope = {
    entries: found.entries,
    problems,
    context,
    unresolved: [],
    referenceProblems: new Set(),
  };
  const appointment = parseAs(appointmentSchema, found.appointment, problems);
  if (!appointment) return { ok: false, problems };
  const path = found.appointment.path;

  const appointmentId = readAppointmentId(appointment, path, problems);
  const eventType = readStatus(appointment.status, path, problems);
  // A cancellation or no-show may leave out `start`: the workflow of the known appointment has it.
  const timing = readStart(
    appointment,
    path,
    scope,
    eventType !== undefined && UNTIMED_EVENT_TYPES.includes(eventType),
  );
  const meta = readMeta(appointment, path, problems);

  const participants = readParticipants(appointment, found.appointment, scope.entries);
  const patient = readPatient(participants, path, scope);
  const provider = readProvider(participants, scope);
  const location = readLocation(participants, scope);

  const unresolved = unresolvedReferences(scope, input, appointmentId, meta);
  const pending = unresolved === undefined ? {} : { unresolved };
  if (problems.length > 0 || !appointmentId || !eventType || timing === undefined || !meta || !patient) {
    return { ok: false, problems, ...pending };
  }
  const head = {
    eventType,
    ...(isAttended(appointment.status) ? { attended: true as const } : {}),
    appointmentId,
  };
  const tail = {
    ...(location === undefined ? {} : { location }),
    patient,
    ...(provider === undefined ? {} : { provider }),
  };
  // Key order as before untimed events existed: the content hash (event id) of a resend must not change.
  const content = timing ? { ...head, ...timing, ...tail } : { ...head, ...tail };
  return {
    ok: true,
    event: {
      eventId:
        meta.versionId !== undefined
          ? `Appointment/${appointmentId}/_history/${meta.versionId}`
          : contentHashId(appointmentId, content, meta.lastUpdated),
      eventAt: meta.lastUpdated ?? context.receivedAt,
      receivedAt: context.receivedAt,
      ...content,
    },
    ...pending,
  };
}

function unresolvedReferences(
  scope: Scope,
  input: unknown,
  appointmentId: string | undefined,
  meta: { versionId?: string } | undefined,
): UnresolvedReferences | undefined {
  if (scope.unresolved.length === 0 || appointmentId === undefined || meta === undefined) return undefined;
  if (!scope.problems.every((p) => scope.referenceProblems.has(p))) return undefined;
  // The reads may change what the content hash covers: the id of a resend must not depend on them.
  const eventId =
    meta.versionId !== undefined
      ? `Appointment/${appointmentId}/_history/${meta.versionId}`
      : `Appointment/${appointmentId}/sha256-${createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 32)}`;
  return { references: [...scope.unresolved], appointmentId, eventId };
}

function readAppointmentId(
  appointment: AppointmentRead,
  path: string,
  problems: FhirProblem[],
): string | undefined {
  const id = appointment.id?.trim();
  if (id) {
    if (isEhrIdentifier(id)) return id;
    problems.push({
      code: 'value',
      diagnostics: 'Appointment.id may contain only letters, digits and . _ : @ - (up to 128)',
      expression: `${path}.id`,
    });
    return undefined;
  }
  const index = (appointment.identifier ?? []).findIndex((i) => i.value?.trim());
  const value = appointment.identifier?.[index]?.value?.trim();
  if (value === undefined) {
    problems.push({
      code: 'required',
      diagnostics: 'The Appointment needs an id (or an identifier value): it names the appointment',
      expression: `${path}.id`,
    });
    return undefined;
  }
  if (isEhrIdentifier(value)) return value;
  problems.push({
    code: 'value',
    diagnostics: 'An appointment identifier may contain only letters, digits and . _ : @ - (up to 128)',
    expression: `${path}.identifier[${index}].value`,
  });
  return undefined;
}

function readMeta(
  appointment: AppointmentRead,
  path: string,
  problems: FhirProblem[],
): { versionId?: string; lastUpdated?: string } | undefined {
  let ok = true;
  const versionId = appointment.meta?.versionId?.trim() || undefined;
  if (versionId !== undefined && !FHIR_ID.test(versionId)) {
    ok = false;
    problems.push({
      code: 'value',
      diagnostics: 'meta.versionId must be a FHIR id (letters, digits, - and ., up to 64)',
      expression: `${path}.meta.versionId`,
    });
  }
  const lastUpdatedText = appointment.meta?.lastUpdated?.trim() || undefined;
  const lastUpdatedMs = lastUpdatedText === undefined ? undefined : parseInstant(lastUpdatedText);
  if (lastUpdatedText !== undefined && lastUpdatedMs === undefined) {
    ok = false;
    problems.push({
      code: 'value',
      diagnostics: 'meta.lastUpdated must be an instant with an offset, e.g. 2026-11-20T18:00:00Z',
      expression: `${path}.meta.lastUpdated`,
    });
  }
  if (!ok) return undefined;
  return {
    ...(versionId === undefined ? {} : { versionId }),
    ...(lastUpdatedMs === undefined ? {} : { lastUpdated: new Date(lastUpdatedMs).toISOString() }),
  };
}

/** Same content (and same lastUpdated) → same id, so a resend without meta.versionId is still a duplicate. */
function contentHashId(appointmentId: string, content: object, lastUpdated: string | undefined): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([content, lastUpdated ?? null]))
    .digest('hex')
    .slice(0, 32);
  return `Appointment/${appointmentId}/sha256-${digest}`;
}
