/**
 * A JSON object as FHIR input arrives, and the test for one. Its own module with no imports, so the workflow-safe
 * resolvedReferences.ts can use it without pulling in the zod shapes references.ts brings.
 */
export type Json = Record<string, unknown>;

export function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
