/**
 * An appointment whose patient has no number that can be texted is recorded all the same (issue 12):
 * texts and reminders are skipped with the reason, the view says why, and a later event with a
 * number makes it textable, starting with the booking text the patient never got.
 */
import type { AppointmentState } from '../../../../src/domain/appointment/appointmentState';
import { untextableReasonOf } from '../../../../src/domain/appointment/textability';
import type {
  AppointmentEvent,
  EhrEventType,
  EventEnvelope,
  PhoneProblem,
} from '../../../../src/shared/appointment';
import { NOW, START, FIRST_SEND, POLICY, fresh } from './fixtures';

const FIRST_SEND_MS = Date.parse(FIRST_SEND);
const PHONE = '+13035550123';

let sequence = 0;

/** An event for A1 with a number, or with `problem` instead of one. */
function envelope(
  eventType: EhrEventType,
  phone: string | PhoneProblem,
  start: string = START,
): EventEnvelope {
  sequence += 1;
  const eventAt = new Date(Date.parse('2026-11-01T00:00:00.000Z') + sequence * 60_000).toISOString();
  const number = phone.startsWith('+') ? { phone } : { phoneProblem: phone as PhoneProblem };
  const event: AppointmentEvent = {
    eventId: `evt-${sequence}`,
    eventType,
    eventAt,
    receivedAt: eventAt,
    appointmentId: 'A1',
    start,
    localStart: start.slice(0, 19),
    timeZone: 'America/Denver',
    patient: { id: 'P1', language: 'en', ...number },
  };
  return { event, policy: POLICY };
}

function apply(state: AppointmentState, eventType: EhrEventType, phone: string | PhoneProblem, at = NOW) {
  expect(state.applyEvent(envelope(eventType, phone), at)).toBe('applied');
}

const texts = (state: AppointmentState) =>
  state.data.messages.map((m) => [m.kind, m.status, m.skipReason ?? null]);

