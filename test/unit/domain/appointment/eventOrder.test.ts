/**
 * Which EHR events apply (eventOrder.ts): duplicates by id, stale by event time, and events
 * that leave out the time or the number.
 */
import type { EventEnvelope } from '../../../../src/shared/appointment';
import {
  MINUTE_MS,
  HOUR_MS,
  DAY_MS,
  ZONE,
  NOW,
  START,
  START_MS,
  iso,
  envelope,
  fresh,
  booked,
  snapshot,
  pendingKinds,
  bookedAndSent,
} from './fixtures';

describe('AppointmentState: idempotency and ordering', () => {
  it('a duplicate event id returns duplicate and changes nothing, not even the version', () => {
    const state = booked();
    const before = snapshot(state);
    expect(state.applyEvent(envelope('BOOKED', { eventId: 'book-1' }), NOW + HOUR_MS)).toBe('duplicate');
    // Same id with other content is still the same event.
    expect(
      state.applyEvent(
        envelope('CANCELED', { eventId: 'book-1', start: iso(START_MS + DAY_MS) }),
        NOW + HOUR_MS,
      ),
    ).toBe('duplicate');
    expect(state.data).toEqual(before);
  });

  it('hasSeen tells applied, stale and unknown event ids apart', () => {
    const state = booked();
    state.applyEvent(envelope('CANCELED', { eventId: 'old', eventAt: '2000-01-01T00:00:00.000Z' }), NOW);
    expect(state.hasSeen('book-1')).toBe(true);
    expect(state.hasSeen('old')).toBe(true);
    expect(state.hasSeen('never')).toBe(false);
  });

  it('a stale event returns stale, is recorded in ignoredEvents and changes no status, reminder or text', () => {
    const state = booked();
    const before = snapshot(state);
    const staleAt = iso(Date.parse(before.lastEventAt) - MINUTE_MS);
    const outcome = state.applyEvent(
      envelope('CANCELED', { eventId: 'late-cancel', eventAt: staleAt, start: iso(START_MS + DAY_MS) }),
      NOW + HOUR_MS,
    );
    expect(outcome).toBe('stale');
    expect(state.data.ignoredEvents).toEqual([
      { eventId: 'late-cancel', eventType: 'CANCELED', eventAt: staleAt, reason: 'STALE' },
    ]);
    expect(state.data.status).toBe(before.status);
    expect(state.data.details).toEqual(before.details);
    expect(state.data.reminders).toEqual(before.reminders);
    expect(state.data.messages).toEqual(before.messages);
    expect(state.data.lastEventAt).toBe(before.lastEventAt);
    // The record of the ignored event is a change, so snapshots see it.
    expect(state.data.version).toBe(before.version + 1);
    expect(state.view().ignoredEvents).toHaveLength(1);
    // Sent again, the stale event is a duplicate.
    expect(state.applyEvent(envelope('CANCELED', { eventId: 'late-cancel', eventAt: staleAt }), NOW)).toBe(
      'duplicate',
    );
  });

  it('an event at the same instant as the last applied one is applied, not stale', () => {
    const state = booked();
    const eventAt = state.data.lastEventAt;
    expect(state.applyEvent(envelope('CONFIRMED', { eventAt }), NOW)).toBe('applied');
    expect(state.data.status).toBe('CONFIRMED');
  });

  it('orders event times as instants, not as text', () => {
    const state = fresh();
    state.applyEvent(envelope('BOOKED', { eventAt: '2026-11-20T18:00:00Z' }), NOW);
    // Half a second later, but "." sorts before "Z".
    expect(state.applyEvent(envelope('CONFIRMED', { eventAt: '2026-11-20T18:00:00.500Z' }), NOW)).toBe(
      'applied',
    );
    // 19:00Z written with an offset: later, although "12" sorts before "18".
    expect(state.applyEvent(envelope('CANCELED', { eventAt: '2026-11-20T12:00:00-07:00' }), NOW)).toBe(
      'applied',
    );
    expect(state.data.status).toBe('CANCELED');
    // 18:30Z is older than 19:00Z, although "18:30:00.000Z" sorts after "12:00:00-07:00".
    expect(state.applyEvent(envelope('BOOKED', { eventAt: '2026-11-20T18:30:00.000Z' }), NOW)).toBe('stale');
  });

  it('keeps seenEventIds bounded (500) while applying 600 events, forgetting the oldest first', () => {
    const state = booked('e-0');
    for (let i = 1; i < 600; i++) {
      expect(state.applyEvent(envelope(i % 2 ? 'CONFIRMED' : 'MODIFIED', { eventId: `e-${i}` }), NOW)).toBe(
        'applied',
      );
    }
    expect(state.data.seenEventIds).toHaveLength(500);
    expect(state.data.seenEventIds[0]).toBe('e-100');
    expect(state.data.seenEventIds.at(-1)).toBe('e-599');
    expect(state.hasSeen('e-99')).toBe(false);
    expect(state.hasSeen('e-100')).toBe(true);
  });

  it('keeps ignoredEvents bounded (50), newest last', () => {
    const state = booked();
    for (let i = 0; i < 60; i++) {
      state.applyEvent(
        envelope('CANCELED', { eventId: `old-${i}`, eventAt: '2000-01-01T00:00:00.000Z' }),
        NOW,
      );
    }
    expect(state.data.ignoredEvents).toHaveLength(50);
    expect(state.data.ignoredEvents[0]?.eventId).toBe('old-10');
    expect(state.data.ignoredEvents.at(-1)?.eventId).toBe('old-59');
    expect(state.data.status).toBe('BOOKED');
  });

  it('a forgotten event id that comes back at the same event time never makes a second text with its key', () => {
    const state = fresh();
    const eventAt = '2026-11-20T18:00:00.000Z';
    state.applyEvent(envelope('BOOKED', { eventAt }), NOW);
    state.applyEvent(envelope('MODIFIED', { eventId: 'mod', eventAt }), NOW);
    for (let i = 0; i < 500; i++) state.applyEvent(envelope('OPTED-IN', { eventAt }), NOW);
    expect(state.hasSeen('mod')).toBe(false);
    expect(state.applyEvent(envelope('MODIFIED', { eventId: 'mod', eventAt }), NOW)).toBe('applied');
    expect(state.data.messages.filter((m) => m.key === 'A1:mod:MODIFIED')).toHaveLength(1);
  });
});

