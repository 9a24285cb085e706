/**
 * The canonical JSON appointment event (ARCHITECTURE §3): field names an integration engine
 * already sends. Parses untrusted input into an AppointmentEvent or a list of every bad field.
 * The value rules (ids, language, phone numbers, lengths) are ingestRules.ts, shared with HL7 and FHIR;
 * the HL7 mapper hands its values to this parser besides.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  EHR_EVENT_TYPES,
  UNTIMED_EVENT_TYPES,
  type AppointmentTiming,
  type EhrEventType,
  type IngestedEvent,
} from '../../shared/appointment';
import { localToInstant, parseAppointmentZone } from '../time/zone';
import {
  FIELD_LIMITS,
  ehrIdentifier,
  normalisePhone,
  patientIdentifier,
  readLanguageTag,
} from './ingestRules';
import { readTextablePhone } from '../phone/textablePhone';

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .optional()
    .nullable()
    .transform((v) => (v ? v : undefined));

const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

export const canonicalEventSchema = z.object({
  event_type: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(EHR_EVENT_TYPES, { message: `must be one of ${EHR_EVENT_TYPES.join(', ')}` })),
  event_id: ehrIdentifier.optional(),
  event_datetime_utc: z.iso
    .datetime({ offset: false, message: 'must be ISO 8601 UTC ending in Z, e.g. 2026-12-01T15:30:00Z' })
    .optional(),
  appointment_id: ehrIdentifier,
  // Required (checked below) except in a cancellation or no-show, which may name the appointment only.
  appointment_datetime: z
    .string()
    .trim()
    .regex(LOCAL_DATE_TIME, 'must be local wall-clock time without offset, e.g. 2026-12-01T15:30:00')
    .optional(),
  appointment_timezone: z.string().trim().min(1, 'is required').optional(),
  appointment_location: optionalText(FIELD_LIMITS.location),
  patient_id: patientIdentifier,
  patient_first_name: optionalText(FIELD_LIMITS.name),
  patient_last_name: optionalText(FIELD_LIMITS.name),
  // Optional: without a number that can be texted the appointment is recorded with the reason.
  patient_phone: optionalText(FIELD_LIMITS.phoneText),
  patient_language: optionalText(FIELD_LIMITS.language),
  provider_id: optionalText(FIELD_LIMITS.identifier),
  provider_first_name: optionalText(FIELD_LIMITS.name),
  provider_last_name: optionalText(FIELD_LIMITS.name),
  provider_callback_phone: optionalText(FIELD_LIMITS.phoneText),
});

export type CanonicalEventBody = z.input<typeof canonicalEventSchema>;

export interface FieldProblem {
  field: string;
  message: string;
}

export type ParseResult = { ok: true; event: IngestedEvent } | { ok: false; problems: FieldProblem[] };

export interface ParseContext {
  defaultCountry: string;
  /** ISO instant of receipt; the default event time. */
  receivedAt: string;
}

