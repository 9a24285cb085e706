/**
 * What an applied EHR event changes (ehrEvents.ts): booking, reschedule, modify, confirmation,
 * what FHIR resends, and a patient who has arrived.
 */
import type { EventEnvelope } from '../../../../src/shared/appointment';
import { formatInstantInZone } from '../../../../src/domain/time/zone';
import { FIRST_RULES } from '../../../../src/shared/rulesVersion';
import {
  HOUR_MS,
  DAY_MS,
  ZONE,
  POLICY,
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
  remindersOf,
  activeReminders,
  sendAll,
  bookedAndSent,
  canceledAndSent,
  type EventOptions,
} from './fixtures';

describe('AppointmentState: booking', () => {
  it('booking 3 days ahead queues a BOOKED text and plans reminders at 48 h and 24 h', () => {
    const state = booked();
    expect(state.data.status).toBe('BOOKED');
    expect(state.data.generation).toBe(1);
    expect(state.data.version).toBe(1);
    expect(state.data.lastEventAt).toBe(state.data.details?.eventAt);
    expect(state.data.policy).toEqual(POLICY);
    expect(state.pendingMessages()).toEqual([
      { key: 'A1:book-1:BOOKED', kind: 'BOOKED', status: 'PENDING', createdAt: iso(NOW) },
    ]);
    expect(state.data.reminders).toEqual([
      { kind: 'FIRST', dueAt: FIRST_SEND, sendAt: FIRST_SEND, status: 'PENDING', generation: 1 },
      { kind: 'SECOND', dueAt: SECOND_SEND, sendAt: SECOND_SEND, status: 'PENDING', generation: 1 },
    ]);
    expect(state.nextReminderAtMs()).toBe(Date.parse(FIRST_SEND));
  });

  it('late booking (appointment in 30 h) skips the 48 h reminder as DUE_BEFORE_BOOKING', () => {
    const state = fresh();
    const start = iso(NOW + 30 * HOUR_MS);
    state.applyEvent(envelope('BOOKED', { start }), NOW);
    expect(state.data.reminders).toEqual([
      {
        kind: 'FIRST',
        dueAt: iso(NOW - 18 * HOUR_MS),
        sendAt: null,
        status: 'SKIPPED',
        skipReason: 'DUE_BEFORE_BOOKING',
        generation: 1,
      },
      {
        kind: 'SECOND',
        dueAt: iso(NOW + 6 * HOUR_MS),
        sendAt: iso(NOW + 6 * HOUR_MS),
        status: 'PENDING',
        generation: 1,
      },
    ]);
    expect(pendingKinds(state)).toEqual(['BOOKED']);
  });

  it('plans with the policy carried by the event', () => {
    const state = fresh();
    state.applyEvent(envelope('BOOKED', { policy: { secondOffsetMinutes: 0 } }), NOW);
    expect(state.data.reminders.map((r) => r.kind)).toEqual(['FIRST']);
  });

  it('a re-sent BOOKED for the same time under a new id changes no plan and sends nothing', () => {
    const state = bookedAndSent();
    const before = snapshot(state);
    expect(state.applyEvent(envelope('BOOKED'), NOW + HOUR_MS)).toBe('applied');
    expect(state.data.reminders).toEqual(before.reminders);
    expect(state.data.generation).toBe(1);
    expect(state.pendingMessages()).toEqual([]);
  });

  it('a re-sent BOOKED with a new time is handled as a reschedule', () => {
    const state = booked();
    state.applyEvent(envelope('CONFIRMED'), NOW);
    sendAll(state, NOW);
    state.applyEvent(envelope('BOOKED', { eventId: 'book-2', start: iso(START_MS + DAY_MS) }), NOW + HOUR_MS);
    expect(state.data.status).toBe('BOOKED');
    expect(state.data.generation).toBe(2);
    expect(state.pendingMessages().map((m) => m.key)).toEqual(['A1:book-2:RESCHEDULED']);
  });

  it('a BOOKED after a cancellation books the appointment again', () => {
    const state = booked();
    state.applyEvent(envelope('CANCELED'), NOW);
    sendAll(state, NOW);
    state.applyEvent(envelope('BOOKED'), NOW + HOUR_MS);
    expect(state.data.status).toBe('BOOKED');
    expect(pendingKinds(state)).toEqual(['BOOKED']);
    expect(activeReminders(state)).toHaveLength(2);
  });
});

