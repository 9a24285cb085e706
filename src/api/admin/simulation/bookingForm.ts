/**
 * The simulation page's booking form as data: what the operator typed (trimmed, to fill the form
 * again), its defaults, and what is wrong with it, field by field, in the operator's words. Pure.
 */
import { FIELD_LIMITS } from '../../../domain/events/ingestRules';
import { readTextablePhone } from '../../../domain/phone/textablePhone';

export interface BookingForm {
  firstName: string;
  lastName: string;
  phone: string;
  amount: string;
  unit: string;
  location: string;
  providerFirstName: string;
  providerLastName: string;
}

export type FieldErrors = Partial<Record<keyof BookingForm, string>>;

/** The form's defaults, as the prototype's simulation page had them (fictional clinic and provider). */
export const SIMULATION_DEFAULTS = {
  amount: 24,
  unit: 'hours',
  location: 'Main clinic',
  providerFirstName: 'Jordan',
  providerLastName: 'Lee',
} as const;

/** Furthest ahead a simulated appointment may be: 60 days. */
const MAX_AHEAD_MINUTES = 60 * 24 * 60;

const PHONE_PROBLEM_MESSAGES: Readonly<Record<string, string>> = {
  NO_PHONE: 'Enter the patient’s mobile number.',
  INVALID_PHONE: 'That is not a valid phone number. Use E.164 (+13035550123) or a national number.',
  MASKED_PHONE: 'Enter the whole number, without hidden digits.',
  NOT_MOBILE: 'That number cannot take texts (a landline or toll-free number). Enter a mobile number.',
};

export function readForm(body: unknown): BookingForm {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (name: string): string =>
    typeof fields[name] === 'string' ? (fields[name] as string).trim() : '';
  return {
    firstName: text('firstName'),
    lastName: text('lastName'),
    phone: text('phone'),
    amount: text('amount'),
    unit: text('unit'),
    location: text('location'),
    providerFirstName: text('providerFirstName'),
    providerLastName: text('providerLastName'),
  };
}

export function defaultForm(): BookingForm {
  return {
    firstName: '',
    lastName: '',
    phone: '',
    amount: String(SIMULATION_DEFAULTS.amount),
    unit: SIMULATION_DEFAULTS.unit,
    location: SIMULATION_DEFAULTS.location,
    providerFirstName: SIMULATION_DEFAULTS.providerFirstName,
    providerLastName: SIMULATION_DEFAULTS.providerLastName,
  };
}

/** Minutes ahead, or what is wrong with the amount and unit. */
export function minutesAhead(amount: string, unit: string): number | string {
  if (unit !== 'minutes' && unit !== 'hours') return 'Choose minutes or hours.';
  if (!/^\d{1,6}$/.test(amount)) return 'Enter a whole number.';
  const minutes = Number(amount) * (unit === 'hours' ? 60 : 1);
  if (minutes < 1 || minutes > MAX_AHEAD_MINUTES) {
    return `Enter between 1 minute and ${MAX_AHEAD_MINUTES / 60} hours (60 days) ahead.`;
  }
  return minutes;
}

const atMost = (limit: number): string => `At most ${limit} characters.`;

export type CheckedBooking =
  { ok: true; phone: string; minutes: number } | { ok: false; errors: FieldErrors };

/** The number to text (E.164) and how far ahead, or every field's problem. */
export function checkBooking(input: BookingForm, defaultCountry: string): CheckedBooking {
  const errors: FieldErrors = {};
  if (!input.firstName) errors.firstName = 'Enter the patient’s first name.';
  else if (input.firstName.length > FIELD_LIMITS.name) errors.firstName = atMost(FIELD_LIMITS.name);
  if (input.lastName.length > FIELD_LIMITS.name) errors.lastName = atMost(FIELD_LIMITS.name);
  const phone = readTextablePhone(input.phone, defaultCountry);
  if (!phone.ok) errors.phone = PHONE_PROBLEM_MESSAGES[phone.problem] ?? 'Enter a mobile number.';
  const minutes = minutesAhead(input.amount, input.unit);
  if (typeof minutes === 'string') errors.amount = minutes;
  if (input.location.length > FIELD_LIMITS.location) errors.location = atMost(FIELD_LIMITS.location);
  if (input.providerFirstName.length > FIELD_LIMITS.name)
    errors.providerFirstName = atMost(FIELD_LIMITS.name);
  if (input.providerLastName.length > FIELD_LIMITS.name) errors.providerLastName = atMost(FIELD_LIMITS.name);
  if (Object.keys(errors).length > 0 || typeof minutes === 'string' || !phone.ok)
    return { ok: false, errors };
  return { ok: true, phone: phone.phone, minutes };
}
