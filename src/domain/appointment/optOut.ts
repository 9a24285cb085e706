/**
 * Opt-out and opt-in: one rule whether STOP or START came as the patient's text or as an EHR event.
 * Nothing more goes to a patient who opted out; opting in again plans reminders only where the
 * caller's rules say the appointment still wants them.
 */
import type { AppointmentStateData } from './records';
import { replan, stopReminders } from './reminders';
import { skipPendingTexts } from './texts';

export function optOut(data: AppointmentStateData): void {
  data.optedOut = true;
  stopReminders(data, 'OPTED_OUT');
  // Including texts decided but not yet sent.
  skipPendingTexts(data, 'OPTED_OUT', 'SUPPRESSED', 'OPTED_OUT');
}

/** Lifts an opt-out (nothing to do without one); `replans`: the reminders still ahead are planned again. */
export function optIn(data: AppointmentStateData, nowMs: number, replans: boolean): void {
  if (!data.optedOut) return;
  data.optedOut = false;
  if (replans) replan(data, nowMs);
}
