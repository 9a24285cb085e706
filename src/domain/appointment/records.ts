/**
 * The appointment workflow's own state: the record the rules change, carried across continue-as-new
 * and written as snapshots. It lives with the rules that own it, not in `shared/`, which holds only
 * the wire contract (signals, queries, inputs, the view); the view is derived from it (view.ts).
 */
import type {
  AppointmentEvent,
  AppointmentPolicy,
  AppointmentStatus,
  IgnoredEvent,
  OutboundKind,
  ReminderKind,
  ReminderStatus,
  UntextableReason,
} from '../../shared/appointment';

export type ReminderSkipReason =
  'DUE_BEFORE_BOOKING' | 'NO_WINDOW_BEFORE_APPOINTMENT' | 'SEND_TIME_PASSED' | 'SAME_TIME_AS_FIRST';

export interface ReminderRecord {
  kind: ReminderKind;
  /** Appointment start minus the offset, ISO UTC. */
  dueAt: string;
  /** When to send, ISO UTC; null when skipped. */
  sendAt: string | null;
  skipReason?: ReminderSkipReason;
  status: ReminderStatus;
  /** Why it was suppressed or failed, e.g. OPTED_OUT, APPOINTMENT_CANCELED, SmsPermanentFailure:21211. */
  note?: string;
  /** Reschedules restart the allowance; the generation tells plans apart in the message key. */
  generation: number;
}

/** A patient's confirm or cancel request on its way to the EHR (ARCHITECTURE §5). */
export interface EhrCallbackRecord {
  /** Idempotency-Key: one per reply, whatever the number of attempts. */
  key: string;
  type: 'CONFIRM' | 'CANCEL';
  replyText: string;
  /** ISO instant of the patient's reply. */
  repliedAt: string;
  patientId: string;
  providerId?: string;
  status: 'PENDING' | 'DELIVERED' | 'REJECTED';
  deliveredAt?: string;
  error?: string;
}

export interface MessageRecord {
  /** Stable id of the logical text: a retry or replay reuses it, so a patient is never texted twice. */
  key: string;
  kind: OutboundKind;
  reminder?: ReminderKind;
  /** The plan generation of that reminder. */
  reminderGeneration?: number;
  /** Twilio message SID once accepted. */
  sid?: string;
  status: 'PENDING' | 'QUEUED' | 'SENT' | 'DELIVERED' | 'UNDELIVERED' | 'FAILED' | 'SKIPPED' | string;
  /** ISO instant the text was handed to Twilio. */
  sentAt?: string;
  /** The number it went to (rules 2; absent before): a prompt counts only for the number it reached. */
  to?: string;
  /** ISO instant it was decided. */
  createdAt: string;
  error?: { type: string; code?: number; message: string };
  skipReason?: string;
}

/** The whole workflow state: JSON, so it can be carried across continue-as-new and snapshotted. */
export interface AppointmentStateData {
  appointmentId: string;
  /** Latest appointment/patient/provider details (from the newest applied event). */
  details: AppointmentEvent | null;
  policy: AppointmentPolicy | null;
  status: AppointmentStatus;
  optedOut: boolean;
  lastEventAt: string;
  /** Most recent event ids, bounded: idempotency without unbounded memory. */
  seenEventIds: string[];
  /** Bumped by each (re)plan, so reminder message keys of a new plan differ from the old one's. */
  generation: number;
  reminders: ReminderRecord[];
  messages: MessageRecord[];
  ignoredEvents: IgnoredEvent[];
  /** Replies on their way to the EHR; absent in state carried from before replies existed. */
  callbacks?: EhrCallbackRecord[];
  /** Bumped on every state change. */
  version: number;
  /** Version of the last snapshot written: contiguous, never goes backwards. */
  snapshotSequence?: number;
  /**
   * The number, when its phone workflow said other appointments share it: reminders are then
   * reserved there (daily allowance across appointments); otherwise counted here.
   */
  sharedPhone?: string;
  /** Why the appointment gets no texts as of the last event (see AppointmentView.untextable). */
  untextable?: UntextableReason;
  /** Delivery reports that arrived before their text's send was recorded (rules 2), applied then. */
  earlyDeliveries?: Array<{ messageSid: string; status: string; errorCode?: number }>;
}
