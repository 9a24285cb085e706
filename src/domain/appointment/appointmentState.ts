/**
 * The appointment's state machine: which EHR events apply, which texts they call for, which
 * reminders are due. Pure (the current instant is a parameter) so every rule is unit-tested; the
 * workflow only wires signals, timers and activities around it.
 *
 * This class is the one surface workflows use: it holds the record and the run's rules version and
 * hands each message to the module owning that rule (ehrEvents, patientReplies, reminders, texts,
 * deliveryReports, ehrCallbacks, retention, view). Recorded histories replay against it, so a rule
 * changes only behind a new rules version.
 */
import type { AppointmentView, EventEnvelope, RemindNowResult } from '../../shared/appointment';
import type { AppointmentStateData, EhrCallbackRecord, MessageRecord } from './records';
import type { DeliveryUpdate, PatientReply } from '../../shared/phone';
import { CURRENT_RULES, type RulesVersion } from '../../shared/rulesVersion';
import { recordDelivery } from './deliveryReports';
import { pendingCallbacks, recordCallbackDelivered, recordCallbackRejected } from './ehrCallbacks';
import { applyEvent } from './ehrEvents';
import type { ApplyOutcome } from './eventOrder';
import { applyPatientReply, prompted } from './patientReplies';
import { nextReminderAtMs, queueDueReminders, remindersSentOnLocalDay, remindNow } from './reminders';
import { complete, isFinished, nextWakeAtMs, retentionEndsAtMs } from './retention';
import { hasSeen } from './stateData';
import { pendingMessages, recordFailed, recordSent, suppressMessage } from './texts';
import { viewOf } from './view';

export class AppointmentState {
  constructor(
    readonly data: AppointmentStateData,
    /** The rules this run applies (frozen workflow types pass the version they shipped with). */
    private readonly rules: RulesVersion = CURRENT_RULES,
  ) {}

  hasSeen(eventId: string): boolean {
    return hasSeen(this.data, eventId);
  }

  /** Applies one EHR event: idempotent by event id, ordered by the EHR's event time. */
  applyEvent(envelope: EventEnvelope, nowMs: number): ApplyOutcome {
    return applyEvent(this.data, this.rules, envelope, nowMs);
  }

  /** Texts decided but not yet handed to Twilio, oldest first. */
  pendingMessages(): MessageRecord[] {
    return pendingMessages(this.data);
  }

  /** Turns every reminder whose send time has come into a pending text (or a suppressed one). */
  queueDueReminders(nowMs: number): number {
    return queueDueReminders(this.data, nowMs);
  }

  /** The operator's "send the next reminder now": the earliest pending reminder becomes due at `nowMs`. */
  remindNow(nowMs: number): RemindNowResult {
    return remindNow(this.data, nowMs);
  }

  recordSent(key: string, result: { sid: string; status: string }, nowMs: number): void {
    recordSent(this.data, this.rules, key, result, nowMs);
  }

  recordFailed(key: string, error: { type: string; code?: number; message: string }): void {
    recordFailed(this.data, key, error);
  }

  /** Workflow-visible wake-up time: the next reminder, else the end of retention. */
  nextWakeAtMs(): number | undefined {
    return nextWakeAtMs(this.data);
  }

  nextReminderAtMs(): number | undefined {
    return nextReminderAtMs(this.data);
  }

  retentionEndsAtMs(): number | undefined {
    return retentionEndsAtMs(this.data);
  }

  /** Past retention with nothing left to send or to tell the EHR: the workflow may complete. */
  isFinished(nowMs: number): boolean {
    return isFinished(this.data, nowMs);
  }

  /**
   * Applies the patient's reply routed here by the phone workflow: confirm, cancel request or
   * opt-out/in. Idempotent by message SID. Returns false for a repeat.
   */
  applyPatientReply(reply: PatientReply, nowMs: number): boolean {
    return applyPatientReply(this.data, this.rules, reply, nowMs);
  }

  pendingCallbacks(): EhrCallbackRecord[] {
    return pendingCallbacks(this.data);
  }

  recordCallbackDelivered(key: string, nowMs: number): void {
    recordCallbackDelivered(this.data, key, nowMs);
  }

  recordCallbackRejected(key: string, error: string): void {
    recordCallbackRejected(this.data, key, error);
  }

  /** A text the phone's daily allowance or opt-out refused: kept visible, never sent. */
  suppressMessage(key: string, reason: string): void {
    suppressMessage(this.data, key, reason);
  }

  /** Twilio's delivery report for one of our texts; a late report never moves a status back. */
  recordDelivery(update: DeliveryUpdate): boolean {
    return recordDelivery(this.data, this.rules, update);
  }

  /** Reminders handed to Twilio on one patient-local day (`YYYY-MM-DD` in `zone`). */
  remindersSentOnLocalDay(localDay: string, zone: string): number {
    return remindersSentOnLocalDay(this.data, localDay, zone);
  }

  /** A booking text or reminder reached the patient's current number (any number on the first rules). */
  prompted(): boolean {
    return prompted(this.data, this.rules);
  }

  complete(): void {
    complete(this.data);
  }

  view(): AppointmentView {
    return viewOf(this.data);
  }
}
