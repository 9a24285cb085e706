/**
 * The appointment workflow's wire contract, and nothing else: the canonical event it accepts, the
 * view it exposes, its signal, queries and update, its start input and id. The workflow's own state
 * lives with its rules (domain/appointment/records.ts). Imported by the API, the activities and the
 * workflow (types only, plus tiny definitions, so the workflow bundle stays small).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { CURRENT_RULES, type RulesVersion } from './rulesVersion';

/** The EHR events that text the patient; OPTED-IN and OPTED-OUT change the opt-out state only. */
const TEXTED_EVENT_TYPES = [
  'BOOKED',
  'RESCHEDULED',
  'MODIFIED',
  'CONFIRMED',
  'CANCELED',
  'NOSHOWED',
] as const;
export const EHR_EVENT_TYPES = [...TEXTED_EVENT_TYPES, 'OPTED-IN', 'OPTED-OUT'] as const;
export type EhrEventType = (typeof EHR_EVENT_TYPES)[number];

/**
 * Why the patient's phone cannot be texted: none given, unparseable, masked (***-***-1234), a
 * number that is not a mobile (a landline, toll-free), or a message from a training or debugging
 * feed (HL7 MSH-11 T/D), whose numbers are never texted. The appointment is recorded all the same.
 */
export const PHONE_PROBLEMS = [
  'NO_PHONE',
  'INVALID_PHONE',
  'MASKED_PHONE',
  'NOT_MOBILE',
  'TEST_MESSAGE',
] as const;
export type PhoneProblem = (typeof PHONE_PROBLEMS)[number];

/** Why a recorded appointment gets no texts: its phone, or a time already past when the EHR sent it. */
export const UNTEXTABLE_REASONS = [...PHONE_PROBLEMS, 'APPOINTMENT_PASSED'] as const;
export type UntextableReason = (typeof UNTEXTABLE_REASONS)[number];

/** One EHR event after parsing and normalisation, whatever format it arrived in. */
export interface AppointmentEvent {
  eventId: string;
  eventType: EhrEventType;
  /** ISO instant (UTC) the EHR says the event happened; orders events. */
  eventAt: string;
  /** ISO instant we received it. */
  receivedAt: string;
  appointmentId: string;
  /** ISO instant (UTC) of the appointment start. */
  start: string;
  /** Wall-clock time as the EHR sent it, e.g. 2026-12-01T15:30:00. */
  localStart: string;
  /** luxon zone: IANA name or fixed offset (UTC-7). */
  timeZone: string;
  location?: string;
  patient: {
    id: string;
    firstName?: string;
    lastName?: string;
    /** E.164; absent when the EHR sent none that can be texted (see phoneProblem). */
    phone?: string;
    /** Why there is no phone (set exactly when phone is absent). No PHI: a code. */
    phoneProblem?: PhoneProblem;
    /** BCP 47, e.g. en, es. */
    language: string;
  };
  provider?: {
    id?: string;
    firstName?: string;
    lastName?: string;
    callbackPhone?: string;
  };
  /**
   * The EHR says the patient arrived, checked in or was seen (FHIR arrived, checked-in, fulfilled):
   * details only; since rules 2 it never prompts, plans reminders or reopens a closed appointment.
   */
  attended?: true;
}

/** When the appointment is. */
export type AppointmentTiming = Pick<AppointmentEvent, 'start' | 'localStart' | 'timeZone'>;

/** The events that may come without a time: the workflow of the known appointment has it. */
export const UNTIMED_EVENT_TYPES: readonly EhrEventType[] = ['CANCELED', 'NOSHOWED'];

/**
 * A cancellation or no-show sent without the appointment's time (HL7 S15/S17/S26 often carry no
 * timing, a FHIR cancelled Appointment may omit `start`): it applies to the appointment as known.
 */
export type UntimedEvent = Omit<AppointmentEvent, keyof AppointmentTiming> & {
  [K in keyof AppointmentTiming]?: undefined;
};

/** An event as ingress hands it over: with its time, or a cancellation or no-show without. */
export type IngestedEvent = AppointmentEvent | UntimedEvent;

export function isTimed(event: IngestedEvent): event is AppointmentEvent {
  return event.start !== undefined;
}

export const APPOINTMENT_STATUSES = [
  'BOOKED',
  'CONFIRMED',
  'CANCEL_REQUESTED',
  'CANCELED',
  'NOSHOWED',
  'COMPLETED',
] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** The clinic's reminder settings, sent with each event (a reschedule plans with today's settings). */
export interface ReminderPolicy {
  /** Minutes before the appointment the first reminder is due; at least 1. */
  firstOffsetMinutes: number;
  /** Minutes before the appointment the second reminder is due; 0 = second reminder off; at most firstOffsetMinutes. */
  secondOffsetMinutes: number;
  /** Local minute of day the outreach window opens, 0..1439, inclusive. */
  windowStartMinutes: number;
  /** Local minute of day the outreach window closes, 1..1440, exclusive (1440 = midnight); after windowStartMinutes. */
  windowFinishMinutes: number;
}

export const REMINDER_KINDS = ['FIRST', 'SECOND'] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];

/** PENDING/SKIPPED from the planner; QUEUED once due and handed to the outbox; then SENT or FAILED. */
export const REMINDER_STATUSES = [
  'PENDING',
  'SKIPPED',
  'QUEUED',
  'SENT',
  'FAILED',
  'CANCELED',
  'SUPPRESSED',
] as const;
export type ReminderStatus = (typeof REMINDER_STATUSES)[number];