/** A stable id for an event the EHR sent without one: same body, same id, so a resend is a duplicate. */
export function deriveEventId(body: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(body)
      .filter((k) => k !== 'event_id' && body[k] !== undefined && body[k] !== null && body[k] !== '')
      .sort()
      .map((k) => [k, body[k]]),
  );
  return `sha256-${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}

export function parseCanonicalEvent(input: unknown, context: ParseContext): ParseResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ field: '(body)', message: 'must be a JSON object' }] };
  }
  const raw = input as Record<string, unknown>;
  const parsed = canonicalEventSchema.safeParse(withoutBlankOptionals(raw));
  const problems: FieldProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        field: issue.path.join('.') || '(body)',
        // zod 4 leaves `issue.input` unset unless asked, so look at the body: a wrong type is not a missing field.
        message:
          issue.code === 'invalid_type' && isMissing(raw, issue.path[0]) ? 'is required' : issue.message,
      }));

  // Cross-field checks also run when other fields are bad, so one answer lists every problem.
  const zoneText = typeof raw.appointment_timezone === 'string' ? raw.appointment_timezone.trim() : '';
  const zone = zoneText ? parseAppointmentZone(zoneText) : undefined;
  if (zoneText && !zone) {
    problems.push({
      field: 'appointment_timezone',
      message: 'must be an IANA zone (America/Denver) or a fixed offset ±HHMM (-0700)',
    });
  }
  const phoneText = typeof raw.patient_phone === 'string' ? raw.patient_phone : undefined;
  const phone = readTextablePhone(phoneText, context.defaultCountry);
  const callbackText =
    typeof raw.provider_callback_phone === 'string' ? raw.provider_callback_phone.trim() : '';
  if (callbackText && !normalisePhone(callbackText, context.defaultCountry)) {
    problems.push({ field: 'provider_callback_phone', message: 'is not a valid phone number' });
  }
  const languageText = typeof raw.patient_language === 'string' ? raw.patient_language : '';
  const language = languageText.trim() ? readLanguageTag(languageText) : undefined;
  // A tag over the length limit is the schema's problem (it says so); a text that is no tag is this one.
  if (language?.ok === false && language.reason === 'not-a-tag') {
    problems.push({ field: 'patient_language', message: 'must be a BCP 47 language tag, e.g. en or es-MX' });
  }
  // Checked whenever the text has the right shape, so an impossible date is listed beside other problems.
  const localText = typeof raw.appointment_datetime === 'string' ? raw.appointment_datetime.trim() : '';
  let start: string | undefined;
  if (LOCAL_DATE_TIME.test(localText)) {
    // Without a valid zone, UTC still tells an impossible calendar date apart.
    const result = localToInstant(localText, zone ?? 'UTC');
    if (!result.ok) problems.push({ field: 'appointment_datetime', message: result.reason });
    else if (zone) start = result.instant;
  }
  const untimed = isUntimed(raw);
  for (const field of ['appointment_datetime', 'appointment_timezone'] as const) {
    // A time needs its zone and the reverse; only a cancellation or no-show may leave both out.
    if (isMissing(raw, field) && !untimed) {
      problems.push({ field, message: 'is required' });
    }
  }
  if (!parsed.success || problems.length > 0 || (!untimed && (!zone || !start))) {
    return { ok: false, problems: dedupe(problems) };
  }

  const body = parsed.data;
  const callbackPhone = callbackText ? normalisePhone(callbackText, context.defaultCountry) : undefined;
  const hasProvider =
    body.provider_id || body.provider_first_name || body.provider_last_name || callbackPhone;
  return {
    ok: true,
    event: {
      eventId: body.event_id ?? deriveEventId(raw),
      eventType: body.event_type,
      eventAt: body.event_datetime_utc ? new Date(body.event_datetime_utc).toISOString() : context.receivedAt,
      receivedAt: context.receivedAt,
      appointmentId: body.appointment_id,
      ...timing(start, body.appointment_datetime, zone),
      location: body.appointment_location,
      patient: {
        id: body.patient_id,
        firstName: body.patient_first_name,
        lastName: body.patient_last_name,
        ...(phone.ok ? { phone: phone.phone } : { phoneProblem: phone.problem }),
        language: language?.ok ? language.tag : 'en',
      },
      ...(hasProvider
        ? {
            provider: {
              id: body.provider_id,
              firstName: body.provider_first_name,
              lastName: body.provider_last_name,
              callbackPhone,
            },
          }
        : {}),
    },
  };
}

/** A cancellation or no-show that names the appointment without its time (it applies to the known one). */
function isUntimed(raw: Record<string, unknown>): boolean {
  const type = typeof raw.event_type === 'string' ? raw.event_type.trim().toUpperCase() : '';
  return (
    UNTIMED_EVENT_TYPES.includes(type as EhrEventType) &&
    isMissing(raw, 'appointment_datetime') &&
    isMissing(raw, 'appointment_timezone')
  );
}

function timing(
  start: string | undefined,
  localStart: string | undefined,
  timeZone: string | undefined,
): AppointmentTiming | Record<string, never> {
  return start && localStart && timeZone ? { start, localStart, timeZone } : {};
}

/** True when a required field is absent: not sent, or sent as null. */
function isMissing(raw: Record<string, unknown>, key: PropertyKey | undefined): boolean {
  if (typeof key !== 'string') return false;
  return !Object.prototype.hasOwnProperty.call(raw, key) || raw[key] === undefined || raw[key] === null;
}

/**
 * `event_id` and `event_datetime_utc` are optional: null or blank means "not sent" (as for the other
 * optional fields), so the id is derived and the event time defaults instead of the body being refused.
 */
function withoutBlankOptionals(raw: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...raw };
  for (const key of ['event_id', 'event_datetime_utc']) {
    const value = copy[key];
    if (value === null || (typeof value === 'string' && value.trim() === '')) delete copy[key];
  }
  return copy;
}

function dedupe(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
