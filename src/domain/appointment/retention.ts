/**
 * When the appointment's workflow wakes and when it may end: the next reminder, else the end of
 * retention after the start; finished once retention is over and nothing is left to send or to tell
 * the EHR.
 */
import type { AppointmentStateData } from './records';
import { pendingCallbacks } from './ehrCallbacks';
import { nextReminderAtMs, stopReminders } from './reminders';
import { ACTIVE, bump } from './stateData';
import { pendingMessages } from './texts';

const HOUR_MS = 3_600_000;

/** Workflow-visible wake-up time: the next reminder, else the end of retention. */
export function nextWakeAtMs(data: AppointmentStateData): number | undefined {
  const next = nextReminderAtMs(data);
  const retentionEnd = retentionEndsAtMs(data);
  if (next === undefined) return retentionEnd;
  return retentionEnd === undefined ? next : Math.min(next, retentionEnd);
}

export function retentionEndsAtMs(data: AppointmentStateData): number | undefined {
  const { details, policy } = data;
  if (!details || !policy) return undefined;
  return Date.parse(details.start) + policy.retentionHours * HOUR_MS;
}

/** Past retention with nothing left to send or to tell the EHR: the workflow may complete. */
export function isFinished(data: AppointmentStateData, nowMs: number): boolean {
  const end = retentionEndsAtMs(data);
  return (
    end !== undefined &&
    nowMs >= end &&
    pendingMessages(data).length === 0 &&
    pendingCallbacks(data).length === 0
  );
}

export function complete(data: AppointmentStateData): void {
  if (ACTIVE.has(data.status)) data.status = 'COMPLETED';
  stopReminders(data, 'APPOINTMENT_COMPLETED');
  bump(data);
}
