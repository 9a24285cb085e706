import fc from 'fast-check';
import { AppointmentState, initialStateData } from '../../src/domain/appointment/appointmentState';
import type {
  AppointmentEvent,
  AppointmentPolicy,
  AppointmentStateData,
  EhrEventType,
  EventEnvelope,
  MessageRecord,
  ReminderRecord,
} from '../../src/shared/appointment';
import { EHR_EVENT_TYPES } from '../../src/shared/appointment';
import { formatInstantInZone } from '../../src/domain/time/zone';
import { appliedView } from '../../src/ingest/appointmentGateway';
import { FIRST_RULES, type RulesVersion } from '../../src/shared/rulesVersion';
import { DEFAULT_POLICY } from '../helpers/policy';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const APPOINTMENT_ID = 'A1';
const ZONE = 'America/Denver';

const POLICY = DEFAULT_POLICY;

const NOW = Date.parse('2026-12-01T17:00:00.000Z');
/** Exactly three days after NOW. */
const START = '2026-12-04T17:00:00.000Z';
const START_MS = Date.parse(START);
const FIRST_SEND = '2026-12-02T17:00:00.000Z';
const SECOND_SEND = '2026-12-03T17:00:00.000Z';

const iso = (ms: number): string => new Date(ms).toISOString();

let sequence = 0;

interface EventOptions {
  eventId?: string;
  eventAt?: string;
  start?: string;
  policy?: Partial<AppointmentPolicy>;
  phone?: string;
}

