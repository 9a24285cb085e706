/**
 * Cancellations and no-shows from the EHR (ehrEvents.ts), and what a closed appointment still
 * takes.
 */
import {
  MINUTE_MS,
  HOUR_MS,
  NOW,
  START_MS,
  FIRST_SEND,
  SECOND_SEND,
  iso,
  envelope,
  fresh,
  booked,
  snapshot,
  pendingKinds,
  activeReminders,
  sendAll,
  canceledAndSent,
} from './fixtures';

describe('AppointmentState: cancel and no-show', () => {
  it('cancel stops every pending reminder, supersedes unsent texts and queues CANCELED', () => {
    const state = booked();
    // The BOOKED text and the first reminder are decided but not yet sent.
    expect(state.queueDueReminders(Date.parse(FIRST_SEND))).toBe(1);
    expect(pendingKinds(state)).toEqual(['BOOKED', 'REMINDER']);
    state.applyEvent(envelope('CANCELED', { eventId: 'cxl' }), Date.parse(FIRST_SEND));

    expect(state.data.status).toBe('CANCELED');
    expect(state.data.reminders.map((r) => [r.kind, r.status, r.note])).toEqual([
      ['FIRST', 'CANCELED', 'APPOINTMENT_CANCELED'],
      ['SECOND', 'CANCELED', 'APPOINTMENT_CANCELED'],
    ]);
    expect(state.data.messages.map((m) => [m.kind, m.status, m.skipReason])).toEqual([
      ['BOOKED', 'SKIPPED', 'SUPERSEDED'],
      ['REMINDER', 'SKIPPED', 'SUPERSEDED'],
      ['CANCELED', 'PENDING', undefined],
    ]);
    expect(state.pendingMessages().map((m) => m.key)).toEqual(['A1:cxl:CANCELED']);
    expect(state.nextReminderAtMs()).toBeUndefined();
    expect(state.queueDueReminders(START_MS - MINUTE_MS)).toBe(0);
  });

  it('a second CANCELED queues nothing more', () => {
    const state = booked();
    state.applyEvent(envelope('CANCELED'), NOW);
    sendAll(state, NOW);
    const before = snapshot(state);
    expect(state.applyEvent(envelope('CANCELED'), NOW)).toBe('applied');
    expect(state.pendingMessages()).toEqual([]);
    expect(state.data.messages).toEqual(before.messages);
    expect(state.data.status).toBe('CANCELED');
  });

  it('a text already handed to Twilio when the cancel arrives is recorded as sent', () => {
    const state = booked();
    const [bookedText] = state.pendingMessages();
    state.applyEvent(envelope('CANCELED'), NOW);
    // The in-flight send returns after the cancel.
    state.recordSent(bookedText!.key, { sid: 'SM1', status: 'sent' }, NOW + 1000);
    expect(state.data.messages[0]).toMatchObject({ kind: 'BOOKED', status: 'SENT', sid: 'SM1' });
  });

  it('no-show stops reminders, supersedes unsent texts and queues NOSHOWED even after the appointment', () => {
    const state = booked();
    const after = START_MS + HOUR_MS;
    state.applyEvent(envelope('NOSHOWED', { eventId: 'ns' }), after);
    expect(state.data.status).toBe('NOSHOWED');
    expect(
      state.data.reminders.every((r) => r.status === 'CANCELED' && r.note === 'APPOINTMENT_NOSHOWED'),
    ).toBe(true);
    expect(state.data.messages.map((m) => [m.kind, m.status, m.skipReason])).toEqual([
      ['BOOKED', 'SKIPPED', 'SUPERSEDED'],
      ['NOSHOWED', 'PENDING', undefined],
    ]);
    // A second no-show queues nothing.
    state.applyEvent(envelope('NOSHOWED'), after);
    expect(state.pendingMessages().map((m) => m.key)).toEqual(['A1:ns:NOSHOWED']);
  });

  it('events for a past appointment skip their texts, except NOSHOWED', () => {
    const state = fresh();
    const past = iso(NOW - HOUR_MS);
    state.applyEvent(envelope('BOOKED', { start: past }), NOW);
    state.applyEvent(envelope('MODIFIED', { start: past }), NOW);
    state.applyEvent(envelope('CONFIRMED', { start: past }), NOW);
    state.applyEvent(envelope('CANCELED', { start: past }), NOW);
    state.applyEvent(envelope('NOSHOWED', { start: past }), NOW);
    expect(state.data.messages.map((m) => [m.kind, m.status, m.skipReason])).toEqual([
      ['BOOKED', 'SKIPPED', 'APPOINTMENT_PASSED'],
      ['MODIFIED', 'SKIPPED', 'APPOINTMENT_PASSED'],
      ['CONFIRMED', 'SKIPPED', 'APPOINTMENT_PASSED'],
      ['CANCELED', 'SKIPPED', 'APPOINTMENT_PASSED'],
      ['NOSHOWED', 'PENDING', undefined],
    ]);
    expect(state.data.reminders.every((r) => r.status !== 'PENDING')).toBe(true);
  });

  it('an event exactly at the appointment start counts as past', () => {
    const state = fresh();
    state.applyEvent(envelope('BOOKED'), START_MS);
    expect(state.data.messages[0]?.skipReason).toBe('APPOINTMENT_PASSED');
  });
});

describe('AppointmentState: a closed appointment', () => {
  it.each(['MODIFIED', 'CONFIRMED'] as const)(
    '%s after a cancellation texts nobody and stays CANCELED',
    (type) => {
      const state = canceledAndSent();
      expect(state.applyEvent(envelope(type), NOW)).toBe('applied');
      expect(state.data.status).toBe('CANCELED');
      expect(state.pendingMessages()).toEqual([]);
      expect(activeReminders(state)).toEqual([]);
    },
  );

  it('a new booking after a cancellation reopens it with a fresh plan', () => {
    const state = canceledAndSent();
    state.applyEvent(envelope('BOOKED'), NOW);
    expect(state.data.status).toBe('BOOKED');
    expect(pendingKinds(state)).toEqual(['BOOKED']);
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
  });
});
