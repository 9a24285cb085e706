/**
 * The shapes of the FHIR resources we read, as zod schemas. Only JSON types are checked here (any element may
 * be absent); what a mapping needs is checked by the module that reads it, so one answer lists every problem.
 * Unknown elements are ignored. A compile-time check holds the shapes to R4 as @medplum/fhirtypes types it.
 */
import type {
  Appointment,
  Bundle,
  Location,
  Patient,
  Practitioner,
  PractitionerRole,
} from '@medplum/fhirtypes';
import { z } from 'zod';
import type { FhirProblem } from './problems';
import type { Located } from './references';

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

export const appointmentSchema = z.object({
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

export const patientSchema = z.object({
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

export const practitionerSchema = z.object({
  resourceType: z.literal('Practitioner'),
  id: optionalString,
  identifier: identifiers,
  name: names,
  telecom: telecoms,
});

export const practitionerRoleSchema = z.object({
  resourceType: z.literal('PractitionerRole'),
  id: optionalString,
  identifier: identifiers,
  practitioner: referenceSchema.optional(),
  telecom: telecoms,
});

export const locationSchema = z.object({
  resourceType: z.literal('Location'),
  id: optionalString,
  name: optionalString,
  address: z
    .object({ text: optionalString, line: z.array(z.string()).optional(), city: optionalString })
    .optional(),
});

export const bundleSchema = z.object({
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

export type AppointmentRead = z.infer<typeof appointmentSchema>;
export type PatientRead = z.infer<typeof patientSchema>;
export type TelecomRead = NonNullable<PatientRead['telecom']>[number];
export type NameRead = NonNullable<PatientRead['name']>[number];
export type ExtensionRead = z.infer<typeof extensionSchema>;

/** The resource read as `schema`, or undefined with each zod issue added as a problem at its FHIRPath. */
export function parseAs<T>(schema: z.ZodType<T>, located: Located, problems: FhirProblem[]): T | undefined {
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