describe('AppointmentState: reschedule and modify', () => {
  it('reschedule re-plans from scratch: new generation, old pending reminders gone, RESCHEDULED queued', () => {
    const state = bookedAndSent();
    const newStart = START_MS + 2 * DAY_MS;
    state.applyEvent(envelope('RESCHEDULED', { eventId: 'resch', start: iso(newStart) }), NOW + HOUR_MS);
    expect(state.data.generation).toBe(2);
    expect(state.data.reminders).toEqual([
      {
        kind: 'FIRST',
        dueAt: iso(newStart - 2 * DAY_MS),
        sendAt: iso(newStart - 2 * DAY_MS),
        status: 'PENDING',
        generation: 2,
      },
      {
        kind: 'SECOND',
        dueAt: iso(newStart - DAY_MS),
        sendAt: iso(newStart - DAY_MS),
        status: 'PENDING',
        generation: 2,
      },
    ]);
    expect(state.pendingMessages().map((m) => m.key)).toEqual(['A1:resch:RESCHEDULED']);
    // The view shows the start with the appointment zone's offset (MST in December).
    expect(state.view().start).toBe(formatInstantInZone(iso(newStart), ZONE));
    expect(state.view().start).toBe('2026-12-06T10:00:00.000-07:00');
  });

  it('reschedule resets the two-reminder allowance but keeps reminders already sent', () => {
    const state = bookedAndSent();
    state.queueDueReminders(Date.parse(FIRST_SEND));
    sendAll(state, Date.parse(FIRST_SEND));
    const newStart = Date.parse(FIRST_SEND) + 3 * DAY_MS;
    state.applyEvent(envelope('RESCHEDULED', { start: iso(newStart) }), Date.parse(FIRST_SEND) + HOUR_MS);
    expect(state.data.reminders.map((r) => [r.generation, r.kind, r.status])).toEqual([
      [1, 'FIRST', 'SENT'],
      [2, 'FIRST', 'PENDING'],
      [2, 'SECOND', 'PENDING'],
    ]);
  });

  it('reschedule of a confirmed appointment needs a new confirmation', () => {
    const state = booked();
    state.applyEvent(envelope('CONFIRMED'), NOW);
    state.applyEvent(envelope('RESCHEDULED', { start: iso(START_MS + DAY_MS) }), NOW);
    expect(state.data.status).toBe('BOOKED');
  });

  it('reschedule after the second reminder was due plans only what is still ahead', () => {
    const state = booked();
    const at = START_MS - 20 * HOUR_MS;
    state.applyEvent(envelope('RESCHEDULED', { start: iso(at + 30 * HOUR_MS) }), at);
    expect(remindersOf(state).map((r) => [r.kind, r.status, r.skipReason])).toEqual([
      ['FIRST', 'SKIPPED', 'DUE_BEFORE_BOOKING'],
      ['SECOND', 'PENDING', undefined],
    ]);
  });

  it('modify without a time change keeps the plan and queues MODIFIED', () => {
    const state = booked();
    state.applyEvent(envelope('CONFIRMED'), NOW);
    sendAll(state, NOW);
    const before = snapshot(state);
    expect(state.applyEvent(envelope('MODIFIED', { eventId: 'mod', phone: '+13035550124' }), NOW)).toBe(
      'applied',
    );
    expect(state.data.reminders).toEqual(before.reminders);
    expect(state.data.generation).toBe(before.generation);
    expect(state.data.status).toBe('CONFIRMED');
    expect(state.pendingMessages().map((m) => m.key)).toEqual(['A1:mod:MODIFIED']);
    // The new details are what later texts use.
    expect(state.data.details?.patient.phone).toBe('+13035550124');
  });

  it('modify that moves the time re-plans and asks for a new confirmation', () => {
    const state = booked();
    state.applyEvent(envelope('CONFIRMED'), NOW);
    state.applyEvent(envelope('MODIFIED', { start: iso(START_MS + DAY_MS) }), NOW);
    expect(state.data.generation).toBe(2);
    expect(state.data.status).toBe('BOOKED');
    expect(activeReminders(state).map((r) => r.generation)).toEqual([2, 2]);
    expect(pendingKinds(state)).toEqual(['BOOKED', 'CONFIRMED', 'MODIFIED']);
  });

  it('modify as the first event books the appointment and plans', () => {
    const state = fresh();
    state.applyEvent(envelope('MODIFIED'), NOW);
    expect(state.data.status).toBe('BOOKED');
    expect(activeReminders(state)).toHaveLength(2);
    // Rules 2: the patient has been told nothing yet, so the text is the booking text.
    expect(pendingKinds(state)).toEqual(['BOOKED']);
  });
});

