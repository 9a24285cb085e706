/**
 * Patient data never reaches the logs, at any depth: fields that name a person or a number, or
 * carry a text's words, are replaced wherever they sit in a logged object (pino's own `redact`
 * reaches fixed paths only). Pure; bounded in depth and safe with cycles.
 */
const PATIENT_FIELDS = new Set(
  [
    'phone',
    'patient_phone',
    'patientPhone',
    'to',
    'from',
    'body',
    'firstName',
    'lastName',
    'patient_first_name',
    'patient_last_name',
    'replyText',
    'reply_text',
  ].map((k) => k.toLowerCase()),
);

export const REDACTED = '[redacted]';
const MAX_DEPTH = 10;

export function redactPatientData<T>(value: T): T {
  return walk(value, 0, new WeakSet()) as T;
}

/** `ancestors`: the objects on the path from the root, so a cycle ends while a shared (not cyclic) object is kept twice. */
function walk(value: unknown, depth: number, ancestors: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value) || depth > MAX_DEPTH) return '[…]';
  // Errors keep their class for pino's err serializer (stack, cause); their messages name no patient data by rule.
  if (Buffer.isBuffer(value) || value instanceof Date || value instanceof Error) return value;
  ancestors.add(value);
  let copy: unknown;
  if (Array.isArray(value)) copy = value.map((item) => walk(item, depth + 1, ancestors));
  else {
    const fields: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      fields[key] =
        PATIENT_FIELDS.has(key.toLowerCase()) && field !== undefined
          ? REDACTED
          : walk(field, depth + 1, ancestors);
    }
    copy = fields;
  }
  ancestors.delete(value);
  return copy;
}