/** The texts an appointment sends (the phone conversation sends the rest of MESSAGE_KINDS). */
export const OUTBOUND_KINDS = [
  ...TEXTED_EVENT_TYPES,
  'REMINDER',
  'REPLY_CONFIRMED',
  'REPLY_CANCEL_REQUESTED',
] as const;
export type OutboundKind = (typeof OUTBOUND_KINDS)[number];

export const IGNORED_EVENT_REASONS = ['STALE', 'UNKNOWN_TIME'] as const;
export type IgnoredEventReason = (typeof IGNORED_EVENT_REASONS)[number];

export interface IgnoredEvent {
  eventId: string;
  eventType: EhrEventType;
  eventAt: string;
  /** STALE: older than the last applied event; UNKNOWN_TIME: no time given and none known. */
  reason: IgnoredEventReason;
}

/** What GET /v1/appointments/:appointment_id returns (ARCHITECTURE §3). */
export interface AppointmentView {
  appointmentId: string;
  status: AppointmentStatus;
  start: string;
  timeZone: string;
  localStart: string;
  optedOut: boolean;
  reminders: Array<{
    kind: ReminderKind;
    dueAt: string;
    sendAt: string | null;
    status: ReminderStatus;
    note?: string;
  }>;
  messages: Array<{
    kind: OutboundKind;
    sid: string | null;
    status: string;
    sentAt: string | null;
    error?: string;
  }>;
  ignoredEvents: IgnoredEvent[];
  callbacks: Array<{
    type: 'CONFIRM' | 'CANCEL';
    status: string;
    repliedAt: string;
    deliveredAt: string | null;
    error?: string;
  }>;
  lastEventAt: string;
  version: number;
  /**
   * Why this appointment gets no texts as of the last event: its phone, or a time already past.
   * Absent when it is textable. A later event with a textable number clears it.
   */
  untextable?: UntextableReason;
}

/** An event with the reminder settings in force when it arrived (a reschedule plans with today's settings). */
export interface EventEnvelope {
  event: IngestedEvent;
  policy: AppointmentPolicy;
}

/**
 * The workflow type new appointments start as. The API, tests and tools name it through this
 * constant only; older types stay registered until their runs have ended (README, Versioning).
 */
export const APPOINTMENT_WORKFLOW_TYPE = 'appointmentLifecycle';

export const ehrEventSignal = defineSignal<[EventEnvelope]>('ehrEvent');
export const appointmentViewQuery = defineQuery<AppointmentView>('appointmentView');
/** Lets the API answer `duplicate: true` without sending the event again. */
export const hasSeenEventQuery = defineQuery<boolean, [string]>('hasSeenEvent');

/**
 * Why "send the next reminder now" did nothing: no event applied yet, a status without reminders,
 * opted out, no number to text, the appointment has begun, or no reminder left pending.
 */
export type RemindNowRefusal =
  | 'NO_APPOINTMENT'
  | 'CANCEL_REQUESTED'
  | 'CANCELED'
  | 'NOSHOWED'
  | 'COMPLETED'
  | 'OPTED_OUT'
  | 'NO_PHONE'
  | 'APPOINTMENT_PASSED'
  | 'NO_PENDING_REMINDER';

/** What "send the next reminder now" did: the reminder now due (sent by the usual path), or why none. */
export type RemindNowResult = { reminder: ReminderKind; sendAt: string } | { none: RemindNowRefusal };

/**
 * The operator console's "send the next reminder now" (issue 13.4): an update, so it is recorded in
 * the history. The earliest pending reminder becomes due now and the usual send path sends it (daily
 * cap and opt-out included). Old histories hold no such update: adding it is replay-safe.
 */
export const sendNextReminderNowUpdate = defineUpdate<RemindNowResult>('sendNextReminderNow');

/** Workflow ids carry the EHR's appointment id only: never names or phone numbers. */
export function appointmentWorkflowId(appointmentId: string): string {
  return `appointment-${appointmentId}`;
}

export interface AppointmentPolicy extends ReminderPolicy {
  /** Reminders per phone number per local day (MAX_REMINDERS_PER_PHONE_PER_DAY); absent = 2. */
  maxRemindersPerPhonePerDay?: number;
  /** Hours the workflow stays open after the appointment for late events (no-shows). */
  retentionHours: number;
  customerCode: string;
}

/** How an appointment workflow is started (the run input adds the state carried across continue-as-new). */
export interface AppointmentWorkflowInput {
  appointmentId: string;
  /**
   * Upsert search attributes (default true). Only the time-skipping test server turns it off: it
   * implements no operator service, so our attributes cannot be registered there.
   */
  indexSearchAttributes?: boolean;
  /**
   * The behaviour rules the run applies (RulesVersion), kept across continue-as-new. Absent in
   * lifecycles started before version 3, which applied version 2.
   */
  rules?: RulesVersion;
}

/** The input of an appointment lifecycle started now: the newest behaviour. */
export function newAppointmentWorkflowInput(
  appointmentId: string,
  options: Pick<AppointmentWorkflowInput, 'indexSearchAttributes'> = {},
): AppointmentWorkflowInput {
  return { appointmentId, ...options, rules: CURRENT_RULES };
}
