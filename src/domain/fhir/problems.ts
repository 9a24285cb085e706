/**
 * FHIR errors as values: each reason an input cannot be texted is a problem with an IssueType code and a
 * FHIRPath expression, collected (never thrown) so one OperationOutcome lists them all.
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/** The OperationOutcome issue codes (FHIR IssueType) the mapping reports. */
export type FhirProblemCode = 'invalid' | 'required' | 'value' | 'not-supported';

/** One reason the input cannot be texted; `diagnostics` never repeats patient data from the input. */
export interface FhirProblem {
  code: FhirProblemCode;
  diagnostics: string;
  /** FHIRPath from the posted resource, e.g. `Appointment.start` or `Bundle.entry[1].resource.telecom`. */
  expression?: string;
}

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
