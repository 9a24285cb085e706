/**
 * Sample JSON bodies for POST /v1/ehr/events and the helpers the canonicalEvent tests share: a full
 * body, a minimal one, and parse/expect helpers that fail with the other side's answer.
 */
import {
  parseCanonicalEvent,
  type FieldProblem,
  type ParseContext,
  type ParseResult,
} from '../../../../src/domain/events/canonicalEvent';
import type { IngestedEvent } from '../../../../src/shared/appointment';

export const RECEIVED_AT = '2026-11-20T18:05:00.000Z';
export const context: ParseContext = { defaultCountry: 'US', receivedAt: RECEIVED_AT };

export const REQUIRED_FIELDS = [
  'event_type',
  'appointment_id',
  'appointment_datetime',
  'appointment_timezone',
  'patient_id',
] as const;

export const OPTIONAL_FIELDS = [
  'event_id',
  'event_datetime_utc',
  'appointment_location',
  'patient_first_name',
  'patient_last_name',
  'patient_language',
  'provider_id',
  'provider_first_name',
  'provider_last_name',
  'provider_callback_phone',
  'patient_phone',
] as const;

export const fullBody = (): Record<string, unknown> => ({
  event_type: 'BOOKED',
  event_id: 'evt-1001',
  event_datetime_utc: '2026-11-20T18:00:00Z',
  appointment_id: 'APPT-42',
  appointment_datetime: '2026-12-01T15:30:00',
  appointment_timezone: 'America/Denver',
  appointment_location: 'Main Clinic, Room 3',
  patient_id: 'P-7',
  patient_first_name: 'Ana',
  patient_last_name: 'Lopez',
  patient_phone: '+13035550123',
  patient_language: 'es',
  provider_id: 'DR-9',
  provider_first_name: 'Sam',
  provider_last_name: 'Ng',
  provider_callback_phone: '+13035550199',
});

export const minimalBody = (): Record<string, unknown> => ({
  event_type: 'BOOKED',
  appointment_id: 'APPT-42',
  appointment_datetime: '2026-12-01T15:30:00',
  appointment_timezone: 'America/Denver',
  patient_id: 'P-7',
  patient_phone: '+13035550123',
});

export function parse(body: unknown, ctx: ParseContext = context): ParseResult {
  return parseCanonicalEvent(body, ctx);
}

export function expectEvent(body: unknown, ctx: ParseContext = context): IngestedEvent {
  const result = parse(body, ctx);
  if (!result.ok) throw new Error(`expected a valid event, got ${JSON.stringify(result.problems)}`);
  return result.event;
}

export function expectProblems(body: unknown, ctx: ParseContext = context): FieldProblem[] {
  const result = parse(body, ctx);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.event)}`);
  expect(result.problems.length).toBeGreaterThan(0);
  return result.problems;
}

export const fieldsOf = (problems: FieldProblem[]): string[] =>
  [...new Set(problems.map((p) => p.field))].sort();
