/**
 * When the workflow wakes, finishes and completes (retention.ts).
 */
import {
  HOUR_MS,
  DAY_MS,
  NOW,
  START_MS,
  FIRST_SEND,
  SECOND_SEND,
  envelope,
  fresh,
  booked,
  sendAll,
} from './fixtures';

describe('AppointmentState: waking, finishing and completing', () => {
  const retentionEnd = START_MS + 72 * HOUR_MS;

  it('has no wake time before any event', () => {
    const state = fresh();
    expect(state.nextWakeAtMs()).toBeUndefined();
    expect(state.nextReminderAtMs()).toBeUndefined();
    expect(state.retentionEndsAtMs()).toBeUndefined();
    expect(state.isFinished(NOW + 365 * DAY_MS)).toBe(false);
  });

  it('nextWakeAtMs is the next reminder, else the end of retention', () => {
    const state = booked();
    expect(state.nextWakeAtMs()).toBe(Date.parse(FIRST_SEND));
    state.queueDueReminders(Date.parse(FIRST_SEND));
    expect(state.nextWakeAtMs()).toBe(Date.parse(SECOND_SEND));
    state.queueDueReminders(Date.parse(SECOND_SEND));
    expect(state.nextWakeAtMs()).toBe(retentionEnd);
    expect(state.retentionEndsAtMs()).toBe(retentionEnd);
  });

  it('nextWakeAtMs is the end of retention once cancelled', () => {
    const state = booked();
    state.applyEvent(envelope('CANCELED'), NOW);
    expect(state.nextWakeAtMs()).toBe(retentionEnd);
  });

  it('isFinished only after retention with nothing pending', () => {
    const state = booked();
    expect(state.isFinished(retentionEnd - 1)).toBe(false);
    // The BOOKED text is still pending.
    expect(state.isFinished(retentionEnd)).toBe(false);
    sendAll(state, NOW);
    expect(state.isFinished(retentionEnd - 1)).toBe(false);
    expect(state.isFinished(retentionEnd)).toBe(true);
    expect(state.isFinished(retentionEnd + DAY_MS)).toBe(true);
  });

  it.each(['BOOKED', 'CONFIRMED'] as const)(
    'complete() turns %s into COMPLETED and stops reminders',
    (status) => {
      const state = booked();
      if (status === 'CONFIRMED') state.applyEvent(envelope('CONFIRMED'), NOW);
      state.complete();
      expect(state.data.status).toBe('COMPLETED');
      expect(state.data.reminders.map((r) => [r.status, r.note])).toEqual([
        ['CANCELED', 'APPOINTMENT_COMPLETED'],
        ['CANCELED', 'APPOINTMENT_COMPLETED'],
      ]);
    },
  );

  it('complete() turns CANCEL_REQUESTED into COMPLETED', () => {
    const state = booked();
    state.data.status = 'CANCEL_REQUESTED';
    state.complete();
    expect(state.data.status).toBe('COMPLETED');
  });

  it.each(['CANCELED', 'NOSHOWED'] as const)('complete() leaves %s as it is', (type) => {
    const state = booked();
    state.applyEvent(envelope(type), NOW);
    const version = state.data.version;
    state.complete();
    expect(state.data.status).toBe(type);
    expect(state.data.version).toBe(version + 1);
  });
});
