/**
 * Opt-out and opt-in as EHR events (optOut.ts; by text in patientReplies.test.ts).
 */
import {
  MINUTE_MS,
  HOUR_MS,
  DAY_MS,
  NOW,
  START_MS,
  FIRST_SEND,
  SECOND_SEND,
  iso,
  envelope,
  fresh,
  booked,
  snapshot,
  remindersOf,
  activeReminders,
  bookedAndSent,
} from './fixtures';

describe('AppointmentState: opt-out and opt-in', () => {
  it('OPTED-OUT stops every reminder and skips unsent and later event texts', () => {
    const state = booked();
    expect(state.queueDueReminders(Date.parse(FIRST_SEND))).toBe(1);
    state.applyEvent(envelope('OPTED-OUT'), Date.parse(FIRST_SEND));
    expect(state.data.optedOut).toBe(true);
    expect(state.view().optedOut).toBe(true);
    expect(state.data.reminders.map((r) => [r.kind, r.status, r.note])).toEqual([
      ['FIRST', 'SUPPRESSED', 'OPTED_OUT'],
      ['SECOND', 'CANCELED', 'OPTED_OUT'],
    ]);
    // Nothing decided before the opt-out goes out after it.
    expect(state.pendingMessages()).toEqual([]);
    expect(state.data.messages.map((m) => [m.kind, m.status, m.skipReason])).toEqual([
      ['BOOKED', 'SKIPPED', 'OPTED_OUT'],
      ['REMINDER', 'SKIPPED', 'OPTED_OUT'],
    ]);

    state.applyEvent(envelope('MODIFIED'), Date.parse(FIRST_SEND));
    state.applyEvent(envelope('CANCELED'), Date.parse(FIRST_SEND));
    expect(state.data.messages.slice(2).map((m) => [m.kind, m.status, m.skipReason])).toEqual([
      ['MODIFIED', 'SKIPPED', 'OPTED_OUT'],
      ['CANCELED', 'SKIPPED', 'OPTED_OUT'],
    ]);
  });

  it('while opted out, due reminders are never queued and re-plans are suppressed', () => {
    const state = booked();
    state.applyEvent(envelope('OPTED-OUT'), NOW);
    state.applyEvent(envelope('RESCHEDULED', { start: iso(START_MS + DAY_MS) }), NOW);
    expect(remindersOf(state).map((r) => [r.status, r.note])).toEqual([
      ['SUPPRESSED', 'OPTED_OUT'],
      ['SUPPRESSED', 'OPTED_OUT'],
    ]);
    expect(state.queueDueReminders(START_MS + DAY_MS - MINUTE_MS)).toBe(0);
    expect(state.pendingMessages()).toEqual([]);
  });

  it('a reminder still PENDING in carried state while opted out is suppressed when due', () => {
    const state = booked();
    // State carried from an older build, where an opt-out left reminders pending.
    state.data.optedOut = true;
    expect(state.queueDueReminders(Date.parse(FIRST_SEND))).toBe(0);
    expect(state.data.reminders[0]).toMatchObject({ status: 'SUPPRESSED', note: 'OPTED_OUT' });
    expect(state.pendingMessages().map((m) => m.kind)).toEqual(['BOOKED']);
  });

  it('OPTED-IN after an opt-out re-plans the reminders that are still ahead, without a text', () => {
    const state = bookedAndSent();
    state.applyEvent(envelope('OPTED-OUT'), NOW);
    state.applyEvent(envelope('OPTED-IN'), NOW + HOUR_MS);
    expect(state.data.optedOut).toBe(false);
    expect(state.data.generation).toBe(2);
    expect(remindersOf(state).map((r) => [r.kind, r.status, r.sendAt])).toEqual([
      ['FIRST', 'PENDING', FIRST_SEND],
      ['SECOND', 'PENDING', SECOND_SEND],
    ]);
    expect(state.pendingMessages()).toEqual([]);
  });

  it('OPTED-IN without an earlier opt-out changes no plan', () => {
    const state = booked();
    const before = snapshot(state);
    state.applyEvent(envelope('OPTED-IN'), NOW);
    expect(state.data.reminders).toEqual(before.reminders);
    expect(state.data.generation).toBe(1);
  });

  it('OPTED-IN for a cancelled appointment plans nothing', () => {
    const state = booked();
    state.applyEvent(envelope('OPTED-OUT'), NOW);
    state.applyEvent(envelope('CANCELED'), NOW);
    state.applyEvent(envelope('OPTED-IN'), NOW);
    expect(state.data.optedOut).toBe(false);
    expect(activeReminders(state)).toEqual([]);
    expect(state.data.status).toBe('CANCELED');
  });

  it('an opt-in as the first event does not keep the later booking from planning and texting', () => {
    const state = fresh();
    state.applyEvent(envelope('OPTED-IN'), NOW);
    expect(state.data.reminders).toEqual([]);
    state.applyEvent(envelope('BOOKED', { eventId: 'b' }), NOW);
    expect(state.pendingMessages().map((m) => m.key)).toEqual(['A1:b:BOOKED']);
    expect(activeReminders(state)).toHaveLength(2);
  });

  it('an opt-out as the first event is honoured by the booking and lifted by a later opt-in', () => {
    const state = fresh();
    state.applyEvent(envelope('OPTED-OUT'), NOW);
    state.applyEvent(envelope('BOOKED'), NOW);
    expect(state.data.messages.map((m) => [m.kind, m.status, m.skipReason])).toEqual([
      ['BOOKED', 'SKIPPED', 'OPTED_OUT'],
    ]);
    expect(state.data.reminders.every((r) => r.status === 'SUPPRESSED')).toBe(true);
    state.applyEvent(envelope('OPTED-IN'), NOW);
    expect(activeReminders(state)).toHaveLength(2);
  });
});
