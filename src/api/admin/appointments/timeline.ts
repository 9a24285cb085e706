/**
 * One appointment's timeline for the detail page: the last EHR event applied, ignored events, texts,
 * reminders and the replies told to the EHR, in time order. Pure; the snapshot's state adds what the
 * view leaves out (texts' creation times, replies' text).
 */
import type { AppointmentView } from '../../../shared/appointment';
import type { AppointmentStateData } from '../../../domain/appointment/records';

export interface TimelineEntry {
  at: string | null;
  what: string;
  status: string;
  detail: string;
}

const IGNORED_WHY: Readonly<Record<string, string>> = {
  STALE: 'older than the last event applied (by the EHR’s event time)',
  UNKNOWN_TIME: 'no appointment time given and none known',
};

export function timelineOf(view: AppointmentView, state: AppointmentStateData | undefined): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  if (view.lastEventAt) {
    entries.push({
      at: view.lastEventAt,
      what: 'Last EHR event applied',
      status: view.status,
      detail: `state version ${view.version}`,
    });
  }
  for (const event of view.ignoredEvents) {
    entries.push({
      at: event.eventAt,
      what: `EHR event ${event.eventType} ignored`,
      status: 'IGNORED',
      detail: `${event.eventId}: ${IGNORED_WHY[event.reason] ?? event.reason}`,
    });
  }
  view.messages.forEach((message, i) => {
    const created = state?.messages[i]?.kind === message.kind ? state.messages[i]?.createdAt : undefined;
    const detail = [
      message.sentAt ? null : 'not sent',
      message.sid ? `SID ${message.sid}` : null,
      message.error ? `error ${message.error}` : null,
    ].filter((part): part is string => part !== null);
    entries.push({
      at: message.sentAt ?? created ?? null,
      what: `Text: ${message.kind}`,
      status: message.status,
      detail: detail.join('; '),
    });
  });
  for (const reminder of view.reminders) {
    entries.push({
      at: reminder.sendAt ?? reminder.dueAt,
      what: `Reminder: ${reminder.kind}`,
      status: reminder.status,
      detail: [
        `due ${reminder.dueAt}`,
        reminder.sendAt ? `send ${reminder.sendAt}` : 'no send time',
        reminder.note ?? null,
      ]
        .filter((part): part is string => part !== null)
        .join('; '),
    });
  }
  view.callbacks.forEach((callback, i) => {
    const stored = state?.callbacks?.[i];
    const replyText = stored && stored.repliedAt === callback.repliedAt ? stored.replyText : undefined;
    entries.push({
      at: callback.repliedAt,
      what: `Patient reply${replyText ? ` “${replyText}”` : ''} → EHR ${callback.type}`,
      status: callback.status,
      detail: [
        callback.deliveredAt ? `EHR acknowledged ${callback.deliveredAt}` : 'not acknowledged yet',
        callback.error ? `error ${callback.error}` : null,
      ]
        .filter((part): part is string => part !== null)
        .join('; '),
    });
  });
  return entries.sort((a, b) =>
    a.at === null ? 1 : b.at === null ? -1 : Date.parse(a.at) - Date.parse(b.at),
  );
}
