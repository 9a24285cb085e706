/**
 * Finding things in what the EHR posted: the one Appointment (alone, or in a Bundle of a supported type), the
 * resource each participant's reference points to (a contained `#id`, a Bundle entry by fullUrl or by
 * `Type/id`), and the id the EHR knows a person by. FHIR lets the same resource be referenced several ways,
 * and a contained resource's id means nothing outside its container, so these rules live in one place.
 */
import { isJsonObject, type Json } from './json';
import type { FhirProblem } from './problems';
import { bundleSchema, parseAs, type AppointmentRead } from './shapes';

/** A resource found in the input, with where it is (for FHIRPath) and, when contained, its container. */
export interface Located {
  resource: Json;
  path: string;
  container?: Located;
}

export interface BundleEntryLocated {
  fullUrl?: string;
  located: Located;
}

export interface Participant {
  /** FHIRPath of `participant[i].actor`. */
  actorPath: string;
  reference?: string;
  /** `actor.type`: the resource type when the reference does not say. */
  type?: string;
  display?: string;
  resolved?: Located;
}

/** Bundle types that carry an Appointment with its resources to us; others (searchset, history…) are refused. */
const SUPPORTED_BUNDLE_TYPES = ['transaction', 'batch', 'collection', 'message'] as const;

/** A FHIR `id` (a versionId is one): the spec's own pattern. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** `Type/id` at the end of a relative or absolute reference, optionally versioned. */
export const TYPED_REFERENCE =
  /(?:^|\/)([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** The Appointment of the input, alone or as the one Appointment entry of a supported Bundle. */
export function findAppointment(
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

/** Each participant's actor: its reference, and the resource it resolves to inside the input, if any. */
export function readParticipants(
  appointment: AppointmentRead,
  located: Located,
  entries: BundleEntryLocated[],
): Participant[] {
  return (appointment.participant ?? []).map((participant, index) => {
    const actorPath = `${located.path}.participant[${index}].actor`;
    const reference = participant.actor?.reference?.trim() || undefined;
    const resolved = reference === undefined ? undefined : resolveReference(reference, located, entries);
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
export function actorType(participant: Participant): string | undefined {
  const resolvedType = participant.resolved?.resource.resourceType;
  if (typeof resolvedType === 'string') return resolvedType;
  const named =
    participant.reference === undefined ? undefined : TYPED_REFERENCE.exec(participant.reference)?.[1];
  return named ?? participant.type;
}

/**
 * The id the EHR knows a person by: the resource id (or the id in the reference), except for a contained
 * resource, whose id only means something inside its container; there the first identifier value wins.
 */
export function resourceId(
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
export function resolveReference(
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
