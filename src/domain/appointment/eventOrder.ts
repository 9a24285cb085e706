/**
 * Which EHR events apply, and with what: idempotent by event id, ordered by the EHR's event time (a
 * stale one is kept as ignored), and an event that leaves out the time or the number takes the
 * appointment's as known here. EHRs resend and reorder, so this decides before any rule runs.
 */
import type { AppointmentEvent, IgnoredEvent, IngestedEvent } from '../../shared/appointment';
import type { AppointmentStateData } from './records';
import { isTimed } from '../../shared/appointment';
import { bump, hasSeen, remember } from './stateData';
import { keepsKnownPhone } from './textability';

const MAX_IGNORED_EVENTS = 50;

export type ApplyOutcome = 'applied' | 'duplicate' | 'stale' | 'unknown-time';

/** The event with its own time, or the time of the appointment as known; undefined when neither exists. */
function withKnownTiming(event: IngestedEvent, known: AppointmentEvent | null): AppointmentEvent | undefined {
  if (isTimed(event)) return event;
  if (!known) return undefined;
  return { ...event, start: known.start, localStart: known.localStart, timeZone: known.timeZone };
}

/** The known number when the event sent none or a masked one: that says nothing about the number. */
function withKnownPhone(
  event: AppointmentEvent | undefined,
  known: AppointmentEvent | null,
): AppointmentEvent | undefined {
  if (!event || event.patient.phone !== undefined || known?.patient.phone === undefined) return event;
  if (!keepsKnownPhone(event.patient.phoneProblem ?? 'NO_PHONE')) return event;
  const { phoneProblem: _dropped, ...patient } = event.patient;
  return { ...event, patient: { ...patient, phone: known.patient.phone } };
}

/** Orders ISO instants by time, not by text: `…00Z` and `…00.500Z` or an offset spelling compare correctly. */
function isEarlier(a: string, b: string): boolean {
  const aMs = Date.parse(a);
  const bMs = Date.parse(b);
  return Number.isNaN(aMs) || Number.isNaN(bMs) ? a < b : aMs < bMs;
}

/**
 * The event to apply, or why it is not applied. Its id is remembered either way; a stale or untimed
 * one is kept in ignoredEvents.
 */
export function admitEvent(
  data: AppointmentStateData,
  ingested: IngestedEvent,
): AppointmentEvent | Exclude<ApplyOutcome, 'applied'> {
  if (hasSeen(data, ingested.eventId)) return 'duplicate';
  remember(data, ingested.eventId);
  if (data.lastEventAt && isEarlier(ingested.eventAt, data.lastEventAt)) {
    ignore(data, ingested, 'STALE');
    return 'stale';
  }
  // A cancellation or no-show sent without a time is about the appointment as known here; an
  // event that names no number (or hides it) keeps the one known.
  const event = withKnownPhone(withKnownTiming(ingested, data.details), data.details);
  if (!event) {
    // Ingress sends untimed events only to a running workflow; one that knows no time yet keeps the record.
    ignore(data, ingested, 'UNKNOWN_TIME');
    return 'unknown-time';
  }
  return event;
}

function ignore(data: AppointmentStateData, event: IngestedEvent, reason: IgnoredEvent['reason']): void {
  data.ignoredEvents.push({
    eventId: event.eventId,
    eventType: event.eventType,
    eventAt: event.eventAt,
    reason,
  });
  if (data.ignoredEvents.length > MAX_IGNORED_EVENTS) data.ignoredEvents.shift();
  bump(data);
}
