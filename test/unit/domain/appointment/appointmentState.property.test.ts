/**
 * The whole state machine (AppointmentState) under random event sequences: its invariants
 * hold, and its state survives continue-as-new.
 */
import fc from 'fast-check';
import { AppointmentState } from '../../../../src/domain/appointment/appointmentState';
import type { EhrEventType, EventEnvelope } from '../../../../src/shared/appointment';
import type { AppointmentStateData } from '../../../../src/domain/appointment/records';
import { EHR_EVENT_TYPES } from '../../../../src/shared/appointment';
import { MINUTE_MS, HOUR_MS, NOW, iso, envelope, fresh, snapshot } from './fixtures';

describe('AppointmentState properties', () => {
  interface Step {
    type: EhrEventType;
    eventId: string;
    /** Minutes after a base; small range so some events are stale and some tie. */
    eventAtMinute: number;
    /** Hours from now to the appointment; some negative (past), some close, some far. */
    startInHours: number;
    /** Hours the clock moves before the event. */
    advanceHours: number;
    /** What happens to the first pending text before the event: nothing, sent or failed. */
    delivery: 'none' | 'sent' | 'failed';
    window: readonly [number, number];
  }

  const step: fc.Arbitrary<Step> = fc.record({
    type: fc.constantFrom(...EHR_EVENT_TYPES),
    eventId: fc.constantFrom('e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9'),
    eventAtMinute: fc.integer({ min: 0, max: 12 }),
    startInHours: fc.oneof(
      fc.integer({ min: -48, max: 200 }),
      fc.constantFrom(-1, 0, 1, 23, 24, 25, 47, 48, 49, 72),
    ),
    advanceHours: fc.integer({ min: 0, max: 30 }),
    delivery: fc.constantFrom('none', 'sent', 'failed'),
    window: fc.constantFrom([0, 1440] as const, [480, 1200] as const, [540, 600] as const),
  });

  const BASE_EVENT_AT = Date.parse('2026-11-01T00:00:00.000Z');

  function stepEnvelope(s: Step, nowMs: number): EventEnvelope {
    const start = iso(Math.floor((nowMs + s.startInHours * HOUR_MS) / MINUTE_MS) * MINUTE_MS);
    return envelope(s.type, {
      eventId: s.eventId,
      eventAt: iso(BASE_EVENT_AT + s.eventAtMinute * MINUTE_MS),
      start,
      policy: { windowStartMinutes: s.window[0], windowFinishMinutes: s.window[1] },
    });
  }

  function checkInvariants(state: AppointmentState): void {
    const { data } = state;
    const live = new Map<string, number>();
    for (const r of data.reminders) {
      if (r.status !== 'PENDING' && r.status !== 'QUEUED') continue;
      const key = `${r.generation}:${r.kind}`;
      live.set(key, (live.get(key) ?? 0) + 1);
    }
    for (const [key, count] of live) expect({ key, count }).toEqual({ key, count: 1 });

    const startMs = data.details ? Date.parse(data.details.start) : Number.POSITIVE_INFINITY;
    for (const r of data.reminders.filter((x) => x.status === 'PENDING')) {
      expect(r.sendAt).not.toBeNull();
      expect(Date.parse(r.sendAt ?? '')).toBeLessThan(startMs);
      expect(r.generation).toBe(data.generation);
    }

    const keys = data.messages.map((m) => m.key);
    expect(new Set(keys).size).toBe(keys.length);

    // Every QUEUED reminder has exactly one text waiting to be sent.
    for (const r of data.reminders.filter((x) => x.status === 'QUEUED')) {
      const texts = data.messages.filter(
        (m) => m.reminder === r.kind && m.reminderGeneration === r.generation,
      );
      expect(texts.map((m) => m.status)).toEqual(['PENDING']);
    }

    if (data.optedOut) {
      expect(state.pendingMessages()).toEqual([]);
      expect(data.reminders.filter((r) => r.status === 'PENDING')).toEqual([]);
    }
    if (data.status === 'CANCELED' || data.status === 'NOSHOWED') {
      expect(data.reminders.filter((r) => r.status === 'PENDING')).toEqual([]);
    }
    expect(data.seenEventIds.length).toBeLessThanOrEqual(500);
    expect(new Set(data.seenEventIds).size).toBe(data.seenEventIds.length);
  }

  it('random event sequences keep the state machine invariants', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const state = fresh();
        let nowMs = NOW;
        let version = state.data.version;
        for (const s of steps) {
          nowMs += s.advanceHours * HOUR_MS;

          state.queueDueReminders(nowMs);
          const [pending] = state.pendingMessages();
          if (pending && s.delivery === 'sent')
            state.recordSent(pending.key, { sid: 'SM', status: 'sent' }, nowMs);
          if (pending && s.delivery === 'failed')
            state.recordFailed(pending.key, { type: 'SmsSendFailed', message: 'x' });
          checkInvariants(state);
          expect(state.data.version).toBeGreaterThanOrEqual(version);
          version = state.data.version;

          const event = stepEnvelope(s, nowMs);
          const seenBefore = state.hasSeen(s.eventId);
          const outcome = state.applyEvent(event, nowMs);
          expect(outcome === 'duplicate').toBe(seenBefore);
          checkInvariants(state);
          expect(state.data.version).toBeGreaterThanOrEqual(version);
          if (outcome !== 'duplicate') expect(state.data.version).toBeGreaterThan(version);
          version = state.data.version;

          // Applying the same event again changes nothing at all.
          const before = snapshot(state);
          expect(state.applyEvent(structuredClone(event), nowMs + MINUTE_MS)).toBe('duplicate');
          expect(state.data).toEqual(before);
        }

        // Whatever happened, completing leaves nothing to send on a timer.
        state.complete();
        expect(state.nextReminderAtMs()).toBeUndefined();
        checkInvariants(state);
        expect(state.data.version).toBeGreaterThan(version);
      }),
      { numRuns: 300 },
    );
  });

  it('the state survives a JSON round trip (continue-as-new) and behaves the same afterwards', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), step, (steps, last) => {
        const state = fresh();
        let nowMs = NOW;
        for (const s of steps) {
          nowMs += s.advanceHours * HOUR_MS;
          state.queueDueReminders(nowMs);
          state.applyEvent(stepEnvelope(s, nowMs), nowMs);
        }
        const carried = new AppointmentState(JSON.parse(JSON.stringify(state.data)) as AppointmentStateData);
        expect(carried.data).toEqual(state.data);
        nowMs += last.advanceHours * HOUR_MS;
        const event = stepEnvelope(last, nowMs);
        expect(carried.applyEvent(structuredClone(event), nowMs)).toBe(state.applyEvent(event, nowMs));
        expect(carried.queueDueReminders(nowMs)).toBe(state.queueDueReminders(nowMs));
        expect(carried.data).toEqual(state.data);
      }),
      { numRuns: 100 },
    );
  });
});
