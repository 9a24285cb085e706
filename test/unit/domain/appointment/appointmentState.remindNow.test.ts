/** AppointmentState.remindNow: the operator's "send the next reminder now" (issue 13.4), pure. */
import type { AppointmentState } from '../../../../src/domain/appointment/appointmentState';
import type { AppointmentEvent, EhrEventType, EventEnvelope } from '../../../../src/shared/appointment';
import { MINUTE_MS, HOUR_MS, POLICY, NOW, START, iso, fresh } from './fixtures';

let sequence = 0;
function envelope(eventType: EhrEventType, patch: Partial<AppointmentEvent> = {}): EventEnvelope {
  sequence += 1;
  const eventAt = iso(NOW - HOUR_MS + sequence * MINUTE_MS);
  return {
    event: {
      eventId: `evt-${sequence}`,
      eventType,
      eventAt,
      receivedAt: eventAt,
      appointmentId: 'A1',
      start: START,
      localStart: START.slice(0, 19),
      timeZone: 'America/Denver',
      patient: { id: 'P1', firstName: 'Ana', phone: '+13035550123', language: 'en' },
      ...patch,
    },
    policy: POLICY,
  };
}

function booked(patch: Partial<AppointmentEvent> = {}): AppointmentState {
  const state = fresh();
  expect(state.applyEvent(envelope('BOOKED', patch), NOW)).toBe('applied');
  return state;
}

describe('AppointmentState.remindNow', () => {
  test('the earliest pending reminder becomes due now; queueDueReminders then queues it', () => {
    const state = booked();
    const versionBefore = state.data.version;
    const at = NOW + 5 * MINUTE_MS;
    expect(state.remindNow(at)).toEqual({ reminder: 'FIRST', sendAt: iso(at) });
    expect(state.data.version).toBe(versionBefore + 1);
    expect(state.nextReminderAtMs()).toBe(at);
    expect(state.queueDueReminders(at)).toBe(1);
    expect(state.pendingMessages().map((m) => [m.kind, m.reminder])).toContainEqual(['REMINDER', 'FIRST']);
    // The second keeps its own time.
    expect(state.data.reminders.find((r) => r.kind === 'SECOND')).toMatchObject({
      status: 'PENDING',
      sendAt: '2026-12-03T17:00:00.000Z',
    });
    expect(state.remindNow(at)).toEqual({ reminder: 'SECOND', sendAt: iso(at) });
  });

  test('skipped reminders are not revived: nothing pending is said, and nothing changes', () => {
    // Booked 20 h ahead: both reminders were due before the booking.
    const state = booked({ start: iso(NOW + 20 * HOUR_MS), localStart: '2026-12-02T06:00:00' });
    expect(state.data.reminders.every((r) => r.status === 'SKIPPED')).toBe(true);
    const before = JSON.stringify(state.data);
    expect(state.remindNow(NOW)).toEqual({ none: 'NO_PENDING_REMINDER' });
    expect(JSON.stringify(state.data)).toBe(before);
  });

  test('says why when the appointment takes no reminders, changing nothing', () => {
    expect(fresh().remindNow(NOW)).toEqual({ none: 'NO_APPOINTMENT' });

    const canceled = booked();
    canceled.applyEvent(envelope('CANCELED'), NOW);
    expect(canceled.remindNow(NOW)).toEqual({ none: 'CANCELED' });

    const noShow = booked();
    noShow.applyEvent(envelope('NOSHOWED'), NOW);
    expect(noShow.remindNow(NOW)).toEqual({ none: 'NOSHOWED' });

    const optedOut = booked();
    optedOut.applyEvent(envelope('OPTED-OUT'), NOW);
    expect(optedOut.remindNow(NOW)).toEqual({ none: 'OPTED_OUT' });

    const noPhone = booked({ patient: { id: 'P1', language: 'en', phoneProblem: 'NO_PHONE' } });
    const before = JSON.stringify(noPhone.data);
    expect(noPhone.remindNow(NOW)).toEqual({ none: 'NO_PHONE' });
    expect(JSON.stringify(noPhone.data)).toBe(before);

    expect(booked().remindNow(Date.parse(START))).toEqual({ none: 'APPOINTMENT_PASSED' });
  });

  test('a confirmed appointment is still reminded', () => {
    const state = booked();
    state.applyEvent(envelope('CONFIRMED'), NOW);
    expect(state.remindNow(NOW)).toEqual({ reminder: 'FIRST', sendAt: iso(NOW) });
  });
});
