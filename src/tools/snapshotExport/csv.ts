/**
 * Writing snapshots as rows: the CSV columns (one summary row per snapshot; JSON lines write the
 * snapshot whole) and RFC 4180 fields made safe to open in a spreadsheet.
 */
import type { AppointmentSnapshot } from '../../activities/snapshots/port';
import { stateOf } from './exportedState';

export const CSV_COLUMNS = [
  'appointment_id',
  'version',
  'status',
  'written_at',
  'start',
  'local_start',
  'time_zone',
  'location',
  'patient_id',
  'patient_first_name',
  'patient_last_name',
  'patient_phone',
  'patient_language',
  'provider_id',
  'opted_out',
  'messages',
] as const;

export function csvRow(snapshot: AppointmentSnapshot): string {
  const state = stateOf(snapshot);
  const details = state?.details ?? undefined;
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | undefined> = {
    appointment_id: snapshot.appointmentId,
    version: snapshot.version,
    status: snapshot.status,
    written_at: snapshot.writtenAt,
    start: details?.start,
    local_start: details?.localStart,
    time_zone: details?.timeZone,
    location: details?.location,
    patient_id: details?.patient?.id,
    patient_first_name: details?.patient?.firstName,
    patient_last_name: details?.patient?.lastName,
    patient_phone: details?.patient?.phone,
    patient_language: details?.patient?.language,
    provider_id: details?.provider?.id,
    opted_out: state?.optedOut,
    messages: state?.messages?.length,
  };
  return CSV_COLUMNS.map((column) => csvField(values[column])).join(',');
}

/**
 * RFC 4180 quoting, plus a leading `'` on text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
 * tab, CR): names and locations come from the EHR. Plain numbers such as E.164 phones stay as they are.
 */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
