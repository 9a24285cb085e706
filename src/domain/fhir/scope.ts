/**
 * What one mapping carries while it reads an input: the Bundle entries references resolve against, the
 * problems found so far, the context, and the references only the EHR's FHIR API could resolve. Each reader
 * (patient, practitioner, location…) adds to it, so one answer lists every problem.
 */
import type { FhirProblem } from './problems';
import type { BundleEntryLocated } from './references';
import { readTarget } from './resolvedReferences';

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

export interface Scope {
  entries: BundleEntryLocated[];
  problems: FhirProblem[];
  context: FhirMappingContext;
  /** References the EHR could resolve (in the order met), and the problems that only say one is missing. */
  unresolved: string[];
  referenceProblems: Set<FhirProblem>;
}

/** Notes a reference the EHR could resolve (see UnresolvedReferences); true when it is one. */
export function noteUnresolved(scope: Scope, reference: string | undefined): boolean {
  const base = scope.context.ehrFhirBaseUrl;
  if (base === undefined || reference === undefined) return false;
  if (readTarget(reference, base).kind === 'refused') return false;
  if (!scope.unresolved.includes(reference)) scope.unresolved.push(reference);
  return true;
}