/** An envelope for A1; ids and event times increase with each call unless given. */
function envelope(eventType: EhrEventType, options: EventOptions = {}): EventEnvelope {
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

function fresh(): AppointmentState {
  return new AppointmentState(initialStateData(APPOINTMENT_ID));
}

/** A state with a BOOKED event for START applied at NOW. */
function booked(eventId = 'book-1'): AppointmentState {
  const state = fresh();
  expect(state.applyEvent(envelope('BOOKED', { eventId }), NOW)).toBe('applied');
  return state;
}

const snapshot = (state: AppointmentState): AppointmentStateData => structuredClone(state.data);

const pendingKinds = (state: AppointmentState): string[] => state.pendingMessages().map((m) => m.kind);

const remindersOf = (state: AppointmentState, generation = state.data.generation): ReminderRecord[] =>
  state.data.reminders.filter((r) => r.generation === generation);

const activeReminders = (state: AppointmentState): ReminderRecord[] =>
  state.data.reminders.filter((r) => r.status === 'PENDING');

/** Hands every pending text to a fake Twilio that accepts it. */
function sendAll(state: AppointmentState, nowMs: number): MessageRecord[] {
  const sent = state.pendingMessages();
  sent.forEach((message, i) => state.recordSent(message.key, { sid: `SM${i}`, status: 'queued' }, nowMs));
  return sent;
}

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
    const state = booked();
    sendAll(state, NOW);
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

describe('AppointmentState: reschedule and modify', () => {
  it('reschedule re-plans from scratch: new generation, old pending reminders gone, RESCHEDULED queued', () => {
    const state = booked();
    sendAll(state, NOW);
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
    const state = booked();
    sendAll(state, NOW);
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
    const state = booked();
    sendAll(state, NOW);
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
    const state = booked();
    sendAll(state, NOW);
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

describe('AppointmentState: due reminders and delivery results', () => {
  it('queues nothing before sendAt and queues the reminder exactly at sendAt', () => {
    const state = booked();
    sendAll(state, NOW);
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
    const state = booked();
    sendAll(state, NOW);
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

describe('AppointmentState: view', () => {
  it('shows what GET /v1/appointments/:id answers', () => {
    const state = booked();
    state.applyEvent(envelope('OPTED-OUT', { eventId: 'out' }), NOW);
    expect(state.view()).toEqual({
      callbacks: [],
      appointmentId: 'A1',
      status: 'BOOKED',
      start: '2026-12-04T10:00:00.000-07:00',
      timeZone: ZONE,
      localStart: START.slice(0, 19),
      optedOut: true,
      reminders: [
        { kind: 'FIRST', dueAt: FIRST_SEND, sendAt: FIRST_SEND, status: 'CANCELED', note: 'OPTED_OUT' },
        { kind: 'SECOND', dueAt: SECOND_SEND, sendAt: SECOND_SEND, status: 'CANCELED', note: 'OPTED_OUT' },
      ],
      messages: [{ kind: 'BOOKED', sid: null, status: 'SKIPPED', sentAt: null, error: 'OPTED_OUT' }],
      ignoredEvents: [],
      lastEventAt: state.data.lastEventAt,
      version: 2,
    });
  });

  it('shows a skipped reminder with its reason as the note', () => {
    const state = fresh();
    state.applyEvent(envelope('BOOKED', { start: iso(NOW + 30 * HOUR_MS) }), NOW);
    expect(state.view().reminders[0]).toMatchObject({ status: 'SKIPPED', note: 'DUE_BEFORE_BOOKING' });
  });

  it('is empty before any event', () => {
    expect(fresh().view()).toMatchObject({
      appointmentId: 'A1',
      start: '',
      timeZone: '',
      reminders: [],
      messages: [],
    });
  });

  it('is not shown by the API until its first event is applied (404 right after a 202, never a BOOKED without a start)', () => {
    expect(appliedView(fresh().view())).toBeUndefined();
    const state = booked();
    expect(appliedView(state.view())).toEqual(state.view());
  });

  it('returns copies, so callers cannot change the state', () => {
    const state = booked();
    state.view().ignoredEvents.push({ eventId: 'x', eventType: 'BOOKED', eventAt: '', reason: 'STALE' });
    expect(state.data.ignoredEvents).toEqual([]);
  });
});

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

describe('AppointmentState: a closed appointment', () => {
  it.each(['MODIFIED', 'CONFIRMED'] as const)(
    '%s after a cancellation texts nobody and stays CANCELED',
    (type) => {
      const state = booked();
      sendAll(state, NOW);
      state.applyEvent(envelope('CANCELED'), NOW);
      sendAll(state, NOW);
      expect(state.applyEvent(envelope(type), NOW)).toBe('applied');
      expect(state.data.status).toBe('CANCELED');
      expect(state.pendingMessages()).toEqual([]);
      expect(activeReminders(state)).toEqual([]);
    },
  );

  it('a new booking after a cancellation reopens it with a fresh plan', () => {
    const state = booked();
    sendAll(state, NOW);
    state.applyEvent(envelope('CANCELED'), NOW);
    sendAll(state, NOW);
    state.applyEvent(envelope('BOOKED'), NOW);
    expect(state.data.status).toBe('BOOKED');
    expect(pendingKinds(state)).toEqual(['BOOKED']);
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
  });
});

describe('AppointmentState: patient replies', () => {
  const reply = (kind: 'CONFIRM' | 'CANCEL_REQUEST' | 'OPT_OUT' | 'OPT_IN', messageSid = `SM-${kind}`) => ({
    kind,
    messageSid,
    replyText: kind === 'CONFIRM' ? 'yes' : '2',
    receivedAt: iso(NOW),
  });

  it('a confirm sets CONFIRMED, acknowledges once and queues one CONFIRM callback with a fixed body', () => {
    const state = booked();
    sendAll(state, NOW);
    expect(state.applyPatientReply(reply('CONFIRM'), NOW)).toBe(true);
    expect(state.applyPatientReply(reply('CONFIRM'), NOW)).toBe(false);
    expect(state.data.status).toBe('CONFIRMED');
    expect(pendingKinds(state)).toEqual(['REPLY_CONFIRMED']);
    expect(state.pendingCallbacks()).toEqual([
      expect.objectContaining({
        key: 'A1:SM-CONFIRM:CONFIRM',
        type: 'CONFIRM',
        patientId: 'P1',
        replyText: 'yes',
      }),
    ]);
    // The EHR's own confirmation afterwards texts nobody again.
    sendAll(state, NOW);
    state.applyEvent(envelope('CONFIRMED'), NOW);
    expect(state.pendingMessages()).toEqual([]);
  });

  it('a cancel request stops reminders, acknowledges and queues a CANCEL callback', () => {
    const state = booked();
    sendAll(state, NOW);
    state.applyPatientReply(reply('CANCEL_REQUEST'), NOW);
    expect(state.data.status).toBe('CANCEL_REQUESTED');
    expect(activeReminders(state)).toEqual([]);
    expect(pendingKinds(state)).toEqual(['REPLY_CANCEL_REQUESTED']);
    expect(state.pendingCallbacks().map((c) => c.type)).toEqual(['CANCEL']);
  });

  it('the workflow cannot finish while a callback is still on its way to the EHR', () => {
    const state = booked();
    sendAll(state, NOW);
    state.applyPatientReply(reply('CONFIRM'), NOW);
    sendAll(state, NOW);
    const late = START_MS + 100 * HOUR_MS;
    expect(state.isFinished(late)).toBe(false);
    state.recordCallbackDelivered('A1:SM-CONFIRM:CONFIRM', NOW);
    expect(state.isFinished(late)).toBe(true);
  });

  it('an opt-out by text stops reminders and later texts; opt-in re-plans', () => {
    const state = booked();
    sendAll(state, NOW);
    state.applyPatientReply(reply('OPT_OUT'), NOW);
    expect(state.data.optedOut).toBe(true);
    expect(activeReminders(state)).toEqual([]);
    state.applyPatientReply(reply('OPT_IN'), NOW);
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
  });

  it('delivery reports only move a text forward', () => {
    const state = booked();
    sendAll(state, NOW);
    const sid = state.data.messages[0]?.sid ?? '';
    expect(state.recordDelivery({ messageSid: sid, status: 'delivered' })).toBe(true);
    expect(state.recordDelivery({ messageSid: sid, status: 'sent' })).toBe(false);
    expect(state.data.messages[0]?.status).toBe('DELIVERED');
    // A report for a text not recorded (yet) changes no message; since rules 2 it is kept for later.
    expect(state.recordDelivery({ messageSid: 'SMunknown', status: 'delivered' })).toBe(true);
    expect(state.data.messages.map((m) => m.status)).toEqual(['DELIVERED']);
  });

  it('an undelivered report records the carrier error', () => {
    const state = booked();
    sendAll(state, NOW);
    const sid = state.data.messages[0]?.sid ?? '';
    state.recordDelivery({ messageSid: sid, status: 'undelivered', errorCode: 30003 });
    expect(state.view().messages[0]).toMatchObject({
      status: 'UNDELIVERED',
      error: 'SmsDeliveryFailure:30003',
    });
  });
});

describe('AppointmentState: a cancel request the clinic or the patient takes back (rules 2)', () => {
  const reply = (kind: 'CONFIRM' | 'CANCEL_REQUEST' | 'OPT_OUT' | 'OPT_IN', messageSid = `SM-${kind}`) => ({
    kind,
    messageSid,
    replyText: kind === 'CONFIRM' ? 'yes' : '2',
    receivedAt: iso(NOW),
  });

  /** Booked, texted, then the patient replied "2". */
  function cancelRequested(rules?: RulesVersion): AppointmentState {
    const state = new AppointmentState(initialStateData(APPOINTMENT_ID), rules);
    state.applyEvent(envelope('BOOKED', { eventId: 'book-1' }), NOW);
    sendAll(state, NOW);
    state.applyPatientReply(reply('CANCEL_REQUEST'), NOW);
    sendAll(state, NOW);
    expect(state.data.status).toBe('CANCEL_REQUESTED');
    expect(activeReminders(state)).toEqual([]);
    return state;
  }

  it('an EHR CONFIRMED after "2" restores CONFIRMED with its remaining reminders', () => {
    const state = cancelRequested();
    state.applyEvent(envelope('CONFIRMED'), NOW + HOUR_MS);
    expect(state.data.status).toBe('CONFIRMED');
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
    expect(pendingKinds(state)).toEqual(['CONFIRMED']);
  });

  it('a BOOKED with the same start after "2" restores BOOKED with its remaining reminders, without a text', () => {
    const state = cancelRequested();
    // The first reminder's time has passed by then: only the second is planned again.
    const later = Date.parse(FIRST_SEND) + HOUR_MS;
    state.applyEvent(envelope('BOOKED'), later);
    expect(state.data.status).toBe('BOOKED');
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([SECOND_SEND]);
    expect(pendingKinds(state)).toEqual([]);
  });

  it('a RESCHEDULED with the same start after "2" restores BOOKED with its reminders', () => {
    const state = cancelRequested();
    state.applyEvent(envelope('RESCHEDULED'), NOW + HOUR_MS);
    expect(state.data.status).toBe('BOOKED');
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
  });

  it('"YES" after "2" confirms: reminders resume, the EHR gets CONFIRM after CANCEL, the patient an acknowledgement', () => {
    const state = cancelRequested();
    expect(state.applyPatientReply(reply('CONFIRM'), NOW + HOUR_MS)).toBe(true);
    expect(state.data.status).toBe('CONFIRMED');
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
    expect(state.pendingCallbacks().map((c) => c.type)).toEqual(['CANCEL', 'CONFIRM']);
    expect(pendingKinds(state)).toEqual(['REPLY_CONFIRMED']);
  });

  it('START after "2" plans no reminders (reply or EHR OPTED-IN)', () => {
    const byReply = cancelRequested();
    byReply.applyPatientReply(reply('OPT_OUT'), NOW);
    byReply.applyPatientReply(reply('OPT_IN'), NOW);
    expect(byReply.data.optedOut).toBe(false);
    expect(activeReminders(byReply)).toEqual([]);

    const byEvent = cancelRequested();
    byEvent.applyEvent(envelope('OPTED-OUT'), NOW);
    byEvent.applyEvent(envelope('OPTED-IN'), NOW);
    expect(byEvent.data.optedOut).toBe(false);
    expect(byEvent.data.status).toBe('CANCEL_REQUESTED');
    expect(activeReminders(byEvent)).toEqual([]);
  });

  it.each(['CANCELED', 'NOSHOWED'] as const)('START after %s plans no reminders', (closing) => {
    const state = booked();
    sendAll(state, NOW);
    state.applyEvent(envelope(closing), NOW);
    state.applyPatientReply(reply('OPT_OUT'), NOW);
    state.applyPatientReply(reply('OPT_IN'), NOW);
    state.applyEvent(envelope('OPTED-OUT'), NOW);
    state.applyEvent(envelope('OPTED-IN'), NOW);
    expect(activeReminders(state)).toEqual([]);
    expect(state.data.status).toBe(closing);
  });

  it('runs on the first rules keep the old behaviour (their histories replay)', () => {
    const state = cancelRequested(FIRST_RULES);
    state.applyPatientReply(reply('CONFIRM'), NOW);
    expect(state.data.status).toBe('CANCEL_REQUESTED');
    state.applyEvent(envelope('BOOKED'), NOW);
    expect(state.data.status).toBe('CANCEL_REQUESTED');
    expect(activeReminders(state)).toEqual([]);
  });
});

describe('AppointmentState: delivery reports are never lost (rules 2)', () => {
  it('a report that arrives before the send is recorded is kept and applied when it is', () => {
    const state = booked();
    const [text] = state.pendingMessages();
    expect(state.recordDelivery({ messageSid: 'SMearly', status: 'delivered' })).toBe(true);
    expect(state.data.messages[0]?.status).toBe('PENDING');
    state.recordSent(text?.key ?? '', { sid: 'SMearly', status: 'queued' }, NOW);
    expect(state.data.messages[0]?.status).toBe('DELIVERED');
    expect(state.data.earlyDeliveries).toEqual([]);
  });

  it('an early report keeps its most advanced status, and the kept ones are bounded', () => {
    const state = booked();
    state.recordDelivery({ messageSid: 'SMx', status: 'delivered' });
    expect(state.recordDelivery({ messageSid: 'SMx', status: 'sent' })).toBe(false);
    for (let i = 0; i < 30; i++) state.recordDelivery({ messageSid: `SM${i}`, status: 'sent' });
    expect(state.data.earlyDeliveries).toHaveLength(20);
  });

  it('DELIVERED is final against a late UNDELIVERED or FAILED of the same text', () => {
    for (const late of ['undelivered', 'failed']) {
      const state = booked();
      sendAll(state, NOW);
      const sid = state.data.messages[0]?.sid ?? '';
      state.recordDelivery({ messageSid: sid, status: 'delivered' });
      expect(state.recordDelivery({ messageSid: sid, status: late, errorCode: 30003 })).toBe(false);
      expect(state.view().messages[0]).toEqual(expect.objectContaining({ status: 'DELIVERED' }));
      expect(state.view().messages[0]?.error).toBeUndefined();
    }
  });

  it('UNDELIVERED then DELIVERED ends DELIVERED, without the earlier error', () => {
    const state = booked();
    sendAll(state, NOW);
    const sid = state.data.messages[0]?.sid ?? '';
    state.recordDelivery({ messageSid: sid, status: 'undelivered', errorCode: 30003 });
    expect(state.recordDelivery({ messageSid: sid, status: 'delivered' })).toBe(true);
    expect(state.view().messages[0]?.status).toBe('DELIVERED');
    expect(state.view().messages[0]?.error).toBeUndefined();
  });

  it('runs on the first rules drop an early report (their histories replay)', () => {
    const state = new AppointmentState(initialStateData(APPOINTMENT_ID), FIRST_RULES);
    state.applyEvent(envelope('BOOKED'), NOW);
    expect(state.recordDelivery({ messageSid: 'SMearly', status: 'delivered' })).toBe(false);
    expect(state.data.earlyDeliveries).toBeUndefined();
  });
});

describe('AppointmentState: a new phone number moves the appointment (rules 2)', () => {
  it("the new number is not prompted until a prompt reaches it, and the old number's STOP does not bind it", () => {
    const state = booked();
    sendAll(state, NOW);
    expect(state.prompted()).toBe(true);
    state.applyPatientReply(
      { kind: 'OPT_OUT', messageSid: 'SMstop', replyText: 'STOP', receivedAt: iso(NOW) },
      NOW,
    );
    expect(activeReminders(state)).toEqual([]);
    state.applyEvent(envelope('MODIFIED', { phone: '+13035550999' }), NOW + HOUR_MS);
    expect(state.prompted()).toBe(false);
    expect(state.data.optedOut).toBe(false);
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
    // The "updated" text reaches the new number; only a booking text or reminder makes it prompted.
    sendAll(state, NOW + HOUR_MS);
    expect(state.data.messages.at(-1)).toMatchObject({ kind: 'MODIFIED', to: '+13035550999' });
    expect(state.prompted()).toBe(false);
  });

  it('on the first rules a prompt to any number counted and an opt-out stayed', () => {
    const state = new AppointmentState(initialStateData(APPOINTMENT_ID), FIRST_RULES);
    state.applyEvent(envelope('BOOKED'), NOW);
    sendAll(state, NOW);
    state.applyPatientReply(
      { kind: 'OPT_OUT', messageSid: 'SMstop', replyText: 'STOP', receivedAt: iso(NOW) },
      NOW,
    );
    state.applyEvent(envelope('MODIFIED', { phone: '+13035550999' }), NOW + HOUR_MS);
    expect(state.prompted()).toBe(true);
    expect(state.data.optedOut).toBe(true);
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
    const state = booked();
    sendAll(state, NOW);
    state.applyEvent(attended(), NOW + HOUR_MS);
    expect(activeReminders(state)).toEqual([]);
    expect(state.pendingMessages()).toEqual([]);
  });

  it('never reopens a cancelled appointment', () => {
    const state = booked();
    sendAll(state, NOW);
    state.applyEvent(envelope('CANCELED'), NOW);
    sendAll(state, NOW);
    state.applyEvent(attended({ start: iso(START_MS + HOUR_MS) }), NOW + HOUR_MS);
    expect(state.data.status).toBe('CANCELED');
    expect(state.pendingMessages()).toEqual([]);
    expect(activeReminders(state)).toEqual([]);
  });
});

describe('AppointmentState: what the EHR resends', () => {
  it('a booking resent with a new location is told as a modification', () => {
    const state = booked();
    sendAll(state, NOW);
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
    const v1 = new AppointmentState(initialStateData(APPOINTMENT_ID), FIRST_RULES);
    v1.applyEvent(envelope('MODIFIED'), NOW);
    expect(pendingKinds(v1)).toEqual(['MODIFIED']);
    const v1NoShow = new AppointmentState(initialStateData(APPOINTMENT_ID), FIRST_RULES);
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
    const state = booked();
    sendAll(state, NOW);
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
