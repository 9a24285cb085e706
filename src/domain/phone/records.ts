/**
 * The phone conversation workflow's own state: its record, carried across continue-as-new, and the
 * phone record it leaves behind when it ends. It lives with the rules that own it, not in `shared/`,
 * which holds only the wire contract (signals, updates, inputs, the linked appointment).
 */
import type { LinkedAppointment } from '../../shared/phone';

/** A text the conversation itself sent (help, not understood, which-one question). */
export interface PhoneOutboxRecord {
  key: string;
  kind: 'HELP' | 'NOT_UNDERSTOOD' | 'DISAMBIGUATE';
  language: string;
  status: string;
  sid?: string;
}

export interface PhoneStateData {
  phone: string;
  optedOut: boolean;
  appointments: LinkedAppointment[];
  /** A numbered question is open: the next number picks an appointment for this reply. */
  awaitingChoice: {
    kind: 'CONFIRM' | 'CANCEL_REQUEST';
    replyText: string;
    options: string[];
    askedAt: string;
  } | null;
  /** Recent message SIDs, bounded: Twilio may deliver a webhook twice. */
  seenMessageSids: string[];
  /** Reminder reservations by message key, pruned to recent days. */
  reservations: Array<{
    messageKey: string;
    localDay: string;
    allowed: boolean;
    reason?: string;
    /** The reminder was dropped or failed after it was granted: it no longer counts toward the cap. */
    released?: boolean;
  }>;
  /** Texts the conversation itself sends (help, not understood, which-one question). */
  outbox: PhoneOutboxRecord[];
  version: number;
  /**
   * Appointments told that their number is shared (they then reserve reminders here, for the
   * daily allowance); absent in state carried from before the lean lifecycle.
   */
  sharedNotified?: string[];
  /**
   * The last text on this number that asked for an answer (a booking text or a reminder granted
   * here): replies are read in its language since rules 3. Absent until one is known.
   */
  lastPrompt?: { appointmentId: string; language: string };
  /** ISO instant of the last reply or appointment link: a conversation ends a day after (rules 3). */
  lastActivityAt?: string;
  /** A phone record exists for this number (read at start or written at an end): it must be kept current. */
  recordKept?: boolean;
}

/**
 * What a phone conversation leaves behind when it ends (nothing left to do): its opt-out state, for
 * the next conversation on the number. Stored beside the snapshots under the phone workflow id.
 */
export interface PhoneRecord {
  optedOut: boolean;
  /** The conversation's state version when it ended; the next run counts on from it. */
  version: number;
}
