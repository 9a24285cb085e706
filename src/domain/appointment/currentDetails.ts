/**
 * The one line the Temporal Web UI shows as an appointment workflow's current details (user
 * metadata): what an operator scanning a list needs, and no patient data (no name, no number).
 * Pure and bundle-safe (the workflow calls it after each change).
 */
import { DateTime } from 'luxon';
import type { AppointmentStateData } from './records';

/** `BOOKED · starts 2026-12-04 09:30 America/Denver · next reminder 12-02 09:30 · cannot be texted: NOT_MOBILE`. */
export function currentDetailsOf(state: AppointmentStateData, nextReminderAtMs: number | undefined): string {
  const { details, status } = state;
  if (!details) return `${status} · waiting for its first event`;
  const zone = details.timeZone;
  const parts = [
    status,
    `starts ${DateTime.fromISO(details.start, { zone }).toFormat('yyyy-MM-dd HH:mm')} ${zone}`,
  ];
  if (nextReminderAtMs !== undefined) {
    parts.push(`next reminder ${DateTime.fromMillis(nextReminderAtMs, { zone }).toFormat('MM-dd HH:mm')}`);
  }
  if (state.optedOut) parts.push('opted out');
  if (state.untextable) parts.push(`cannot be texted: ${state.untextable}`);
  const pending = (state.callbacks ?? []).filter((c) => c.status === 'PENDING').length;
  if (pending > 0) parts.push(`${pending} EHR callback${pending === 1 ? '' : 's'} pending`);
  return parts.join(' · ');
}
