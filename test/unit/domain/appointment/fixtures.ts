/**
 * An appointment A1 three days after NOW in Denver, events for it and helpers to drive its state,
 * shared by the state machine's tests (one file per module of src/domain/appointment).
 */
import { AppointmentState } from '../../../../src/domain/appointment/appointmentState';
import { initialStateData } from '../../../../src/domain/appointment/stateData';
import type {
  AppointmentEvent,
  AppointmentPolicy,
  EhrEventType,
  EventEnvelope,
} from '../../../../src/shared/appointment';
import type {
  AppointmentStateData,
  MessageRecord,
  ReminderRecord,
} from '../../../../src/domain/appointment/records';
import type { RulesVersion } from '../../../../src/shared/rulesVersion';
import { DEFAULT_POLICY } from '../../../helpers/policy';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const APPOINTMENT_ID = 'A1';
export const ZONE = 'America/Denver';

export const POLICY = DEFAULT_POLICY;

export const NOW = Date.parse('2026-12-01T17:00:00.000Z');
/** Exactly three days after NOW. */
export const START = '2026-12-04T17:00:00.000Z';
export const START_MS = Date.parse(START);
export const FIRST_SEND = '2026-12-02T17:00:00.000Z';
export const SECOND_SEND = '2026-12-03T17:00:00.000Z';

export const iso = (ms: number): string => new Date(ms).toISOString();

let sequence = 0;

export interface EventOptions {
  eventId?: string;
  eventAt?: string;
  start?: string;
  policy?: Partial<AppointmentPolicy>;
  phone?: string;
}

/** An envelope for A1; ids and event times increase with each call unless given. */
export function envelope(eventType: EhrEventType, options: EventOptions = {}): EventEnvelope {
  sequence += 1;
  const eventAt = options.eventAt ?? iso(Date.parse('2026-11-01T00:00:00.000Z') + sequence * MINUTE_MS);
  const start = options.start ?? START;
  const event: AppointmentEvent = {
    eventId: options.eventId ?? `evt-${sequence}`,
    eventType,
    eventAt,
    receivedAt: eventAt,
    appointmentId: APPOINTMENT_ID,
    start,
    localStart: start.slice(0, 19),
    timeZone: ZONE,
    patient: { id: 'P1', firstName: 'Ana', phone: options.phone ?? '+13035550123', language: 'en' },
  };
  return { event, policy: { ...POLICY, ...options.policy } };
}

/** A state before any event, on the current rules unless `rules` is given. */
export function fresh(rules?: RulesVersion): AppointmentState {
  return new AppointmentState(initialStateData(APPOINTMENT_ID), rules);
}

/** A state with a BOOKED event for START applied at NOW. */
export function booked(eventId = 'book-1'): AppointmentState {
  const state = fresh();
  expect(state.applyEvent(envelope('BOOKED', { eventId }), NOW)).toBe('applied');
  return state;
}

/** booked(), with its BOOKED text sent at NOW: nothing is pending. */
export function bookedAndSent(): AppointmentState {
  const state = booked();
  sendAll(state, NOW);
  return state;
}

/** bookedAndSent(), then cancelled by the EHR at NOW, with the CANCELED text sent too. */
export function canceledAndSent(): AppointmentState {
  const state = bookedAndSent();
  state.applyEvent(envelope('CANCELED'), NOW);
  sendAll(state, NOW);
  return state;
}

export const snapshot = (state: AppointmentState): AppointmentStateData => structuredClone(state.data);

export const pendingKinds = (state: AppointmentState): string[] => state.pendingMessages().map((m) => m.kind);

export const remindersOf = (state: AppointmentState, generation = state.data.generation): ReminderRecord[] =>
  state.data.reminders.filter((r) => r.generation === generation);

export const activeReminders = (state: AppointmentState): ReminderRecord[] =>
  state.data.reminders.filter((r) => r.status === 'PENDING');

/** Hands every pending text to a fake Twilio that accepts it. */
export function sendAll(state: AppointmentState, nowMs: number): MessageRecord[] {
  const sent = state.pendingMessages();
  sent.forEach((message, i) => state.recordSent(message.key, { sid: `SM${i}`, status: 'queued' }, nowMs));
  return sent;
}

/** A patient's reply of `kind`, received at NOW. */
export const reply = (
  kind: 'CONFIRM' | 'CANCEL_REQUEST' | 'OPT_OUT' | 'OPT_IN',
  messageSid = `SM-${kind}`,
) => ({
  kind,
  messageSid,
  replyText: kind === 'CONFIRM' ? 'yes' : '2',
  receivedAt: iso(NOW),
});