describe('AppointmentState: confirmation', () => {
  it('CONFIRMED sets status CONFIRMED and queues CONFIRMED once', () => {
    const state = bookedAndSent();
    const reminders = structuredClone(state.data.reminders);
    expect(state.applyEvent(envelope('CONFIRMED', { eventId: 'c1' }), NOW)).toBe('applied');
    expect(state.data.status).toBe('CONFIRMED');
    expect(state.pendingMessages().map((m) => m.key)).toEqual(['A1:c1:CONFIRMED']);
    sendAll(state, NOW);

    expect(state.applyEvent(envelope('CONFIRMED', { eventId: 'c2' }), NOW)).toBe('applied');
    expect(state.data.status).toBe('CONFIRMED');
    expect(state.pendingMessages()).toEqual([]);
    expect(state.data.messages.filter((m) => m.kind === 'CONFIRMED')).toHaveLength(1);
    expect(state.data.reminders).toEqual(reminders);
  });

  it('CONFIRMED as the first event plans reminders', () => {
    const state = fresh();
    state.applyEvent(envelope('CONFIRMED'), NOW);
    expect(state.data.status).toBe('CONFIRMED');
    expect(activeReminders(state)).toHaveLength(2);
    expect(pendingKinds(state)).toEqual(['CONFIRMED']);
  });

  it('CONFIRMED carrying a new time re-plans, so no reminder is left timed for the old start', () => {
    const state = booked();
    const earlier = START_MS - DAY_MS;
    state.applyEvent(envelope('CONFIRMED', { start: iso(earlier) }), NOW);
    expect(state.data.status).toBe('CONFIRMED');
    expect(state.data.generation).toBe(2);
    for (const reminder of activeReminders(state))
      expect(Date.parse(reminder.sendAt ?? '')).toBeLessThan(earlier);
  });
});

describe('AppointmentState: what the EHR resends', () => {
  it('a booking resent with a new location is told as a modification', () => {
    const state = bookedAndSent();
    const moved = envelope('BOOKED');
    moved.event.location = 'North Campus';
    state.applyEvent(moved, NOW);
    expect(pendingKinds(state)).toEqual(['MODIFIED']);
  });

  it('a no-show as the very first event texts nobody (it is recorded)', () => {
    const state = fresh();
    state.applyEvent(envelope('NOSHOWED'), NOW);
    expect(state.data.status).toBe('NOSHOWED');
    expect(state.data.messages).toEqual([]);
    expect(activeReminders(state)).toEqual([]);
  });

  it('a modification as the very first event sends the booking text, not "updated"', () => {
    const state = fresh();
    state.applyEvent(envelope('MODIFIED'), NOW);
    expect(state.data.status).toBe('BOOKED');
    expect(pendingKinds(state)).toEqual(['BOOKED']);
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
    // On the first rules (frozen runs) it said "updated" and texted a no-show.
    const v1 = fresh(FIRST_RULES);
    v1.applyEvent(envelope('MODIFIED'), NOW);
    expect(pendingKinds(v1)).toEqual(['MODIFIED']);
    const v1NoShow = fresh(FIRST_RULES);
    v1NoShow.applyEvent(envelope('NOSHOWED'), NOW);
    expect(pendingKinds(v1NoShow)).toEqual(['NOSHOWED']);
  });

  it('a cancellation as the very first event texts nobody', () => {
    const state = fresh();
    state.applyEvent(envelope('CANCELED'), NOW);
    expect(state.data.status).toBe('CANCELED');
    expect(state.data.messages).toEqual([]);
  });
});

describe('AppointmentState: the patient arrived, checked in or was seen (FHIR, rules 2)', () => {
  const attended = (options: EventOptions = {}): EventEnvelope => {
    const e = envelope('BOOKED', options);
    e.event.attended = true;
    return e;
  };

  it('as the first event: recorded, no booking prompt, no reminders', () => {
    const state = fresh();
    state.applyEvent(attended(), NOW);
    expect(state.data.messages).toEqual([]);
    expect(activeReminders(state)).toEqual([]);
  });

  it('after a booking: reminders stop, no text', () => {
    const state = bookedAndSent();
    state.applyEvent(attended(), NOW + HOUR_MS);
    expect(activeReminders(state)).toEqual([]);
    expect(state.pendingMessages()).toEqual([]);
  });

  it('never reopens a cancelled appointment', () => {
    const state = canceledAndSent();
    state.applyEvent(attended({ start: iso(START_MS + HOUR_MS) }), NOW + HOUR_MS);
    expect(state.data.status).toBe('CANCELED');
    expect(state.pendingMessages()).toEqual([]);
    expect(activeReminders(state)).toEqual([]);
  });
});
