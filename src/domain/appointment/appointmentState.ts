/**
 * The appointment's state machine: which EHR events apply, which texts they call for, which
 * reminders are due. Pure (the current instant is a parameter) so every rule is unit-tested; the
 * workflow only wires signals, timers and activities around it.
 */
import { DateTime } from 'luxon';
import { planReminders } from '../reminders/planReminders';
import { CURRENT_RULES, type RulesVersion } from '../../shared/rulesVersion';
import { formatInstantInZone } from '../time/zone';
import type {
  EhrCallbackRecord,
  AppointmentEvent,
  AppointmentStateData,
  AppointmentView,
  EventEnvelope,
  IgnoredEvent,
  IngestedEvent,
  MessageRecord,
  OutboundKind,
  ReminderRecord,
  RemindNowResult,
} from '../../shared/appointment';
import { isTimed } from '../../shared/appointment';
import { keepsKnownPhone, untextableReasonOf } from './textability';
import type { DeliveryUpdate, PatientReply } from '../../shared/phone';

/** Enough to recognise an EHR's resend of recent events; older duplicates are also caught as stale. */
const MAX_SEEN_EVENT_IDS = 500;
const MAX_IGNORED_EVENTS = 50;
const HOUR_MS = 3_600_000;

/** Delivery statuses only move forward: a late "sent" never overwrites "delivered". */
const DELIVERY_RANK: Record<string, number> = {
  PENDING: 0,
  QUEUED: 1,
  ACCEPTED: 1,
  SCHEDULED: 1,
  SENDING: 2,
  SENT: 3,
  DELIVERED: 4,
  UNDELIVERED: 4,
  FAILED: 4,
  READ: 5,
};

/** Rules 2: a text Twilio delivered stays delivered whatever report comes late; READ is after that. */
const DELIVERY_RANK_V2: Record<string, number> = { ...DELIVERY_RANK, DELIVERED: 5, READ: 6 };
/** Reports for texts not recorded yet (a report can overtake the send's own result), kept until they are. */
const MAX_EARLY_DELIVERIES = 20;

export type ApplyOutcome = 'applied' | 'duplicate' | 'stale' | 'unknown-time';

const ACTIVE = new Set(['BOOKED', 'CONFIRMED', 'CANCEL_REQUESTED']);
/** Statuses whose reminders are planned (a cancel request stops them until it is taken back). */
const REMINDED = new Set(['BOOKED', 'CONFIRMED']);