describe('AppointmentState: a cancellation or no-show without a time (issue 10.11)', () => {
  /** The envelope of `eventType` as an EHR sends it without the appointment's time. */
  function untimed(eventType: 'CANCELED' | 'NOSHOWED', eventId: string): EventEnvelope {
    const { event, policy } = envelope(eventType, { eventId });
    const { start: _start, localStart: _local, timeZone: _zone, ...rest } = event;
    return { event: rest, policy };
  }

  it.each([
    ['CANCELED', 'APPOINTMENT_CANCELED'],
    ['NOSHOWED', 'APPOINTMENT_NOSHOWED'],
  ] as const)('a %s without a time applies to the appointment at its known time', (eventType, note) => {
    const state = bookedAndSent();
    expect(state.applyEvent(untimed(eventType, 'untimed-1'), NOW)).toBe('applied');
    expect(state.data.status).toBe(eventType);
    expect(state.data.details).toMatchObject({
      start: START,
      localStart: START.slice(0, 19),
      timeZone: ZONE,
    });
    expect(state.data.reminders.every((r) => r.note === note)).toBe(true);
    // The text names the known time.
    expect(pendingKinds(state)).toEqual([eventType]);
    expect(state.view()).toMatchObject({
      status: eventType,
      start: '2026-12-04T10:00:00.000-07:00',
      timeZone: ZONE,
    });
  });

  it('one for an appointment with no time known is kept as ignored (UNKNOWN_TIME) and texts nobody', () => {
    const state = fresh();
    expect(state.applyEvent(untimed('CANCELED', 'untimed-2'), NOW)).toBe('unknown-time');
    expect(state.data.details).toBeNull();
    expect(state.pendingMessages()).toEqual([]);
    expect(state.data.ignoredEvents).toEqual([
      expect.objectContaining({ eventId: 'untimed-2', reason: 'UNKNOWN_TIME' }),
    ]);
    // Applied once: a resend is a duplicate, and a later booking still books.
    expect(state.applyEvent(untimed('CANCELED', 'untimed-2'), NOW)).toBe('duplicate');
    expect(state.applyEvent(envelope('BOOKED'), NOW)).toBe('applied');
    expect(pendingKinds(state)).toEqual(['BOOKED']);
  });
});
