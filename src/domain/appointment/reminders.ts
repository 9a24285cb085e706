/**
 * The appointment's reminders: planned (planReminders) for the current start and policy, stopped
 * when they no longer apply, turned into texts when due, brought forward by the operator's "send the
 * next reminder now", and counted per patient-local day for the daily allowance.
 */
import { DateTime } from 'luxon';
import { planReminders } from '../reminders/planReminders';
import type { RemindNowResult } from '../../shared/appointment';
import type { AppointmentStateData, MessageRecord, ReminderRecord } from './records';
import { bump, iso } from './stateData';

/** The patient's local date (`YYYY-MM-DD`) of an instant. */
export function localDayOf(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISODate() ?? '';
}

/** A fresh plan (a new generation) for the appointment as now known; reminders already acted on stay. */
export function replan(data: AppointmentStateData, nowMs: number): void {
  const { details, policy } = data;
  if (!details || !policy) return;
  stopReminders(data, 'REPLANNED');
  data.generation += 1;
  const plan = planReminders({
    start: details.start,
    zone: details.timeZone,
    plannedAt: iso(nowMs),
    policy,
  });
  const generation = data.generation;
  // Plans of earlier generations stay in the record only if something happened to them.
  data.reminders = data.reminders.filter((r) => ['QUEUED', 'SENT', 'FAILED'].includes(r.status));
  for (const planned of plan) {
    const suppressed = data.optedOut && planned.status === 'PENDING';
    data.reminders.push({
      ...planned,
      status: suppressed ? 'SUPPRESSED' : planned.status,
      ...(suppressed ? { note: 'OPTED_OUT' } : {}),
      generation,
    });
  }
}

export function stopReminders(data: AppointmentStateData, note: string): void {
  for (const reminder of data.reminders) {
    if (reminder.status === 'PENDING') {
      reminder.status = 'CANCELED';
      reminder.note = note;
    }
  }
}

/** The reminder a reminder text was queued for, if it is one. */
export function reminderOf(data: AppointmentStateData, message: MessageRecord): ReminderRecord | undefined {
  if (!message.reminder) return undefined;
  return data.reminders.find(
    (r) => r.kind === message.reminder && r.generation === message.reminderGeneration,
  );
}

/** Turns every reminder whose send time has come into a pending text (or a suppressed one). */
export function queueDueReminders(data: AppointmentStateData, nowMs: number): number {
  let queued = 0;
  for (const reminder of data.reminders) {
    if (reminder.status !== 'PENDING' || reminder.sendAt === null || Date.parse(reminder.sendAt) > nowMs)
      continue;
    const key = `${data.appointmentId}:g${reminder.generation}:${reminder.kind}`;
    const startMs = data.details ? Date.parse(data.details.start) : Number.NaN;
    if (nowMs >= startMs) {
      // The timer fired late (worker down): a reminder for an appointment that has begun helps nobody.
      reminder.status = 'SKIPPED';
      reminder.note = 'APPOINTMENT_PASSED';
    } else if (data.optedOut) {
      reminder.status = 'SUPPRESSED';
      reminder.note = 'OPTED_OUT';
    } else if (data.details?.patient.phone === undefined) {
      // Kept in the plan: a later event with a number that can be texted lets the next one go.
      reminder.status = 'SUPPRESSED';
      reminder.note = data.details?.patient.phoneProblem ?? 'NO_PHONE';
    } else {
      reminder.status = 'QUEUED';
      data.messages.push({
        key,
        kind: 'REMINDER',
        reminder: reminder.kind,
        reminderGeneration: reminder.generation,
        status: 'PENDING',
        createdAt: iso(nowMs),
      });
      queued += 1;
    }
    bump(data);
  }
  return queued;
}

/**
 * The operator's "send the next reminder now": the earliest pending reminder becomes due at `nowMs`,
 * so the next queueDueReminders queues it for the usual send path (which applies the daily cap).
 * Changes nothing when there is no such reminder or it could not go out; says why.
 */
export function remindNow(data: AppointmentStateData, nowMs: number): RemindNowResult {
  const { details, status } = data;
  if (!details || data.lastEventAt === '') return { none: 'NO_APPOINTMENT' };
  if (status !== 'BOOKED' && status !== 'CONFIRMED') return { none: status };
  if (data.optedOut) return { none: 'OPTED_OUT' };
  if (details.patient.phone === undefined) return { none: 'NO_PHONE' };
  if (nowMs >= Date.parse(details.start)) return { none: 'APPOINTMENT_PASSED' };
  let next: ReminderRecord | undefined;
  for (const reminder of data.reminders) {
    if (reminder.status !== 'PENDING' || reminder.sendAt === null) continue;
    const earlier = next === undefined || Date.parse(reminder.sendAt) < Date.parse(next.sendAt as string);
    if (earlier) next = reminder;
  }
  if (next === undefined) return { none: 'NO_PENDING_REMINDER' };
  next.sendAt = iso(nowMs);
  bump(data);
  return { reminder: next.kind, sendAt: next.sendAt };
}

export function nextReminderAtMs(data: AppointmentStateData): number | undefined {
  const times = data.reminders
    .filter((r) => r.status === 'PENDING' && r.sendAt !== null)
    .map((r) => Date.parse(r.sendAt as string));
  return times.length > 0 ? Math.min(...times) : undefined;
}

/**
 * Reminders of this appointment handed to Twilio on one local day of the patient (`YYYY-MM-DD`
 * in `zone`): the daily allowance when no other appointment shares the number.
 */
export function remindersSentOnLocalDay(data: AppointmentStateData, localDay: string, zone: string): number {
  return data.messages.filter(
    (m) =>
      m.kind === 'REMINDER' &&
      m.sid !== undefined &&
      m.sentAt !== undefined &&
      localDayOf(Date.parse(m.sentAt), zone) === localDay,
  ).length;
}
