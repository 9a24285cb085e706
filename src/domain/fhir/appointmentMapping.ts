/**
 * FHIR R4 Appointment ingress (ARCHITECTURE §3): an `Appointment` alone (its Patient, Practitioner and
 * Location contained and referenced as `#id`) or in a `Bundle` with them, mapped to the canonical
 * AppointmentEvent, or to every problem found, each with a FHIRPath expression for an OperationOutcome.
 * Pure: the receive time, default country and default zone are parameters. Rules (README "FHIR appointments"):
 *
 * - status: booked, arrived, checked-in, fulfilled → BOOKED; cancelled, entered-in-error → CANCELED;
 *   noshow → NOSHOWED; proposed, pending, waitlist are not bookings yet and are refused (not-supported).
 * - appointment id: `Appointment.id`, else the first `identifier.value`.
 * - start: `Appointment.start` (an instant with offset), required except for cancelled, entered-in-error and
 *   noshow, which apply to the known appointment's time (as in the JSON format).
 * - zone: the `timezone` extension (IANA code, on `_start`, the Appointment or its meta) wins; else
 *   DEFAULT_TIMEZONE, unless the start carries a non-zero offset that DEFAULT_TIMEZONE does not have at that
 *   instant, then that fixed offset, so the patient reads the wall-clock time the EHR wrote.
 * - identity: eventId `Appointment/<id>/_history/<meta.versionId>`, else a hash of what we read; eventAt
 *   `meta.lastUpdated`, else the receive time. A resent version is a duplicate, an older one is stale.
 * - references the input does not carry (`Patient/example`, an absolute URL under the EHR's FHIR base): with
 *   `ehrFhirBaseUrl` in the context they are listed in `unresolved` (the ingest workflow reads them and maps
 *   again with the resources read added as Bundle entries, see resolvedReferences.ts); without it, as before.
 */
import { createHash } from 'node:crypto';
import type {
  Appointment,
  Bundle,
  Location,
  OperationOutcome,
  OperationOutcomeIssue,
  Patient,
  Practitioner,
  PractitionerRole,
} from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { z } from 'zod';
import {
  UNTIMED_EVENT_TYPES,
  type AppointmentEvent,
  type EhrEventType,
  type IngestedEvent,
} from '../../shared/appointment';
import { normalisePhone } from '../events/canonicalEvent';
import { readTextablePhone, type PhoneReading } from '../phone/textablePhone';
import { parseAppointmentZone, parseInstant, resolveZone } from '../time/zone';
import { readTarget } from './resolvedReferences';

// ---------------------------------------------------------------------------------------------------------------
// Public contract
// ---------------------------------------------------------------------------------------------------------------

/** The OperationOutcome issue codes (FHIR IssueType) the mapping reports. */
export type FhirProblemCode = 'invalid' | 'required' | 'value' | 'not-supported';

/** One reason the input cannot be texted; `diagnostics` never repeats patient data from the input. */
export interface FhirProblem {
  code: FhirProblemCode;
  diagnostics: string;
  /** FHIRPath from the posted resource, e.g. `Appointment.start` or `Bundle.entry[1].resource.telecom`. */
  expression?: string;
}

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

export interface FhirMappingContext {
  /** ISO 3166 country for national phone numbers (DEFAULT_COUNTRY). */
  defaultCountry: string;
  /** IANA zone the texts show times in when the Appointment names none (DEFAULT_TIMEZONE). */
  defaultTimezone: string;
  /** ISO instant of receipt: the event time when `meta.lastUpdated` is absent. */
  receivedAt: string;
  /** FHIR_BASE_URL: references readable from it are listed in `unresolved` instead of only refused. */
  ehrFhirBaseUrl?: string;
}

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

/** Bundle types that carry an Appointment with its resources to us; others (searchset, history…) are refused. */
export const SUPPORTED_BUNDLE_TYPES = ['transaction', 'batch', 'collection', 'message'] as const;

/** The core extension with an IANA zone (R5 name, also published for R4) and its R4 core predecessor. */
export const TIMEZONE_EXTENSION_URLS = [
  'http://hl7.org/fhir/StructureDefinition/timezone',
  'http://hl7.org/fhir/StructureDefinition/tz-code',
] as const;

