/**
 * Reads the number an EHR gave for a patient as one that can be texted, or says why not. A problem
 * is not an error: the appointment is recorded and shows the reason (README "What cannot be texted").
 */
import { parsePhoneNumberFromString, type CountryCode, type NumberType } from 'libphonenumber-js/max';
import type { PhoneProblem } from '../../shared/appointment';

export type PhoneReading = { ok: true; phone: string } | { ok: false; problem: PhoneProblem };

/**
 * Types that never take a text. FIXED_LINE_OR_MOBILE (all of North America) and unknown types are
 * tried: Twilio reports a landline as undelivered (30006) rather than us guessing.
 */
const NOT_TEXTABLE_TYPES: ReadonlySet<NumberType> = new Set([
  'FIXED_LINE',
  'TOLL_FREE',
  'PREMIUM_RATE',
  'SHARED_COST',
  'UAN',
  'VOICEMAIL',
  'PAGER',
]);

/** Digits hidden by the sender: ***-***-1234, XXX-XXX-1234, (###) ###-1234. */
const MASKED = /[*#]|[xX]{2,}/;

/** E.164 for a textable number, else the problem (the number itself never leaves this function). */
export function readTextablePhone(raw: string | undefined, defaultCountry: string): PhoneReading {
  const text = raw?.trim() ?? '';
  if (text === '') return { ok: false, problem: 'NO_PHONE' };
  if (MASKED.test(text)) return { ok: false, problem: 'MASKED_PHONE' };
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode);
  if (!parsed?.isValid()) return { ok: false, problem: 'INVALID_PHONE' };
  const type = parsed.getType();
  if (type !== undefined && NOT_TEXTABLE_TYPES.has(type)) return { ok: false, problem: 'NOT_MOBILE' };
  return { ok: true, phone: parsed.number };
}
