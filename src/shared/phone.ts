/**
 * The phone conversation workflow's wire contract, and nothing else: one workflow per phone number,
 * the inbox and the reminder allowance of that number. Its id is a hash, so no phone number reaches
 * Temporal's visibility store or the Web UI's list. The workflow's own state lives with its rules
 * (domain/phone/records.ts).
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AppointmentStatus } from './appointment';
import { CURRENT_RULES, type RulesVersion } from './rulesVersion';

/** What the phone workflow needs to know of each appointment texted to its number. */
export interface LinkedAppointment {
  appointmentId: string;
  workflowId: string;
  status: AppointmentStatus;
  /** ISO instant of the appointment. */
  start: string;
  timeZone: string;
  language: string;
  firstName?: string;
  provider?: string;
  callbackPhone?: string;
  /** The patient was asked to confirm or cancel (booking text or reminder sent). */
  prompted: boolean;
  /** Reminder allowance per local day of the patient. */
  maxRemindersPerDay: number;
  customerName?: string;
}

/**
 * A patient's text, as Twilio's inbound webhook reports it: one type from the webhook to the phone
 * workflow. The number (`from`) names that workflow (hashed), so its signal leaves it out.
 */
export interface InboundText {
  messageSid: string;
  /** The patient's number (E.164 as Twilio sends it). */
  from: string;
  /** Our number the patient texted, when known. */
  to?: string;
  /** As the patient typed it (not trimmed); may be empty (an MMS without text). */
  body: string;
  /** ISO 8601 instant the webhook request arrived (a Twilio retry gets a later one; dedupe by messageSid). */
  receivedAt: string;
}

/** The phone workflow's `inboundReply` signal: the text without its addresses. */
export type InboundReply = Pick<InboundText, 'messageSid' | 'body' | 'receivedAt'>;

export interface ReminderReservation {
  appointmentId: string;
  /** The reminder's message key: a retried reservation gets the same answer. */
  messageKey: string;
  /** The patient's local date of the send, YYYY-MM-DD. */
  localDay: string;
}

export type ReservationAnswer = { allowed: true } | { allowed: false; reason: 'OPTED_OUT' | 'DAILY_CAP' };

/** How a phone workflow is started (the run input adds the state carried across continue-as-new). */
export interface PhoneWorkflowInput {
  phone: string;
  /**
   * Sends its texts and signals appointments through local activities. Set by everything that
   * starts a phone workflow since the lean lifecycle; runs started before keep signalling
   * externally (their histories must replay) until they continue-as-new, which sets it.
   */
  localActivities?: boolean;
  /** The behaviour rules the run applies (RulesVersion); absent in runs started before version 2. */
  rules?: RulesVersion;
}

/** The input of a phone workflow started now (or continued as new): the newest behaviour. */
export function newPhoneWorkflowInput(phone: string): PhoneWorkflowInput {
  return { phone, localActivities: true, rules: CURRENT_RULES };
}

/** What the Web UI lists a phone conversation as (user metadata; the number stays hidden). */
export const PHONE_WORKFLOW_SUMMARY = {
  staticSummary: 'Phone conversation (the number is hidden: a keyed hash names it)',
  staticDetails:
    'Routes replies from one phone number to its appointments, keeps its STOP state and shared daily reminder cap.',
} as const;

/** The patient's answer, routed to one appointment workflow by the phone workflow. */
export interface PatientReply {
  kind: 'CONFIRM' | 'CANCEL_REQUEST' | 'OPT_OUT' | 'OPT_IN';
  messageSid: string;
  replyText: string;
  receivedAt: string;
}

/** Twilio's report on one text we sent (its status callback): one type from the webhook to the workflow. */
export interface DeliveryReport {
  messageSid: string;
  /** Twilio's MessageStatus, lowercase: queued|sending|sent|delivered|undelivered|failed|read|… */
  status: string;
  errorCode?: number;
  to?: string;
  /** The `appointmentId` query parameter of the StatusCallback URL we gave Twilio for that text (sendSms adds it). */
  appointmentId?: string;
}

/** The appointment workflow's `deliveryUpdate` signal: the report without its routing fields. */
export type DeliveryUpdate = Pick<DeliveryReport, 'messageSid' | 'status' | 'errorCode'>;

export const inboundReplySignal = defineSignal<[InboundReply]>('inboundReply');
/** Links an appointment to its number; answers whether the number has opted out (STOP). */
export const linkAppointmentUpdate = defineUpdate<{ optedOut: boolean }, [LinkedAppointment]>(
  'linkAppointment',
);
export const reserveReminderUpdate = defineUpdate<ReservationAnswer, [ReminderReservation]>(
  'reserveReminder',
);
/**
 * Links (or refreshes) an appointment on its number without waiting for an answer: the lean
 * lifecycle sends it with signal-with-start, so no text waits on the phone workflow. The phone
 * answers only when it matters: an OPT_OUT reply if the number said STOP, `phoneShared` once a
 * second appointment shares the number.
 */
export const appointmentLinkedSignal = defineSignal<[LinkedAppointment]>('appointmentLinked');
/** A granted reminder did not go out (dropped or failed): it no longer counts toward the daily cap. */
export const reminderReleasedSignal = defineSignal<[{ messageKey: string }]>('reminderReleased');
/** The appointment moved to another number: this conversation forgets it (its replies and STOP no longer reach it). */
export const appointmentUnlinkedSignal = defineSignal<[{ appointmentId: string }]>('appointmentUnlinked');

/** Signals into the appointment workflow from the phone workflow and the status webhook. */
export const patientReplySignal = defineSignal<[PatientReply]>('patientReply');
export const deliveryUpdateSignal = defineSignal<[DeliveryUpdate]>('deliveryUpdate');

/** The phone workflow tells an appointment that its number carries other appointments too. */
export interface PhoneShared {
  /** The number concerned: an appointment whose number has changed since ignores it. */
  phone: string;
}
export const phoneSharedSignal = defineSignal<[PhoneShared]>('phoneShared');
