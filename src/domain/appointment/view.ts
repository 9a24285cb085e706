/**
 * The appointment as operators and the EHR read it (GET /v1/appointments/:id, the console): copies of
 * the record's parts, times in the appointment's zone, no internal bookkeeping.
 */
import type { AppointmentView } from '../../shared/appointment';
import type { AppointmentStateData } from './records';
import { formatInstantInZone } from '../time/zone';

export function viewOf(data: AppointmentStateData): AppointmentView {
  const { details } = data;
  return {
    appointmentId: data.appointmentId,
    status: data.status,
    // Operators read local times: the start carries the appointment zone's offset.
    start: details ? formatInstantInZone(details.start, details.timeZone) : '',
    timeZone: details?.timeZone ?? '',
    localStart: details?.localStart ?? '',
    optedOut: data.optedOut,
    reminders: data.reminders.map(({ kind, dueAt, sendAt, status, note, skipReason }) => ({
      kind,
      dueAt,
      sendAt,
      status,
      ...(note || skipReason ? { note: note ?? skipReason } : {}),
    })),
    messages: data.messages.map((m) => ({
      kind: m.kind,
      sid: m.sid ?? null,
      status: m.status,
      sentAt: m.sentAt ?? null,
      ...(m.error ? { error: m.error.code ? `${m.error.type}:${m.error.code}` : m.error.type } : {}),
      ...(m.skipReason ? { error: m.skipReason } : {}),
    })),
    ignoredEvents: [...data.ignoredEvents],
    callbacks: (data.callbacks ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      repliedAt: c.repliedAt,
      deliveredAt: c.deliveredAt ?? null,
      ...(c.error ? { error: c.error } : {}),
    })),
    lastEventAt: data.lastEventAt,
    version: data.version,
    ...(data.untextable ? { untextable: data.untextable } : {}),
  };
}
