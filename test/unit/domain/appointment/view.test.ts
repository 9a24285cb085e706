/**
 * The appointment as GET /v1/appointments/:id shows it (view.ts).
 */
import { appliedView } from '../../../../src/ingest/appointmentGateway';
import { HOUR_MS, ZONE, NOW, START, FIRST_SEND, SECOND_SEND, iso, envelope, fresh, booked } from './fixtures';

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
