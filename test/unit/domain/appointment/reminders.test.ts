/**
 * Due reminders and what became of their texts (reminders.ts, texts.ts), and reminders counted per
 * patient-local day.
 */
import {
  MINUTE_MS,
  DAY_MS,
  ZONE,
  NOW,
  START_MS,
  FIRST_SEND,
  SECOND_SEND,
  iso,
  envelope,
  booked,
  sendAll,
  bookedAndSent,
} from './fixtures';

describe('AppointmentState: due reminders and delivery results', () => {
  it('queues nothing before sendAt and queues the reminder exactly at sendAt', () => {
    const state = bookedAndSent();
    const firstMs = Date.parse(FIRST_SEND);
    expect(state.queueDueReminders(firstMs - 1)).toBe(0);
    expect(state.pendingMessages()).toEqual([]);

    const version = state.data.version;
    expect(state.queueDueReminders(firstMs)).toBe(1);
    expect(state.data.version).toBeGreaterThan(version);
    expect(state.pendingMessages()).toEqual([
      {
        key: 'A1:g1:FIRST',
        kind: 'REMINDER',
        reminder: 'FIRST',
        reminderGeneration: 1,
        status: 'PENDING',
        createdAt: FIRST_SEND,
      },
    ]);
    expect(state.data.reminders.map((r) => r.status)).toEqual(['QUEUED', 'PENDING']);
    expect(state.nextReminderAtMs()).toBe(Date.parse(SECOND_SEND));
    // Asking again queues nothing twice.
    expect(state.queueDueReminders(firstMs + MINUTE_MS)).toBe(0);
  });

  it('queues both reminders when the timer fires after both were due but before the appointment', () => {
    const state = booked();
    expect(state.queueDueReminders(START_MS - MINUTE_MS)).toBe(2);
    expect(state.pendingMessages().map((m) => m.key)).toEqual([
      'A1:book-1:BOOKED',
      'A1:g1:FIRST',
      'A1:g1:SECOND',
    ]);
  });

  it('skips a reminder whose timer fires only after the appointment began', () => {
    const state = bookedAndSent();
    expect(state.queueDueReminders(START_MS)).toBe(0);
    expect(state.pendingMessages()).toEqual([]);
    expect(state.data.reminders.map((r) => [r.status, r.note])).toEqual([
      ['SKIPPED', 'APPOINTMENT_PASSED'],
      ['SKIPPED', 'APPOINTMENT_PASSED'],
    ]);
  });

  it('reminder keys differ between plan generations', () => {
    const state = booked();
    state.queueDueReminders(Date.parse(FIRST_SEND));
    state.applyEvent(envelope('RESCHEDULED', { start: iso(START_MS + 3 * DAY_MS) }), Date.parse(FIRST_SEND));
    state.queueDueReminders(START_MS + DAY_MS);
    const keys = state.data.messages.filter((m) => m.kind === 'REMINDER').map((m) => m.key);
    expect(keys).toEqual(['A1:g1:FIRST', 'A1:g2:FIRST']);
  });

  it('recordSent marks the text with its sid and time and the reminder SENT', () => {
    const state = booked();
    const firstMs = Date.parse(FIRST_SEND);
    state.queueDueReminders(firstMs);
    const before = state.data.version;
    state.recordSent('A1:g1:FIRST', { sid: 'SM123', status: 'queued' }, firstMs + 5000);
    const message = state.data.messages.find((m) => m.key === 'A1:g1:FIRST');
    expect(message).toMatchObject({ sid: 'SM123', status: 'QUEUED', sentAt: iso(firstMs + 5000) });
    expect(state.data.reminders[0]?.status).toBe('SENT');
    expect(state.data.reminders[1]?.status).toBe('PENDING');
    expect(state.data.version).toBe(before + 1);
    expect(state.view().messages.find((m) => m.sid === 'SM123')).toEqual({
      kind: 'REMINDER',
      sid: 'SM123',
      status: 'QUEUED',
      sentAt: iso(firstMs + 5000),
    });
  });

  it('recordFailed marks the text and the reminder FAILED with the error', () => {
    const state = booked();
    state.queueDueReminders(Date.parse(FIRST_SEND));
    const error = { type: 'SmsPermanentFailure', code: 21211, message: 'invalid To number' };
    state.recordFailed('A1:g1:FIRST', error);
    expect(state.data.messages.find((m) => m.key === 'A1:g1:FIRST')).toMatchObject({
      status: 'FAILED',
      error,
    });
    expect(state.data.reminders[0]).toMatchObject({ status: 'FAILED', note: 'SmsPermanentFailure:21211' });
    expect(state.view().messages.find((m) => m.status === 'FAILED')?.error).toBe('SmsPermanentFailure:21211');
    expect(state.view().reminders[0]?.note).toBe('SmsPermanentFailure:21211');
  });

  it('recordFailed without a code notes the error type only', () => {
    const state = booked();
    state.queueDueReminders(Date.parse(FIRST_SEND));
    state.recordFailed('A1:g1:FIRST', { type: 'SmsSendFailed', message: 'timeout' });
    expect(state.data.reminders[0]?.note).toBe('SmsSendFailed');
  });

  it('delivery results of event texts leave the reminders alone', () => {
    const state = booked();
    const reminders = structuredClone(state.data.reminders);
    state.recordSent('A1:book-1:BOOKED', { sid: 'SM1', status: 'sent' }, NOW);
    expect(state.data.messages[0]).toMatchObject({ status: 'SENT', sid: 'SM1' });
    expect(state.data.reminders).toEqual(reminders);
  });

  it('a delivery result for an unknown text throws', () => {
    const state = booked();
    expect(() => state.recordSent('A1:nope', { sid: 'SM1', status: 'sent' }, NOW)).toThrow(/unknown message/);
    expect(() => state.recordFailed('A1:nope', { type: 'X', message: 'x' })).toThrow(/unknown message/);
  });
});

describe('AppointmentState: reminders sent on a local day (the allowance of an unshared number)', () => {
  test('counts reminders handed to Twilio on the patient-local day only', () => {
    const state = booked();
    const first = Date.parse(FIRST_SEND);
    state.queueDueReminders(first);
    sendAll(state, first);
    // 17:00Z is 10:00 in Denver on Dec 2; the booking text (Dec 1) is not a reminder.
    expect(state.remindersSentOnLocalDay('2026-12-02', ZONE)).toBe(1);
    expect(state.remindersSentOnLocalDay('2026-12-01', ZONE)).toBe(0);
    expect(state.remindersSentOnLocalDay('2026-12-03', ZONE)).toBe(0);
  });

  test('the day is the patient zone day, not the UTC day', () => {
    const state = booked();
    // 03:00Z on Dec 3 is still Dec 2 (20:00) in Denver.
    const lateEvening = Date.parse('2026-12-03T03:00:00.000Z');
    state.data.reminders[0]!.sendAt = iso(lateEvening);
    state.queueDueReminders(lateEvening);
    sendAll(state, lateEvening);
    expect(state.remindersSentOnLocalDay('2026-12-02', ZONE)).toBe(1);
    expect(state.remindersSentOnLocalDay('2026-12-03', 'UTC')).toBe(1);
  });

  test('failed and suppressed reminders do not count', () => {
    const state = booked();
    const first = Date.parse(FIRST_SEND);
    state.queueDueReminders(first);
    const [message] = state.pendingMessages();
    state.recordFailed(message!.key, { type: 'SmsPermanentFailure', code: 21211, message: 'invalid' });
    expect(state.remindersSentOnLocalDay('2026-12-02', ZONE)).toBe(0);
  });
});