export function initialStateData(appointmentId: string): AppointmentStateData {
  return {
    appointmentId,
    details: null,
    policy: null,
    status: 'BOOKED',
    optedOut: false,
    lastEventAt: '',
    seenEventIds: [],
    generation: 0,
    reminders: [],
    messages: [],
    ignoredEvents: [],
    callbacks: [],
    version: 0,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The patient's local date (`YYYY-MM-DD`) of an instant. */
export function localDayOf(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISODate() ?? '';
}

/** Orders ISO instants by time, not by text: `…00Z` and `…00.500Z` or an offset spelling compare correctly. */
/** The event with its own time, or the time of the appointment as known; undefined when neither exists. */
export function withKnownTiming(
  event: IngestedEvent,
  known: AppointmentEvent | null,
): AppointmentEvent | undefined {
  if (isTimed(event)) return event;
  if (!known) return undefined;
  return { ...event, start: known.start, localStart: known.localStart, timeZone: known.timeZone };
}

/** The known number when the event sent none or a masked one: that says nothing about the number. */
export function withKnownPhone(
  event: AppointmentEvent | undefined,
  known: AppointmentEvent | null,
): AppointmentEvent | undefined {
  if (!event || event.patient.phone !== undefined || known?.patient.phone === undefined) return event;
  if (!keepsKnownPhone(event.patient.phoneProblem ?? 'NO_PHONE')) return event;
  const { phoneProblem: _dropped, ...patient } = event.patient;
  return { ...event, patient: { ...patient, phone: known.patient.phone } };
}

function isEarlier(a: string, b: string): boolean {
  const aMs = Date.parse(a);
  const bMs = Date.parse(b);
  return Number.isNaN(aMs) || Number.isNaN(bMs) ? a < b : aMs < bMs;
}

export class AppointmentState {
  constructor(
    readonly data: AppointmentStateData,
    /** The rules this run applies (frozen workflow types pass the version they shipped with). */
    private readonly rules: RulesVersion = CURRENT_RULES,
  ) {}

  hasSeen(eventId: string): boolean {
    return this.data.seenEventIds.includes(eventId);
  }

  /** Applies one EHR event: idempotent by event id, ordered by the EHR's event time. */
  applyEvent({ event: ingested, policy }: EventEnvelope, nowMs: number): ApplyOutcome {
    if (this.hasSeen(ingested.eventId)) return 'duplicate';
    this.remember(ingested.eventId);
    if (this.data.lastEventAt && isEarlier(ingested.eventAt, this.data.lastEventAt)) {
      this.ignore(ingested, 'STALE');
      return 'stale';
    }
    // A cancellation or no-show sent without a time is about the appointment as known here; an
    // event that names no number (or hides it) keeps the one known.
    const event = withKnownPhone(withKnownTiming(ingested, this.data.details), this.data.details);
    if (!event) {
      // Ingress sends untimed events only to a running workflow; one that knows no time yet keeps the record.
      this.ignore(ingested, 'UNKNOWN_TIME');
      return 'unknown-time';
    }
    const previous = this.data.details;
    // Opt-in/opt-out events carry the appointment's details but book nothing: until an appointment
    // event has been applied (which plans, or sets a non-initial status) the appointment is new.
    const isNew = this.data.generation === 0 && this.data.status === 'BOOKED';
    const wasActive = !isNew && ACTIVE.has(this.data.status);
    const closed = !isNew && !wasActive;
    const startChanged = previous === null || previous.start !== event.start;
    const generationBefore = this.data.generation;
    this.data.details = event;
    this.data.policy = policy;
    this.data.lastEventAt = event.eventAt;
    this.setUntextable(untextableReasonOf(event, nowMs));
    // No number to text (the EHR sent none that can be): texts decided for the old one are not sent.
    if (event.patient.phone === undefined) {
      const problem = event.patient.phoneProblem ?? 'NO_PHONE';
      this.skipPendingTexts(problem, 'SUPPRESSED', problem);
    }
    // The patient heard nothing yet and now has a number: the first text they get is the booking's.
    const firstText =
      previous !== null &&
      previous.patient.phone === undefined &&
      event.patient.phone !== undefined &&
      !this.data.messages.some((m) => m.sid !== undefined);
    // Since rules 2 a new number carries its own opt-out state (its conversation says if it said STOP).
    const phoneChanged =
      this.rules >= 2 && previous !== null && previous.patient.phone !== event.patient.phone;
    if (phoneChanged && this.data.optedOut) {
      this.data.optedOut = false;
      if (!startChanged && !isNew && REMINDED.has(this.data.status)) this.replan(nowMs);
    }

    const attended = this.rules >= 2 && event.attended === true;
    switch (event.eventType) {
      case 'BOOKED':
        if (attended) {
          // The patient is there or has been: nothing left to remind, nothing to ask.
          if (wasActive) this.stopReminders('PATIENT_ARRIVED');
        } else if (!wasActive) {
          this.data.status = 'BOOKED';
          this.replan(nowMs);
          this.queueEventText('BOOKED', event, nowMs);
        } else if (startChanged) {
          // A re-sent booking with a new time is a reschedule in all but name.
          this.data.status = 'BOOKED';
          this.replan(nowMs);
          this.queueEventText('RESCHEDULED', event, nowMs);
        } else if (this.rules >= 2 && this.data.status === 'CANCEL_REQUESTED') {
          // The clinic keeps the appointment the patient asked to cancel: reminders resume.
          this.data.status = 'BOOKED';
          this.replan(nowMs);
        } else if (firstText) {
          this.queueEventText('BOOKED', event, nowMs);
        } else if (
          previous &&
          (previous.location !== event.location || previous.provider?.id !== event.provider?.id)
        ) {
          // FHIR sends every version as "booked": a new place or clinician is a modification to tell.
          this.queueEventText('MODIFIED', event, nowMs);
        }
        break;
      case 'RESCHEDULED':
        // A confirmation was for the old time: the new time needs its own.
        this.data.status = 'BOOKED';
        this.replan(nowMs);
        this.queueEventText(firstText ? 'BOOKED' : 'RESCHEDULED', event, nowMs);
        break;
      case 'MODIFIED':
        // Only a booking or reschedule reopens a canceled or no-show appointment; a modify just updates details.
        if (closed) break;
        // A confirmation was for the old time: a modify that moves the appointment needs a new one.
        if (!wasActive || startChanged) this.data.status = 'BOOKED';
        if (startChanged || !wasActive) this.replan(nowMs);
        // Since rules 2 a first event that is a modification books: the patient has been told nothing yet.
        this.queueEventText((this.rules >= 2 && isNew) || firstText ? 'BOOKED' : 'MODIFIED', event, nowMs);
        break;
      case 'CONFIRMED':
        if (closed) break;
        // A first event plans; a confirmation of a cancel request the clinic did not act on resumes reminders.
        if (isNew || (this.rules >= 2 && this.data.status === 'CANCEL_REQUESTED')) this.replan(nowMs);
        if (this.data.status !== 'CONFIRMED') {
          this.data.status = 'CONFIRMED';
          this.queueEventText('CONFIRMED', event, nowMs);
        }
        break;
      case 'CANCELED':
        if (this.data.status !== 'CANCELED') {
          this.data.status = 'CANCELED';
          this.stopReminders('APPOINTMENT_CANCELED');
          this.skipPendingTexts('SUPERSEDED', 'CANCELED', 'APPOINTMENT_CANCELED');
          // A patient never told of a booking needs no cancellation text either.
          if (!isNew) this.queueEventText('CANCELED', event, nowMs);
        }
        break;
      case 'NOSHOWED':
        if (this.data.status !== 'NOSHOWED') {
          this.data.status = 'NOSHOWED';
          this.stopReminders('APPOINTMENT_NOSHOWED');
          this.skipPendingTexts('SUPERSEDED', 'CANCELED', 'APPOINTMENT_NOSHOWED');
          // Since rules 2, like a cancellation: a patient never told of a booking gets no "we missed you".
          if (this.rules < 2 || !isNew) this.queueEventText('NOSHOWED', event, nowMs);
        }
        break;
      case 'OPTED-OUT':
        this.data.optedOut = true;
        this.stopReminders('OPTED_OUT');
        // Nothing more goes to a patient who opted out, including texts decided but not yet sent.
        this.skipPendingTexts('OPTED_OUT', 'SUPPRESSED', 'OPTED_OUT');
        break;
      case 'OPTED-IN':
        if (this.data.optedOut) {
          this.data.optedOut = false;
          if (this.rules >= 2 ? !isNew && REMINDED.has(this.data.status) : wasActive) this.replan(nowMs);
        }
        break;
    }
    // Every event carries the appointment time: one that moved it without a plan of its own (a
    // CONFIRMED or opt event with a new start) must not leave reminders timed for the old start.
    if (
      startChanged &&
      !attended &&
      wasActive &&
      ACTIVE.has(this.data.status) &&
      this.data.generation === generationBefore
    ) {
      this.replan(nowMs);
    }
    this.bump();
    return 'applied';
  }

  /** Texts decided but not yet handed to Twilio, oldest first. */
  pendingMessages(): MessageRecord[] {
    return this.data.messages.filter((m) => m.status === 'PENDING');
  }

  /** Turns every reminder whose send time has come into a pending text (or a suppressed one). */
  queueDueReminders(nowMs: number): number {
    let queued = 0;
    for (const reminder of this.data.reminders) {
      if (reminder.status !== 'PENDING' || reminder.sendAt === null || Date.parse(reminder.sendAt) > nowMs)
        continue;
      const key = `${this.data.appointmentId}:g${reminder.generation}:${reminder.kind}`;
      const startMs = this.data.details ? Date.parse(this.data.details.start) : Number.NaN;
      if (nowMs >= startMs) {
        // The timer fired late (worker down): a reminder for an appointment that has begun helps nobody.
        reminder.status = 'SKIPPED';
        reminder.note = 'APPOINTMENT_PASSED';
      } else if (this.data.optedOut) {
        reminder.status = 'SUPPRESSED';
        reminder.note = 'OPTED_OUT';
      } else if (this.data.details?.patient.phone === undefined) {
        // Kept in the plan: a later event with a number that can be texted lets the next one go.
        reminder.status = 'SUPPRESSED';
        reminder.note = this.data.details?.patient.phoneProblem ?? 'NO_PHONE';
      } else {
        reminder.status = 'QUEUED';
        this.data.messages.push({
          key,
          kind: 'REMINDER',
          reminder: reminder.kind,
          reminderGeneration: reminder.generation,
          status: 'PENDING',
          createdAt: iso(nowMs),
        });
        queued += 1;
      }
      this.bump();
    }
    return queued;
  }

  /**
   * The operator's "send the next reminder now": the earliest pending reminder becomes due at `nowMs`,
   * so the next queueDueReminders queues it for the usual send path (which applies the daily cap).
   * Changes nothing when there is no such reminder or it could not go out; says why.
   */
  remindNow(nowMs: number): RemindNowResult {
    const { details, status } = this.data;
    if (!details || this.data.lastEventAt === '') return { none: 'NO_APPOINTMENT' };
    if (status !== 'BOOKED' && status !== 'CONFIRMED') return { none: status };
    if (this.data.optedOut) return { none: 'OPTED_OUT' };
    if (details.patient.phone === undefined) return { none: 'NO_PHONE' };
    if (nowMs >= Date.parse(details.start)) return { none: 'APPOINTMENT_PASSED' };
    let next: ReminderRecord | undefined;
    for (const reminder of this.data.reminders) {
      if (reminder.status !== 'PENDING' || reminder.sendAt === null) continue;
      const earlier = next === undefined || Date.parse(reminder.sendAt) < Date.parse(next.sendAt as string);
      if (earlier) next = reminder;
    }
    if (next === undefined) return { none: 'NO_PENDING_REMINDER' };
    next.sendAt = iso(nowMs);
    this.bump();
    return { reminder: next.kind, sendAt: next.sendAt };
  }

  recordSent(key: string, result: { sid: string; status: string }, nowMs: number): void {
    const message = this.message(key);
    message.sid = result.sid;
    message.status = result.status.toUpperCase();
    message.sentAt = iso(nowMs);
    const to = this.data.details?.patient.phone;
    if (this.rules >= 2 && to !== undefined) message.to = to;
    const reminder = this.reminderOf(message);
    if (reminder) reminder.status = 'SENT';
    this.bump();
    const early = this.data.earlyDeliveries?.find((d) => d.messageSid === result.sid);
    if (early) {
      this.data.earlyDeliveries = this.data.earlyDeliveries?.filter((d) => d !== early);
      this.recordDelivery(early);
    }
  }

  recordFailed(key: string, error: { type: string; code?: number; message: string }): void {
    const message = this.message(key);
    message.status = 'FAILED';
    message.error = error;
    const reminder = this.reminderOf(message);
    if (reminder) {
      reminder.status = 'FAILED';
      reminder.note = error.code ? `${error.type}:${error.code}` : error.type;
    }
    this.bump();
  }

  /** Workflow-visible wake-up time: the next reminder, else the end of retention. */
  nextWakeAtMs(): number | undefined {
    const next = this.nextReminderAtMs();
    const retentionEnd = this.retentionEndsAtMs();
    if (next === undefined) return retentionEnd;
    return retentionEnd === undefined ? next : Math.min(next, retentionEnd);
  }

  nextReminderAtMs(): number | undefined {
    const times = this.data.reminders
      .filter((r) => r.status === 'PENDING' && r.sendAt !== null)
      .map((r) => Date.parse(r.sendAt as string));
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  retentionEndsAtMs(): number | undefined {
    const { details, policy } = this.data;
    if (!details || !policy) return undefined;
    return Date.parse(details.start) + policy.retentionHours * HOUR_MS;
  }

  /** Past retention with nothing left to send or to tell the EHR: the workflow may complete. */
  isFinished(nowMs: number): boolean {
    const end = this.retentionEndsAtMs();
    return (
      end !== undefined &&
      nowMs >= end &&
      this.pendingMessages().length === 0 &&
      this.pendingCallbacks().length === 0
    );
  }

  /**
   * Applies the patient's reply routed here by the phone workflow: confirm, cancel request or
   * opt-out/in. Idempotent by message SID. Returns false for a repeat.
   */
  applyPatientReply(reply: PatientReply, nowMs: number): boolean {
    const seenKey = `sms:${reply.messageSid}:${reply.kind}`;
    if (this.hasSeen(seenKey)) return false;
    this.remember(seenKey);
    const active = this.data.details !== null && ACTIVE.has(this.data.status);
    switch (reply.kind) {
      case 'OPT_OUT':
        this.data.optedOut = true;
        this.stopReminders('OPTED_OUT');
        this.skipPendingTexts('OPTED_OUT', 'SUPPRESSED', 'OPTED_OUT');
        break;
      case 'OPT_IN':
        if (this.data.optedOut) {
          this.data.optedOut = false;
          if (active && (this.rules < 2 || REMINDED.has(this.data.status))) this.replan(nowMs);
        }
        break;
      case 'CONFIRM':
        if (!active) break;
        if (this.data.status === 'CANCEL_REQUESTED') {
          if (this.rules < 2) break;
          // Confirm wins over a cancel request the clinic has not acted on: the EHR hears CONFIRM after CANCEL.
          this.data.status = 'CONFIRMED';
          this.replan(nowMs);
          this.queueCallback('CONFIRM', reply);
        } else if (this.data.status !== 'CONFIRMED') {
          this.data.status = 'CONFIRMED';
          this.queueCallback('CONFIRM', reply);
        }
        this.queueReplyText('REPLY_CONFIRMED', reply, nowMs);
        break;
      case 'CANCEL_REQUEST':
        if (!active || this.data.status === 'CANCEL_REQUESTED') break;
        this.data.status = 'CANCEL_REQUESTED';
        // The patient will not come: no more reminders while the EHR processes the cancellation.
        this.stopReminders('CANCEL_REQUESTED');
        this.queueCallback('CANCEL', reply);
        this.queueReplyText('REPLY_CANCEL_REQUESTED', reply, nowMs);
        break;
    }
    this.bump();
    return true;
  }

  pendingCallbacks(): EhrCallbackRecord[] {
    return (this.data.callbacks ?? []).filter((c) => c.status === 'PENDING');
  }

  recordCallbackDelivered(key: string, nowMs: number): void {
    const callback = (this.data.callbacks ?? []).find((c) => c.key === key);
    if (!callback) return;
    callback.status = 'DELIVERED';
    callback.deliveredAt = iso(nowMs);
    this.bump();
  }

  recordCallbackRejected(key: string, error: string): void {
    const callback = (this.data.callbacks ?? []).find((c) => c.key === key);
    if (!callback) return;
    callback.status = 'REJECTED';
    callback.error = error;
    this.bump();
  }

  /** A text the phone's daily allowance or opt-out refused: kept visible, never sent. */
  suppressMessage(key: string, reason: string): void {
    const message = this.message(key);
    message.status = 'SKIPPED';
    message.skipReason = reason;
    const reminder = this.reminderOf(message);
    if (reminder) {
      reminder.status = 'SUPPRESSED';
      reminder.note = reason;
    }
    this.bump();
  }

  /**
   * Twilio's delivery report for one of our texts; a late report never moves a status back. Since
   * rules 2 a report for a text not recorded yet is kept until the text is (see recordSent), and
   * DELIVERED is final against a late UNDELIVERED or FAILED.
   */
  recordDelivery(update: DeliveryUpdate): boolean {
    const message = this.data.messages.find((m) => m.sid === update.messageSid);
    if (!message) return this.rules >= 2 && this.keepEarly(update);
    const next = update.status.toUpperCase();
    const rank = this.rules >= 2 ? DELIVERY_RANK_V2 : DELIVERY_RANK;
    if ((rank[next] ?? 0) < (rank[message.status] ?? 0)) return false;
    message.status = next;
    if (update.errorCode !== undefined && (next === 'UNDELIVERED' || next === 'FAILED')) {
      message.error = {
        type: 'SmsDeliveryFailure',
        code: update.errorCode,
        message: `Twilio reported ${next}`,
      };
    } else if (this.rules >= 2 && (next === 'DELIVERED' || next === 'READ')) {
      delete message.error;
    }
    this.bump();
    return true;
  }

  /** Keeps the most advanced report per unknown SID, the newest MAX_EARLY_DELIVERIES of them. */
  private keepEarly(update: DeliveryUpdate): boolean {
    const kept = this.data.earlyDeliveries ?? [];
    const same = kept.find((d) => d.messageSid === update.messageSid);
    const rankOf = (d: DeliveryUpdate): number => DELIVERY_RANK_V2[d.status.toUpperCase()] ?? 0;
    if (same && rankOf(same) > rankOf(update)) return false;
    this.data.earlyDeliveries = [...kept.filter((d) => d !== same), update].slice(-MAX_EARLY_DELIVERIES);
    this.bump();
    return true;
  }

  /**
   * Reminders of this appointment handed to Twilio on one local day of the patient (`YYYY-MM-DD`
   * in `zone`): the daily allowance when no other appointment shares the number.
   */
  remindersSentOnLocalDay(localDay: string, zone: string): number {
    return this.data.messages.filter(
      (m) =>
        m.kind === 'REMINDER' &&
        m.sid !== undefined &&
        m.sentAt !== undefined &&
        localDayOf(Date.parse(m.sentAt), zone) === localDay,
    ).length;
  }

  /** Whether the patient has been asked to confirm or cancel (a booking text or a reminder went out). */
  /** A booking text or reminder reached the patient's current number (any number on the first rules). */
  prompted(): boolean {
    const phone = this.data.details?.patient.phone;
    return this.data.messages.some(
      (m) =>
        (m.kind === 'BOOKED' || m.kind === 'REMINDER') &&
        m.sid !== undefined &&
        (this.rules < 2 || m.to === undefined || m.to === phone),
    );
  }

  complete(): void {
    if (ACTIVE.has(this.data.status)) this.data.status = 'COMPLETED';
    this.stopReminders('APPOINTMENT_COMPLETED');
    this.bump();
  }

  view(): AppointmentView {
    const { details } = this.data;
    return {
      appointmentId: this.data.appointmentId,
      status: this.data.status,
      // Operators read local times: the start carries the appointment zone's offset.
      start: details ? formatInstantInZone(details.start, details.timeZone) : '',
      timeZone: details?.timeZone ?? '',
      localStart: details?.localStart ?? '',
      optedOut: this.data.optedOut,
      reminders: this.data.reminders.map(({ kind, dueAt, sendAt, status, note, skipReason }) => ({
        kind,
        dueAt,
        sendAt,
        status,
        ...(note || skipReason ? { note: note ?? skipReason } : {}),
      })),
      messages: this.data.messages.map((m) => ({
        kind: m.kind,
        sid: m.sid ?? null,
        status: m.status,
        sentAt: m.sentAt ?? null,
        ...(m.error ? { error: m.error.code ? `${m.error.type}:${m.error.code}` : m.error.type } : {}),
        ...(m.skipReason ? { error: m.skipReason } : {}),
      })),
      ignoredEvents: [...this.data.ignoredEvents],
      callbacks: (this.data.callbacks ?? []).map((c) => ({
        type: c.type,
        status: c.status,
        repliedAt: c.repliedAt,
        deliveredAt: c.deliveredAt ?? null,
        ...(c.error ? { error: c.error } : {}),
      })),
      lastEventAt: this.data.lastEventAt,
      version: this.data.version,
      ...(this.data.untextable ? { untextable: this.data.untextable } : {}),
    };
  }

  /** Recorded only when there is a reason, so state written before it existed reads the same. */
  private setUntextable(reason: AppointmentStateData['untextable']): void {
    if (reason) this.data.untextable = reason;
    else delete this.data.untextable;
  }

  private replan(nowMs: number): void {
    const { details, policy } = this.data;
    if (!details || !policy) return;
    this.stopReminders('REPLANNED');
    this.data.generation += 1;
    const plan = planReminders({
      start: details.start,
      zone: details.timeZone,
      plannedAt: iso(nowMs),
      policy,
    });
    const generation = this.data.generation;
    // Plans of earlier generations stay in the record only if something happened to them.
    this.data.reminders = this.data.reminders.filter((r) => ['QUEUED', 'SENT', 'FAILED'].includes(r.status));
    for (const planned of plan) {
      const suppressed = this.data.optedOut && planned.status === 'PENDING';
      this.data.reminders.push({
        ...planned,
        status: suppressed ? 'SUPPRESSED' : planned.status,
        ...(suppressed ? { note: 'OPTED_OUT' } : {}),
        generation,
      });
    }
  }

  private stopReminders(note: string): void {
    for (const reminder of this.data.reminders) {
      if (reminder.status === 'PENDING') {
        reminder.status = 'CANCELED';
        reminder.note = note;
      }
    }
  }

  /**
   * A cancellation makes unsent booking/confirmation texts wrong, and an opt-out forbids them: drop them
   * rather than send them late. A dropped reminder text takes its reminder out of QUEUED too.
   */
  private skipPendingTexts(
    skipReason: string,
    reminderStatus: 'CANCELED' | 'SUPPRESSED',
    reminderNote: string,
  ): void {
    for (const message of this.pendingMessages()) {
      message.status = 'SKIPPED';
      message.skipReason = skipReason;
      const reminder = this.reminderOf(message);
      if (reminder?.status === 'QUEUED') {
        reminder.status = reminderStatus;
        reminder.note = reminderNote;
      }
    }
  }

  private queueCallback(type: 'CONFIRM' | 'CANCEL', reply: PatientReply): void {
    this.data.callbacks ??= [];
    const key = `${this.data.appointmentId}:${reply.messageSid}:${type}`;
    if (this.data.callbacks.some((c) => c.key === key)) return;
    // The body is fixed now: every retry must send the same bytes under the same Idempotency-Key.
    this.data.callbacks.push({
      key,
      type,
      replyText: reply.replyText,
      repliedAt: reply.receivedAt,
      patientId: this.data.details?.patient.id ?? '',
      ...(this.data.details?.provider?.id ? { providerId: this.data.details.provider.id } : {}),
      status: 'PENDING',
    });
  }

  private queueReplyText(
    kind: 'REPLY_CONFIRMED' | 'REPLY_CANCEL_REQUESTED',
    reply: PatientReply,
    nowMs: number,
  ): void {
    const key = `${this.data.appointmentId}:${reply.messageSid}:${kind}`;
    if (this.data.messages.some((m) => m.key === key)) return;
    const record: MessageRecord = { key, kind, status: 'PENDING', createdAt: iso(nowMs) };
    if (this.data.optedOut) {
      record.status = 'SKIPPED';
      record.skipReason = 'OPTED_OUT';
    } else if (this.data.details?.patient.phone === undefined) {
      record.status = 'SKIPPED';
      record.skipReason = this.data.details?.patient.phoneProblem ?? 'NO_PHONE';
    }
    this.data.messages.push(record);
  }

  private queueEventText(kind: OutboundKind, event: AppointmentEvent, nowMs: number): void {
    const key = `${this.data.appointmentId}:${event.eventId}:${kind}`;
    // An event id that fell out of seenEventIds and came back must not make a second record with this
    // key: recordSent/recordFailed find the first, so the second would stay PENDING for ever.
    if (this.data.messages.some((m) => m.key === key)) return;
    const record: MessageRecord = { key, kind, status: 'PENDING', createdAt: iso(nowMs) };
    const appointmentPassed = Date.parse(event.start) <= nowMs;
    if (this.data.optedOut) {
      record.status = 'SKIPPED';
      record.skipReason = 'OPTED_OUT';
    } else if (event.patient.phone === undefined) {
      record.status = 'SKIPPED';
      record.skipReason = event.patient.phoneProblem ?? 'NO_PHONE';
    } else if (appointmentPassed && kind !== 'NOSHOWED') {
      // Telling a patient about a past appointment's booking or cancellation helps nobody.
      record.status = 'SKIPPED';
      record.skipReason = 'APPOINTMENT_PASSED';
    }
    this.data.messages.push(record);
  }

  private reminderOf(message: MessageRecord): ReminderRecord | undefined {
    if (!message.reminder) return undefined;
    return this.data.reminders.find(
      (r) => r.kind === message.reminder && r.generation === message.reminderGeneration,
    );
  }

  private message(key: string): MessageRecord {
    const message = this.data.messages.find((m) => m.key === key);
    if (!message) throw new Error(`unknown message ${key}`);
    return message;
  }

  private ignore(event: IngestedEvent, reason: IgnoredEvent['reason']): void {
    this.data.ignoredEvents.push({
      eventId: event.eventId,
      eventType: event.eventType,
      eventAt: event.eventAt,
      reason,
    });
    if (this.data.ignoredEvents.length > MAX_IGNORED_EVENTS) this.data.ignoredEvents.shift();
    this.bump();
  }

  private remember(eventId: string): void {
    this.data.seenEventIds.push(eventId);
    if (this.data.seenEventIds.length > MAX_SEEN_EVENT_IDS) this.data.seenEventIds.shift();
  }

  private bump(): void {
    this.data.version += 1;
  }
}