/** An OperationOutcome listing `issues`, each an error. */
export function operationOutcome(
  issues: ReadonlyArray<{ code: OperationOutcomeIssue['code']; diagnostics: string; expression?: string }>,
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map(({ code, diagnostics, expression }) => ({
      severity: 'error',
      code,
      diagnostics,
      ...(expression === undefined ? {} : { expression: [expression] }),
    })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The shapes we read. Only JSON types are checked here (any element may be absent); what we need is checked
// below, so one answer lists every problem. Unknown elements are ignored.
// ---------------------------------------------------------------------------------------------------------------

const optionalString = z.string().optional();
const extensionSchema = z.object({ url: z.string(), valueCode: optionalString });
const extensions = z.array(extensionSchema).optional();
const identifiers = z.array(z.object({ value: optionalString })).optional();
const referenceSchema = z.object({
  reference: optionalString,
  type: optionalString,
  display: optionalString,
});
const telecoms = z
  .array(
    z.object({
      system: optionalString,
      value: optionalString,
      use: optionalString,
      rank: z.number().optional(),
    }),
  )
  .optional();
// `given` may hold null beside a `_given` extension (FHIR JSON's rule for primitive arrays).
const names = z
  .array(
    z.object({
      use: optionalString,
      family: optionalString,
      given: z.array(z.string().nullable()).optional(),
    }),
  )
  .optional();

const appointmentSchema = z.object({
  resourceType: z.literal('Appointment'),
  id: optionalString,
  meta: z
    .object({ versionId: optionalString, lastUpdated: optionalString, extension: extensions })
    .optional(),
  identifier: identifiers,
  extension: extensions,
  status: optionalString,
  start: optionalString,
  _start: z.object({ extension: extensions }).optional(),
  participant: z.array(z.object({ actor: referenceSchema.optional() })).optional(),
  contained: z.array(z.unknown()).optional(),
});

const patientSchema = z.object({
  resourceType: z.literal('Patient'),
  id: optionalString,
  identifier: identifiers,
  name: names,
  telecom: telecoms,
  communication: z
    .array(
      z.object({
        language: z
          .object({
            coding: z.array(z.object({ system: optionalString, code: optionalString })).optional(),
            text: optionalString,
          })
          .optional(),
        preferred: z.boolean().optional(),
      }),
    )
    .optional(),
});

const practitionerSchema = z.object({
  resourceType: z.literal('Practitioner'),
  id: optionalString,
  identifier: identifiers,
  name: names,
  telecom: telecoms,
});

const practitionerRoleSchema = z.object({
  resourceType: z.literal('PractitionerRole'),
  id: optionalString,
  identifier: identifiers,
  practitioner: referenceSchema.optional(),
  telecom: telecoms,
});

const locationSchema = z.object({
  resourceType: z.literal('Location'),
  id: optionalString,
  name: optionalString,
  address: z
    .object({ text: optionalString, line: z.array(z.string()).optional(), city: optionalString })
    .optional(),
});

const bundleSchema = z.object({
  resourceType: z.literal('Bundle'),
  type: optionalString,
  entry: z.array(z.object({ fullUrl: optionalString, resource: z.unknown().optional() })).optional(),
});

/**
 * Compile-time proof that every R4 resource as @medplum/fhirtypes types it fits the shapes above: an element
 * read under a wrong name or type fails the build here.
 */
type Accepts<Read, Fhir extends Read> = [Read, Fhir];
type _ReadShapesMatchFhirR4 = [
  Accepts<z.infer<typeof appointmentSchema>, Appointment>,
  Accepts<z.infer<typeof patientSchema>, Patient>,
  Accepts<z.infer<typeof practitionerSchema>, Practitioner>,
  Accepts<z.infer<typeof practitionerRoleSchema>, PractitionerRole>,
  Accepts<z.infer<typeof locationSchema>, Location>,
  Accepts<z.infer<typeof bundleSchema>, Bundle>,
];

type AppointmentRead = z.infer<typeof appointmentSchema>;
type PatientRead = z.infer<typeof patientSchema>;
type TelecomRead = NonNullable<PatientRead['telecom']>[number];
type NameRead = NonNullable<PatientRead['name']>[number];
type ExtensionRead = z.infer<typeof extensionSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Limits shared with the JSON format (canonicalEvent.ts)
// ---------------------------------------------------------------------------------------------------------------

/** Appointment ids end up in workflow ids and storage paths: printable, no slashes, bounded. */
const APPOINTMENT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
/** FHIR `id` (versionId is one): the spec's own pattern. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const BCP47 = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const MAX_ID = 128;
const MAX_NAME = 100;
const MAX_LOCATION = 200;
/** Free-text language names EHRs put in `language.text` when they send no code. */
const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  english: 'en',
  spanish: 'es',
  español: 'es',
  espanol: 'es',
};
/** `Type/id` at the end of a relative or absolute reference, optionally versioned. */
const TYPED_REFERENCE =
  /(?:^|\/)([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

// ---------------------------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** A resource found in the input, with where it is (for FHIRPath) and, when contained, its container. */
interface Located {
  resource: Json;
  path: string;
  container?: Located;
}

interface BundleEntryLocated {
  fullUrl?: string;
  located: Located;
}

interface Scope {
  entries: BundleEntryLocated[];
  problems: FhirProblem[];
  context: FhirMappingContext;
  /** References the EHR could resolve (in the order met), and the problems that only say one is missing. */
  unresolved: string[];
  referenceProblems: Set<FhirProblem>;
}

interface Participant {
  /** FHIRPath of `participant[i].actor`. */
  actorPath: string;
  reference?: string;
  /** `actor.type`: the resource type when the reference does not say. */
  type?: string;
  display?: string;
  resolved?: Located;
}

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

  const participants = readParticipants(appointment, found.appointment, scope);
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
    ...(ATTENDED_STATUSES.has(appointment.status ?? '') ? { attended: true as const } : {}),
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

/** Notes a reference the EHR could resolve (see UnresolvedReferences); true when it is one. */
function noteUnresolved(scope: Scope, reference: string | undefined): boolean {
  const base = scope.context.ehrFhirBaseUrl;
  if (base === undefined || reference === undefined) return false;
  if (readTarget(reference, base).kind === 'refused') return false;
  if (!scope.unresolved.includes(reference)) scope.unresolved.push(reference);
  return true;
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

/** The Appointment of the input, alone or as the one Appointment entry of a supported Bundle. */
function findAppointment(
  input: unknown,
  problems: FhirProblem[],
): { appointment: Located; entries: BundleEntryLocated[] } | undefined {
  if (!isJsonObject(input)) {
    problems.push({
      code: 'invalid',
      diagnostics: 'The body must be a FHIR R4 Appointment, or a Bundle holding one, as a JSON object',
    });
    return undefined;
  }
  const resourceType = input.resourceType;
  if (resourceType === undefined || resourceType === null) {
    problems.push({ code: 'required', diagnostics: 'resourceType is required: Appointment or Bundle' });
    return undefined;
  }
  if (resourceType === 'Appointment')
    return { appointment: { resource: input, path: 'Appointment' }, entries: [] };
  if (resourceType !== 'Bundle') {
    const named = typeof resourceType === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(resourceType);
    problems.push({
      code: 'not-supported',
      diagnostics: `${named ? `resourceType ${resourceType}` : 'That resourceType'} is not supported: send an Appointment, or a Bundle holding one`,
      ...(named ? { expression: resourceType } : {}),
    });
    return undefined;
  }

  const bundle = parseAs(bundleSchema, { resource: input, path: 'Bundle' }, problems);
  if (!bundle) return undefined;
  if (bundle.type === undefined) {
    problems.push({ code: 'required', diagnostics: 'Bundle.type is required', expression: 'Bundle.type' });
  } else if (!(SUPPORTED_BUNDLE_TYPES as readonly string[]).includes(bundle.type)) {
    problems.push({
      code: 'not-supported',
      diagnostics: `Bundle.type must be one of ${SUPPORTED_BUNDLE_TYPES.join(', ')}`,
      expression: 'Bundle.type',
    });
  }
  const entries: BundleEntryLocated[] = [];
  (bundle.entry ?? []).forEach((entry, index) => {
    const path = `Bundle.entry[${index}].resource`;
    if (entry.resource === undefined) return; // a transaction DELETE has no resource
    if (!isJsonObject(entry.resource) || typeof entry.resource.resourceType !== 'string') {
      problems.push({
        code: 'invalid',
        diagnostics: 'An entry resource must be a FHIR resource',
        expression: path,
      });
      return;
    }
    entries.push({ fullUrl: entry.fullUrl, located: { resource: entry.resource, path } });
  });
  const appointments = entries.filter((e) => e.located.resource.resourceType === 'Appointment');
  const [first, ...others] = appointments;
  if (!first) {
    problems.push({
      code: 'required',
      diagnostics: 'The Bundle holds no Appointment',
      expression: 'Bundle.entry',
    });
    return undefined;
  }
  for (const other of others) {
    problems.push({
      code: 'not-supported',
      diagnostics: 'Send one Appointment per request (this Bundle holds several)',
      expression: other.located.path,
    });
  }
  return { appointment: first.located, entries };
}

function readAppointmentId(
  appointment: AppointmentRead,
  path: string,
  problems: FhirProblem[],
): string | undefined {
  const id = appointment.id?.trim();
  if (id) {
    if (APPOINTMENT_ID.test(id)) return id;
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
  if (APPOINTMENT_ID.test(value)) return value;
  problems.push({
    code: 'value',
    diagnostics: 'An appointment identifier may contain only letters, digits and . _ : @ - (up to 128)',
    expression: `${path}.identifier[${index}].value`,
  });
  return undefined;
}

function readStatus(
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

interface Timing {
  start: string;
  localStart: string;
  timeZone: string;
}

/** The timing; null when `start` is absent and `optional` (cancelled, no-show); undefined when a problem was reported. */
function readStart(
  appointment: AppointmentRead,
  path: string,
  scope: Scope,
  optional: boolean,
): Timing | null | undefined {
  const { problems, context } = scope;
  const zoneExtension = readZoneExtension(appointment, path, problems);
  const start = appointment.start?.trim();
  if (!start && optional) return zoneExtension === null ? undefined : null;
  if (!start) {
    problems.push({
      code: 'required',
      diagnostics:
        'Appointment.start is required (only a cancelled or noshow Appointment of a known appointment may leave it out)',
      expression: `${path}.start`,
    });
    return undefined;
  }
  const startMs = parseInstant(start);
  if (startMs === undefined) {
    problems.push({
      code: 'value',
      diagnostics: 'Appointment.start must be an instant with an offset, e.g. 2026-12-04T09:30:00-07:00',
      expression: `${path}.start`,
    });
    return undefined;
  }
  if (zoneExtension === null) return undefined; // an unusable extension was reported
  const timeZone = zoneExtension ?? displayZone(start, startMs, context.defaultTimezone);
  const local = DateTime.fromMillis(startMs, { zone: resolveZone(timeZone) ?? 'UTC' });
  return {
    start: new Date(startMs).toISOString(),
    localStart: local.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    timeZone,
  };
}

/**
 * The IANA zone of the timezone extension: on `_start` (its formal home, an instant), on the Appointment, or on
 * its meta. Undefined when there is none; null when there is one we cannot use (reported).
 */
function readZoneExtension(
  appointment: AppointmentRead,
  path: string,
  problems: FhirProblem[],
): string | null | undefined {
  const places: Array<[ExtensionRead[] | undefined, string]> = [
    [appointment._start?.extension, `${path}.start.extension`],
    [appointment.extension, `${path}.extension`],
    [appointment.meta?.extension, `${path}.meta.extension`],
  ];
  for (const [list, listPath] of places) {
    const index = (list ?? []).findIndex((e) =>
      (TIMEZONE_EXTENSION_URLS as readonly string[]).includes(e.url),
    );
    const extension = list?.[index];
    if (!extension) continue;
    const code = extension.valueCode?.trim() ?? '';
    // IANA names only: parseAppointmentZone returns them unchanged, and rewrites offsets such as -0700.
    if (code && parseAppointmentZone(code) === code) return code;
    problems.push({
      code: 'value',
      diagnostics: 'The timezone extension needs a valueCode with an IANA time zone, e.g. America/Denver',
      expression: `${listPath}[${index}].valueCode`,
    });
    return null;
  }
  return undefined;
}

/**
 * Without an extension: DEFAULT_TIMEZONE, unless the start's own non-zero offset shows the EHR meant another
 * zone; then that fixed offset keeps the wall-clock time the EHR wrote. A zero offset (`Z`) is how many
 * servers (Epic, Cerner) write every instant, so it says nothing about the appointment's zone.
 */
function displayZone(start: string, startMs: number, defaultTimezone: string): string {
  const offset = DateTime.fromISO(start, { setZone: true }).offset;
  const defaultZone = resolveZone(defaultTimezone);
  if (defaultZone && (offset === 0 || defaultZone.offset(startMs) === offset)) return defaultTimezone;
  const sign = offset < 0 ? '-' : '+';
  const magnitude = Math.abs(offset);
  const hhmm = `${String(Math.floor(magnitude / 60)).padStart(2, '0')}${String(magnitude % 60).padStart(2, '0')}`;
  return parseAppointmentZone(`${sign}${hhmm}`) ?? 'UTC';
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

function readParticipants(appointment: AppointmentRead, located: Located, scope: Scope): Participant[] {
  return (appointment.participant ?? []).map((participant, index) => {
    const actorPath = `${located.path}.participant[${index}].actor`;
    const reference = participant.actor?.reference?.trim() || undefined;
    const resolved =
      reference === undefined ? undefined : resolveReference(reference, located, scope.entries);
    return {
      actorPath,
      ...(reference === undefined ? {} : { reference }),
      ...(participant.actor?.display ? { display: participant.actor.display } : {}),
      ...(resolved === undefined ? {} : { resolved }),
      ...(participant.actor?.type ? { type: participant.actor.type } : {}),
    };
  });
}

/** The resource type a participant's actor is: what its reference resolved to, else what the reference says. */
function actorType(participant: Participant): string | undefined {
  const resolvedType = participant.resolved?.resource.resourceType;
  if (typeof resolvedType === 'string') return resolvedType;
  const named =
    participant.reference === undefined ? undefined : TYPED_REFERENCE.exec(participant.reference)?.[1];
  return named ?? participant.type;
}

function readPatient(
  participants: Participant[],
  path: string,
  scope: Scope,
): AppointmentEvent['patient'] | undefined {
  const { problems, context } = scope;
  const participant = participants.find((p) => actorType(p) === 'Patient');
  if (!participant) {
    problems.push({
      code: 'required',
      diagnostics: 'No participant of the Appointment is a Patient: the patient is the one we text',
      expression: `${path}.participant`,
    });
    return undefined;
  }
  if (!participant.resolved) {
    const problem: FhirProblem = {
      code: 'invalid',
      diagnostics:
        participant.reference === undefined
          ? 'The Patient participant needs a reference to the Patient resource (contained #id or a Bundle entry)'
          : 'The Patient reference resolves to no contained resource or Bundle entry: send the Patient with the Appointment (its phone is needed)',
      expression:
        participant.reference === undefined ? participant.actorPath : `${participant.actorPath}.reference`,
    };
    problems.push(problem);
    if (noteUnresolved(scope, participant.reference)) scope.referenceProblems.add(problem);
    return undefined;
  }
  const located = participant.resolved;
  const patient = parseAs(patientSchema, located, problems);
  if (!patient) return undefined;

  const id = resourceId(patient, located, participant.reference);
  if (id === undefined) {
    problems.push({
      code: 'required',
      diagnostics: 'The Patient needs an id or an identifier value: it goes back to the EHR with the replies',
      expression: `${located.path}.id`,
    });
  } else if (id.length > MAX_ID) {
    problems.push({
      code: 'value',
      diagnostics: `The patient id must be at most ${MAX_ID} characters`,
      expression: `${located.path}.id`,
    });
  }
  const name = readName(patient.name, located.path, problems);
  // No number to text is not a problem: the appointment is recorded with the reason (issue 12).
  const phone = readPatientPhone(patient.telecom, context.defaultCountry);
  if (id === undefined || id.length > MAX_ID || !name) return undefined;
  return {
    id,
    ...name.value,
    ...(phone.ok ? { phone: phone.phone } : { phoneProblem: phone.problem }),
    language: readLanguage(patient.communication) ?? 'en',
  };
}

/**
 * The number we text: `system: sms`, or a phone with `use: mobile`, before other phones (a home phone only is
 * still tried: many landlines take texts, and Twilio's error says when not); then by `rank`, then in order.
 * `use: old` numbers are never texted.
 */
function readPatientPhone(telecom: TelecomRead[] | undefined, defaultCountry: string): PhoneReading {
  const candidates = (telecom ?? [])
    .map((contact, index) => ({ contact, index }))
    .filter(
      ({ contact }) => (contact.system === 'phone' || contact.system === 'sms') && contact.use !== 'old',
    )
    .filter(({ contact }) => contact.value?.trim())
    .sort(
      (a, b) =>
        textTier(a.contact) - textTier(b.contact) ||
        (a.contact.rank ?? Number.MAX_SAFE_INTEGER) - (b.contact.rank ?? Number.MAX_SAFE_INTEGER) ||
        a.index - b.index,
    );
  const readings = candidates.map(({ contact }) => readTextablePhone(contact.value, defaultCountry));
  // The first that can be texted; else why the best candidate cannot; NO_PHONE when there is none.
  return readings.find((r) => r.ok) ?? readings[0] ?? { ok: false, problem: 'NO_PHONE' };
}

function textTier(contact: TelecomRead): number {
  return contact.system === 'sms' || contact.use === 'mobile' ? 0 : 1;
}

/**
 * First and last name from the name the person goes by (`usual`), else the `official` one, else any current
 * one; a usual name without a family name borrows the official family name.
 */
function readName(
  list: NameRead[] | undefined,
  path: string,
  problems: FhirProblem[],
): { value: { firstName?: string; lastName?: string } } | undefined {
  const current = (list ?? [])
    .map((name, index) => ({ name, index }))
    .filter(({ name }) => name.use !== 'old');
  const chosen =
    current.find(({ name }) => name.use === 'usual') ??
    current.find(({ name }) => name.use === 'official') ??
    current[0];
  if (!chosen) return { value: {} };
  const firstName = chosen.name.given
    ?.find((g): g is string => typeof g === 'string' && g.trim() !== '')
    ?.trim();
  let lastName = chosen.name.family?.trim() || undefined;
  let lastNameIndex = chosen.index;
  if (lastName === undefined) {
    const withFamily = current.find(({ name }) => name.family?.trim());
    lastName = withFamily?.name.family?.trim();
    lastNameIndex = withFamily?.index ?? chosen.index;
  }
  let ok = true;
  if (firstName !== undefined && firstName.length > MAX_NAME) {
    ok = false;
    problems.push({
      code: 'value',
      diagnostics: `A given name must be at most ${MAX_NAME} characters`,
      expression: `${path}.name[${chosen.index}].given`,
    });
  }
  if (lastName !== undefined && lastName.length > MAX_NAME) {
    ok = false;
    problems.push({
      code: 'value',
      diagnostics: `A family name must be at most ${MAX_NAME} characters`,
      expression: `${path}.name[${lastNameIndex}].family`,
    });
  }
  if (!ok) return undefined;
  return {
    value: {
      ...(firstName === undefined ? {} : { firstName }),
      ...(lastName === undefined ? {} : { lastName }),
    },
  };
}

/**
 * BCP 47 tag of the preferred communication language, else the first: a `urn:ietf:bcp:47` coding, any coding,
 * or the text ("Spanish" is understood). Unreadable languages fall back to English rather than stop the text.
 */
function readLanguage(communication: PatientRead['communication']): string | undefined {
  const list = communication ?? [];
  const ordered = [...list.filter((c) => c.preferred === true), ...list.filter((c) => c.preferred !== true)];
  for (const entry of ordered) {
    const codings = entry.language?.coding ?? [];
    const candidates = [
      ...codings.filter((c) => c.system === 'urn:ietf:bcp:47').map((c) => c.code),
      ...codings.map((c) => c.code),
      entry.language?.text,
    ];
    for (const candidate of candidates) {
      const text = candidate?.trim() ?? '';
      if (text.length <= 35 && BCP47.test(text)) return text;
      const named = LANGUAGE_NAMES[text.toLowerCase()];
      if (named !== undefined) return named;
    }
  }
  return undefined;
}

/**
 * The first Practitioner or PractitionerRole participant (a role leads to its Practitioner). Everything about
 * the provider is optional: what cannot be resolved is left out, never a reason to refuse the text.
 */
function readProvider(participants: Participant[], scope: Scope): AppointmentEvent['provider'] | undefined {
  const { problems, context } = scope;
  const participant = participants.find((p) =>
    ['Practitioner', 'PractitionerRole'].includes(actorType(p) ?? ''),
  );
  if (!participant) return undefined;

  let practitionerLocated: Located | undefined;
  let practitionerReference = participant.reference;
  let callbackPhone: string | undefined;
  if (actorType(participant) === 'PractitionerRole') {
    if (!participant.resolved) {
      noteUnresolved(scope, participant.reference);
      return undefined; // a role we cannot see names nobody
    }
    const role = parseAs(practitionerRoleSchema, participant.resolved, problems);
    if (!role) return undefined;
    callbackPhone = readCallbackPhone(role.telecom, true, context.defaultCountry);
    practitionerReference = role.practitioner?.reference?.trim() || undefined;
    practitionerLocated =
      practitionerReference === undefined
        ? undefined
        : resolveReference(practitionerReference, participant.resolved, scope.entries);
  } else {
    practitionerLocated = participant.resolved;
  }
  if (!practitionerLocated) noteUnresolved(scope, practitionerReference);

  let id: string | undefined;
  let name: { firstName?: string; lastName?: string } = {};
  if (practitionerLocated && practitionerLocated.resource.resourceType === 'Practitioner') {
    const practitioner = parseAs(practitionerSchema, practitionerLocated, problems);
    if (!practitioner) return undefined;
    id = resourceId(practitioner, practitionerLocated, practitionerReference);
    const read = readName(practitioner.name, practitionerLocated.path, problems);
    if (!read) return undefined;
    name = read.value;
    callbackPhone ??= readCallbackPhone(practitioner.telecom, false, context.defaultCountry);
  } else if (practitionerReference !== undefined) {
    id = TYPED_REFERENCE.exec(practitionerReference)?.[2];
  }
  if (id !== undefined && id.length > MAX_ID) id = undefined;
  const provider = {
    ...(id === undefined ? {} : { id }),
    ...name,
    ...(callbackPhone === undefined ? {} : { callbackPhone }),
  };
  return Object.keys(provider).length > 0 ? provider : undefined;
}

/**
 * The number patients may call: a work phone (a role's telecom is the work number even without `use`). A
 * practitioner's home or mobile number is never given to patients. Invalid numbers are skipped.
 */
function readCallbackPhone(
  telecom: TelecomRead[] | undefined,
  isRole: boolean,
  defaultCountry: string,
): string | undefined {
  const candidates = (telecom ?? [])
    .filter((c) => c.system === 'phone' && (c.use === 'work' || (isRole && c.use === undefined)))
    .sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER));
  for (const contact of candidates) {
    const phone = contact.value?.trim() ? normalisePhone(contact.value.trim(), defaultCountry) : undefined;
    if (phone !== undefined) return phone;
  }
  return undefined;
}

/** Location.name, else its address text (or lines and city), else the reference's display. */
function readLocation(participants: Participant[], scope: Scope): string | undefined {
  const participant = participants.find((p) => actorType(p) === 'Location');
  if (!participant) return undefined;
  let text: string | undefined;
  let expression = `${participant.actorPath}.display`;
  if (participant.resolved) {
    const location = parseAs(locationSchema, participant.resolved, scope.problems);
    if (!location) return undefined;
    const address = location.address;
    const addressLines = [...(address?.line ?? []), address?.city].filter((part) => part?.trim());
    text =
      location.name?.trim() ||
      address?.text?.trim() ||
      (addressLines.length > 0 ? addressLines.map((part) => part?.trim()).join(', ') : undefined);
    expression = `${participant.resolved.path}.name`;
  } else {
    noteUnresolved(scope, participant.reference);
    text = participant.display?.trim() || undefined;
  }
  if (text !== undefined && text.length > MAX_LOCATION) {
    scope.problems.push({
      code: 'value',
      diagnostics: `The location name must be at most ${MAX_LOCATION} characters`,
      expression,
    });
    return undefined;
  }
  return text;
}

/**
 * The id the EHR knows a person by: the resource id (or the id in the reference), except for a contained
 * resource, whose id only means something inside its container; there the first identifier value wins.
 */
function resourceId(
  resource: { id?: string; identifier?: Array<{ value?: string }> },
  located: Located,
  reference: string | undefined,
): string | undefined {
  const identifier = resource.identifier?.find((i) => i.value?.trim())?.value?.trim();
  const id = resource.id?.trim() || undefined;
  if (located.container) return identifier ?? id;
  return id ?? (reference === undefined ? undefined : TYPED_REFERENCE.exec(reference)?.[2]) ?? identifier;
}

/**
 * Resolves a reference inside the input: `#id` among the container's contained resources; otherwise a Bundle
 * entry whose fullUrl is the reference (`urn:uuid:…`, absolute URLs), or whose resource is `Type/id`.
 */
function resolveReference(
  reference: string,
  from: Located,
  entries: BundleEntryLocated[],
): Located | undefined {
  if (reference.startsWith('#')) {
    const holder = from.container ?? from;
    if (reference === '#') return holder;
    const contained = holder.resource.contained;
    if (!Array.isArray(contained)) return undefined;
    const index = contained.findIndex((r) => isJsonObject(r) && r.id === reference.slice(1));
    const resource: unknown = contained[index];
    if (!isJsonObject(resource) || typeof resource.resourceType !== 'string') return undefined;
    return { resource, path: `${holder.path}.contained[${index}]`, container: holder };
  }
  const exact = entries.find((e) => e.fullUrl === reference);
  if (exact) return exact.located;
  const typed = TYPED_REFERENCE.exec(reference);
  if (!typed) return undefined;
  const [, type, id] = typed;
  return entries.find(
    (e) =>
      (e.located.resource.resourceType === type && e.located.resource.id === id) ||
      (e.fullUrl !== undefined && e.fullUrl.endsWith(`/${type}/${id}`)),
  )?.located;
}

/** Same content (and same lastUpdated) → same id, so a resend without meta.versionId is still a duplicate. */
function contentHashId(appointmentId: string, content: object, lastUpdated: string | undefined): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([content, lastUpdated ?? null]))
    .digest('hex')
    .slice(0, 32);
  return `Appointment/${appointmentId}/sha256-${digest}`;
}

// ---------------------------------------------------------------------------------------------------------------
// zod issues → FHIRPath problems
// ---------------------------------------------------------------------------------------------------------------

function parseAs<T>(schema: z.ZodType<T>, located: Located, problems: FhirProblem[]): T | undefined {
  const result = schema.safeParse(located.resource);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const expression =
      located.path +
      issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
    const missing = issue.code === 'invalid_type' && valueAt(located.resource, issue.path) === undefined;
    problems.push({
      code: missing ? 'required' : 'invalid',
      // zod's messages name the expected type, never the value sent.
      diagnostics: missing ? `${expression} is required` : `${expression}: ${issue.message}`,
      expression,
    });
  }
  return undefined;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value: unknown = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || typeof key === 'symbol') return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value === null ? undefined : value;
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
