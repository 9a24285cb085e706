/**
 * FHIR references read from the EHR (README "Sending FHIR appointments"): which references may be read,
 * what of a read resource is kept, how the posted resource and the reads become one self-contained Bundle for
 * the mapper, and the contract of the ingest workflow that does the reading. Pure and workflow-safe: no Node
 * imports (the ingest workflow imports its types and the workflow id from here).
 */
import type { IngestedEvent } from '../../shared/appointment';
import { isJsonObject, type Json } from './json';
import type { FhirProblem } from './problems';

/**
 * The resource types read from the EHR: an Appointment a Subscription notification names (id-only),
 * and what its participants are; others are never fetched.
 */
export const READABLE_TYPES = [
  'Appointment',
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Location',
] as const;
export type ReadableType = (typeof READABLE_TYPES)[number];

/** What the mapping reads of each type: everything else an EHR returns (history, notes…) is dropped at once. */
export const MAPPED_FIELDS: Readonly<Record<ReadableType, readonly string[]>> = {
  // What the mapper reads of an Appointment (its schema in shapes.ts).
  Appointment: [
    'id',
    'meta',
    'identifier',
    'extension',
    'status',
    'start',
    '_start',
    'participant',
    'contained',
  ],
  Patient: ['id', 'identifier', 'name', 'telecom', 'communication'],
  Practitioner: ['id', 'identifier', 'name', 'telecom'],
  // `practitioner` leads to the person; the role's telecom is the callback number.
  PractitionerRole: ['id', 'identifier', 'name', 'telecom', 'practitioner'],
  Location: ['id', 'identifier', 'name', 'address'],
};

/** `Type/id` (optionally `/_history/v`) relative to the base. */
const RELATIVE_REFERENCE =
  /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/** How a reference is read from the EHR whose FHIR base is `baseUrl`; `refused`: never sent the token. */
export type ReadTarget =
  | { kind: 'relative'; type: ReadableType; id: string; versionId?: string }
  | { kind: 'absolute'; type: ReadableType; url: string }
  | { kind: 'refused'; why: string };

/**
 * A relative `Type/id` reads from the base; an absolute URL only when it lies under the base (after URL
 * normalisation, so `..` or a look-alike host cannot leave it); anything else is refused.
 */
export function readTarget(reference: string, baseUrl: string): ReadTarget {
  const relative = RELATIVE_REFERENCE.exec(reference);
  if (relative) {
    const [, type, id, versionId] = relative;
    if (!isReadableType(type) || id === undefined) return { kind: 'refused', why: 'not a type we read' };
    return { kind: 'relative', type, id, ...(versionId === undefined ? {} : { versionId }) };
  }
  let url: URL;
  let base: URL;
  try {
    url = new URL(reference);
    base = new URL(`${baseUrl.replace(/\/+$/, '')}/`);
  } catch {
    return { kind: 'refused', why: 'neither Type/id nor an absolute URL' };
  }
  if (url.username || url.password || url.search || url.hash) {
    return { kind: 'refused', why: 'a URL with credentials, a query or a fragment' };
  }
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) {
    return { kind: 'refused', why: 'not under FHIR_BASE_URL' };
  }
  const rest = RELATIVE_REFERENCE.exec(url.pathname.slice(base.pathname.length));
  if (!rest || !isReadableType(rest[1])) return { kind: 'refused', why: 'not Type/id under FHIR_BASE_URL' };
  return { kind: 'absolute', type: rest[1], url: url.href };
}

function isReadableType(type: string | undefined): type is ReadableType {
  return (READABLE_TYPES as readonly (string | undefined)[]).includes(type);
}

/** The resource with only what the mapping reads (MAPPED_FIELDS); undefined when it is not of `expected` type. */
export function keepMappedFields(resource: unknown, expected: ReadableType): Json | undefined {
  if (!isJsonObject(resource) || resource.resourceType !== expected) return undefined;
  const kept: Json = { resourceType: expected };
  for (const field of MAPPED_FIELDS[expected]) {
    if (resource[field] !== undefined) kept[field] = resource[field];
  }
  return kept;
}

/**
 * The posted resource made self-contained: a Bundle holding it (a lone Appointment becomes the first entry of
 * a `collection`; a Bundle keeps its type and entries) and one entry per resource read, whose fullUrl is the
 * reference as written, so the mapper resolves it exactly as it resolves any Bundle entry.
 */
export function withResolvedResources(input: unknown, resolved: Readonly<Record<string, Json>>): Json {
  const added = Object.entries(resolved).map(([reference, resource]) => ({ fullUrl: reference, resource }));
  if (isJsonObject(input) && input.resourceType === 'Bundle') {
    const entries = Array.isArray(input.entry) ? (input.entry as unknown[]) : [];
    return { ...input, entry: [...entries, ...added] };
  }
  return { resourceType: 'Bundle', type: 'collection', entry: [{ resource: input }, ...added] };
}

// ---------------------------------------------------------------------------------------------------------------
// The ingest workflow's contract (src/workflows/fhirAppointmentIngest.ts)
// ---------------------------------------------------------------------------------------------------------------

export const FHIR_INGEST_WORKFLOW_TYPE = 'fhirAppointmentIngest';

/** `ApplicationFailure.type` of a cancellation or no-show without a time for an appointment not known here. */
export const FHIR_UNKNOWN_APPOINTMENT = 'FhirUnknownAppointment';
/** `ApplicationFailure.type` of a reference the worker refuses to read (outside FHIR_BASE_URL). */
export const FHIR_REFERENCE_REFUSED = 'FhirReferenceRefused';

/** One ingest per event: a resent version finds this id taken and is answered as a duplicate. */
export function fhirIngestWorkflowId(eventId: string): string {
  return `fhir-ingest-${eventId}`;
}

/**
 * The ingest of an Appointment a notification only names: keyed by the reference and the
 * notification's event (its number, or the request's hash), so a resent notification is a duplicate.
 * The appointment workflow dedupes the Appointment's version besides.
 */
export function notifiedIngestEventId(reference: string, notificationKey: string): string {
  return `notified:${reference.replace(/[^A-Za-z0-9._:-]/g, '_').slice(-80)}:${notificationKey}`;
}

export interface FhirIngestInput {
  /**
   * The Appointment or Bundle as posted; absent when a Subscription notification only named the
   * Appointment (id-only, or an empty rest-hook): then it is read first, from `appointmentReference`.
   */
  resource?: unknown;
  appointmentReference?: string;
  /** The references the API could not resolve in it, as written. */
  references: string[];
  appointmentId: string;
  /** Fixed on receipt (the 202 names it), whatever the reads return. */
  eventId: string;
  /** ISO instant of receipt: the event time when `meta.lastUpdated` is absent. */
  receivedAt: string;
}

/** What the reads gave: the event, or why there is none (a 404/410 is `missing`, never retried). */
export type FhirResolution =
  | { ok: true; event: IngestedEvent; missing: string[] }
  | { ok: false; problems: FhirProblem[]; missing: string[] };

export type FhirIngestResult =
  | { status: 'submitted'; appointmentId: string; eventId: string; duplicate: boolean; missing: string[] }
  | {
      status: 'failed';
      appointmentId: string;
      eventId: string;
      /** `invalid`: the resource read is not what we need (e.g. a missing Patient); the others: gave up. */
      reason: 'invalid' | 'ehr-unavailable' | 'refused' | 'unknown-appointment' | 'temporal-unavailable';
      problems: FhirProblem[];
      missing: string[];
    };
