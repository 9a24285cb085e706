/**
 * The rules every ingress format applies to the values it reads. JSON, HL7 v2 and FHIR map to one canonical
 * event (ARCHITECTURE §3), so they call these instead of keeping copies that drift apart: EHR ids, patient ids,
 * field lengths, language tags, phone numbers, and the zone a time is shown in when the EHR sent only an offset.
 *
 * A rule says whether a value reads; what a format does with one that does not is the format's own: the JSON
 * parser answers 400 naming the field (the engine sent one value for it), HL7 and FHIR try the next candidate
 * (a repetition, another telecom) or leave an optional detail out. test/unit/domain/events/crossFormat.test.ts holds
 * the three to the same answers, and lists where they differ on purpose.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { resolveZone } from '../time/zone';

/** Longest text each canonical field takes (the JSON body's limits; HL7 and FHIR values meet the same). */
export const FIELD_LIMITS = {
  /** Appointment, event, patient and provider ids. */
  identifier: 128,
  /** A first or last name. */
  name: 100,
  location: 200,
  /** A BCP 47 tag (RFC 5646 advises supporting at least 35 characters). */
  language: 35,
  /** A phone number as the JSON body writes it, before normalisation. */
  phoneText: 40,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------------------------------

const EHR_ID_CHARACTERS = /^[A-Za-z0-9._:@-]+$/;

/**
 * EHR ids (appointment and event ids) end up in workflow ids and storage paths: printable, no slashes, bounded.
 * Tests the text as it is (callers trim first where their format allows surrounding spaces).
 */
export function isEhrIdentifier(text: string): boolean {
  return text.length >= 1 && text.length <= FIELD_LIMITS.identifier && EHR_ID_CHARACTERS.test(text);
}

/** The EHR id rule as a zod schema, for request bodies and query parameters (trims first). */
export const ehrIdentifier = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(FIELD_LIMITS.identifier, `must be at most ${FIELD_LIMITS.identifier} characters`)
  .regex(EHR_ID_CHARACTERS, 'may contain only letters, digits and . _ : @ -');

/** C0 controls and DEL: never part of an id a person or an EHR wrote. */
export function hasControlCharacter(text: string): boolean {
  return [...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
}

/** Patient ids only go back to the EHR in callbacks (never into ids or paths): any printable text. */
export const patientIdentifier = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(FIELD_LIMITS.identifier, `must be at most ${FIELD_LIMITS.identifier} characters`)
  .refine((id) => !hasControlCharacter(id), { message: 'must not contain control characters' });

// ---------------------------------------------------------------------------------------------------------------
// Language
// ---------------------------------------------------------------------------------------------------------------

/** A BCP 47 tag's shape: a 2-3 letter primary subtag, then subtags of 2-8 letters or digits. */
const BCP47 = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/**
 * ISO 639-2 codes HL7 feeds and FHIR codings send for the languages the templates have. They have the shape of a
 * BCP 47 tag, but BCP 47 uses the two-letter code where one exists, and the templates are picked by it: kept as
 * sent, `spa` would be texted in English.
 */
const LANGUAGE_CODE_ALIASES: Readonly<Record<string, string>> = { eng: 'en', spa: 'es' };

/** Language names EHRs put in free-text fields (HL7 PID-15 text, FHIR `language.text`) when they send no code. */
const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  english: 'en',
  spanish: 'es',
  español: 'es',
  espanol: 'es',
};

export interface LanguageOptions {
  /** Also read language names ("Spanish"): for fields that carry text, not only codes. */
  names?: boolean;
}

/** `not-a-tag`: not shaped like one; `too-long`: shaped like one, over FIELD_LIMITS.language. */
export type LanguageReading = { ok: true; tag: string } | { ok: false; reason: 'not-a-tag' | 'too-long' };

/**
 * The BCP 47 tag a text names (trimmed, case kept), or why it names none: `eng`/`spa` (any case) are `en`/`es`;
 * with `names`, so are English, Spanish, Español. Own-property lookups only: a text such as `constructor` is
 * no language.
 */
export function readLanguageTag(text: string, { names = false }: LanguageOptions = {}): LanguageReading {
  const tag = text.trim();
  const key = tag.toLowerCase();
  const alias = Object.hasOwn(LANGUAGE_CODE_ALIASES, key)
    ? LANGUAGE_CODE_ALIASES[key]
    : names && Object.hasOwn(LANGUAGE_NAMES, key)
      ? LANGUAGE_NAMES[key]
      : undefined;
  if (alias !== undefined) return { ok: true, tag: alias };
  if (!BCP47.test(tag)) return { ok: false, reason: 'not-a-tag' };
  return tag.length <= FIELD_LIMITS.language ? { ok: true, tag } : { ok: false, reason: 'too-long' };
}

// ---------------------------------------------------------------------------------------------------------------
// Phone numbers (the patient's number to text is readTextablePhone, in ../phone/textablePhone.ts)
// ---------------------------------------------------------------------------------------------------------------

/**
 * A number in E.164, national formats read in the default country (DEFAULT_COUNTRY); undefined when it does not
 * read as valid. For numbers given to patients (a clinic's callback number), not for the number we text.
 */
export function normalisePhone(raw: string, defaultCountry: string): string | undefined {
  const parsed = parsePhoneNumberFromString(raw, defaultCountry as CountryCode);
  return parsed?.isValid() ? parsed.number : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Display zone
// ---------------------------------------------------------------------------------------------------------------

/** How a format's zero offset is read (the one place HL7 and FHIR differ, each as its README section says). */
export type ZeroOffset =
  /** FHIR: servers (Epic, Cerner) write every instant in UTC, so `Z` says nothing about the clinic's zone. */
  | 'says-nothing'
  /** HL7: a timestamp's offset is the sender's local one, +0000 included. */
  | 'is-an-offset';

/**
 * The zone texts show an instant in when the EHR sent it with an offset but no zone: DEFAULT_TIMEZONE when that
 * zone has the offset at that instant (so DST still follows), else the sender's fixed offset, so the patient
 * reads the wall-clock time the EHR wrote. The answer is an `appointment_timezone` value: the IANA name, or
 * `±HHMM`.
 */
export function displayZone(
  instantMs: number,
  offsetMinutes: number,
  defaultTimezone: string,
  zeroOffset: ZeroOffset,
): string {
  const defaultZone = resolveZone(defaultTimezone);
  const saysNothing = zeroOffset === 'says-nothing' && offsetMinutes === 0;
  if (defaultZone && (saysNothing || defaultZone.offset(instantMs) === offsetMinutes)) return defaultTimezone;
  const magnitude = Math.abs(offsetMinutes);
  const hours = String(Math.floor(magnitude / 60)).padStart(2, '0');
  const minutes = String(magnitude % 60).padStart(2, '0');
  return `${offsetMinutes < 0 ? '-' : '+'}${hours}${minutes}`;
}
