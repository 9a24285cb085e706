/**
 * The calls back to the EHR a patient's reply asks for (CONFIRM, CANCEL), and what became of each:
 * the workflow delivers them until the EHR acknowledges or refuses.
 */
import type { AppointmentStateData, EhrCallbackRecord } from './records';
import type { PatientReply } from '../../shared/phone';
import { bump, iso } from './stateData';

export function queueCallback(
  data: AppointmentStateData,
  type: 'CONFIRM' | 'CANCEL',
  reply: PatientReply,
): void {
  data.callbacks ??= [];
  const key = `${data.appointmentId}:${reply.messageSid}:${type}`;
  if (data.callbacks.some((c) => c.key === key)) return;
  // The body is fixed now: every retry must send the same bytes under the same Idempotency-Key.
  data.callbacks.push({
    key,
    type,
    replyText: reply.replyText,
    repliedAt: reply.receivedAt,
    patientId: data.details?.patient.id ?? '',
    ...(data.details?.provider?.id ? { providerId: data.details.provider.id } : {}),
    status: 'PENDING',
  });
}

export function pendingCallbacks(data: AppointmentStateData): EhrCallbackRecord[] {
  return (data.callbacks ?? []).filter((c) => c.status === 'PENDING');
}

export function recordCallbackDelivered(data: AppointmentStateData, key: string, nowMs: number): void {
  const callback = (data.callbacks ?? []).find((c) => c.key === key);
  if (!callback) return;
  callback.status = 'DELIVERED';
  callback.deliveredAt = iso(nowMs);
  bump(data);
}

export function recordCallbackRejected(data: AppointmentStateData, key: string, error: string): void {
  const callback = (data.callbacks ?? []).find((c) => c.key === key);
  if (!callback) return;
  callback.status = 'REJECTED';
  callback.error = error;
  bump(data);
}