describe('an appointment without a number that can be texted', () => {
  test.each(['NO_PHONE', 'INVALID_PHONE', 'MASKED_PHONE', 'NOT_MOBILE'] as const)(
    'booked with %s: recorded, the booking text skipped with the reason, reminders kept',
    (problem) => {
      const state = fresh();
      apply(state, 'BOOKED', problem);
      expect(state.data.status).toBe('BOOKED');
      expect(texts(state)).toEqual([['BOOKED', 'SKIPPED', problem]]);
      expect(state.pendingMessages()).toEqual([]);
      expect(state.view().untextable).toBe(problem);
      expect(state.data.reminders.map((r) => r.status)).toEqual(['PENDING', 'PENDING']);
      // Due while there is still no number: suppressed with the reason, never queued as a text.
      state.queueDueReminders(FIRST_SEND_MS);
      expect(state.data.reminders.map((r) => [r.status, r.note])).toEqual([
        ['SUPPRESSED', problem],
        ['PENDING', undefined],
      ]);
      expect(state.pendingMessages()).toEqual([]);
    },
  );

  test('a later event with a number makes it textable: the booking text first, then the next reminder', () => {
    const state = fresh();
    apply(state, 'BOOKED', 'NOT_MOBILE');
    apply(state, 'MODIFIED', PHONE);
    expect(state.view().untextable).toBeUndefined();
    expect(state.data.untextable).toBeUndefined();
    expect(state.pendingMessages().map((m) => m.kind)).toEqual(['BOOKED']);
    state.recordSent(state.pendingMessages()[0]?.key ?? '', { sid: 'SM1', status: 'queued' }, NOW);
    state.queueDueReminders(FIRST_SEND_MS);
    expect(state.pendingMessages().map((m) => [m.kind, m.reminder])).toEqual([['REMINDER', 'FIRST']]);
  });

  test('a re-sent booking or a reschedule with a number also starts with the booking text', () => {
    for (const later of ['BOOKED', 'RESCHEDULED'] as const) {
      const state = fresh();
      apply(state, 'BOOKED', 'NO_PHONE');
      apply(state, later, PHONE);
      expect([later, state.pendingMessages().map((m) => m.kind)]).toEqual([later, ['BOOKED']]);
    }
  });

  test('a patient who was already texted gets the ordinary text when the number comes back', () => {
    const state = fresh();
    apply(state, 'BOOKED', PHONE);
    state.recordSent(state.pendingMessages()[0]?.key ?? '', { sid: 'SM1', status: 'queued' }, NOW);
    apply(state, 'MODIFIED', 'INVALID_PHONE');
    apply(state, 'MODIFIED', '+17205550111');
    expect(state.pendingMessages().map((m) => m.kind)).toEqual(['MODIFIED']);
  });

  test('a number the EHR replaces with one that cannot be texted: texts not yet sent are skipped', () => {
    const state = fresh();
    apply(state, 'BOOKED', PHONE);
    expect(state.pendingMessages().map((m) => m.kind)).toEqual(['BOOKED']);
    apply(state, 'MODIFIED', 'NOT_MOBILE');
    expect(state.pendingMessages()).toEqual([]);
    expect(texts(state)).toEqual([
      ['BOOKED', 'SKIPPED', 'NOT_MOBILE'],
      ['MODIFIED', 'SKIPPED', 'NOT_MOBILE'],
    ]);
    expect(state.data.details?.patient.phone).toBeUndefined();
    expect(state.view().untextable).toBe('NOT_MOBILE');
  });

  test('an event that sends no number, or a masked one, keeps the number known (a bare cancel)', () => {
    for (const problem of ['NO_PHONE', 'MASKED_PHONE'] as const) {
      const state = fresh();
      apply(state, 'BOOKED', PHONE);
      state.recordSent(state.pendingMessages()[0]?.key ?? '', { sid: 'SM1', status: 'queued' }, NOW);
      apply(state, 'CANCELED', problem);
      expect([problem, state.data.details?.patient.phone]).toEqual([problem, PHONE]);
      expect(state.data.details?.patient.phoneProblem).toBeUndefined();
      expect(state.pendingMessages().map((m) => m.kind)).toEqual(['CANCELED']);
      expect(state.view().untextable).toBeUndefined();
    }
  });

  test('an appointment already begun when booked is recorded as APPOINTMENT_PASSED', () => {
    const state = fresh();
    expect(state.applyEvent(envelope('BOOKED', PHONE, '2026-11-30T17:00:00.000Z'), NOW)).toBe('applied');
    expect(state.view().untextable).toBe('APPOINTMENT_PASSED');
    expect(texts(state)).toEqual([['BOOKED', 'SKIPPED', 'APPOINTMENT_PASSED']]);
  });
});

describe('untextableReasonOf', () => {
  const at = (eventType: EhrEventType, phone: string | PhoneProblem, start = START) =>
    untextableReasonOf(envelope(eventType, phone, start).event, NOW);

  test('the phone problem first, then a start that has passed (except for a no-show), else textable', () => {
    expect(at('BOOKED', 'MASKED_PHONE', '2026-11-30T17:00:00.000Z')).toBe('MASKED_PHONE');
    expect(at('BOOKED', PHONE, '2026-11-30T17:00:00.000Z')).toBe('APPOINTMENT_PASSED');
    expect(at('CANCELED', PHONE, '2026-11-30T17:00:00.000Z')).toBe('APPOINTMENT_PASSED');
    expect(at('NOSHOWED', PHONE, '2026-11-30T17:00:00.000Z')).toBeUndefined();
    expect(at('BOOKED', PHONE)).toBeUndefined();
    expect(at('BOOKED', PHONE, new Date(NOW).toISOString())).toBe('APPOINTMENT_PASSED');
  });

  test('an event without its time (a bare cancel) is judged by its phone only', () => {
    const { start: _s, localStart: _l, timeZone: _z, ...untimed } = envelope('CANCELED', PHONE).event;
    expect(untextableReasonOf(untimed, NOW)).toBeUndefined();
    expect(untextableReasonOf({ ...untimed, patient: { id: 'P1', language: 'en' } }, NOW)).toBe('NO_PHONE');
  });
});
