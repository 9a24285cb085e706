/**
 * Names shared by the API, the worker and the workflows: task queue default, search attributes.
 * Kept free of Node-only imports so workflow code can import it.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes operators filter on in the Web UI. No names or phone numbers, ever. */
export const SEARCH_ATTRIBUTES = {
  appointmentId: defineSearchAttributeKey('AppointmentId', SearchAttributeType.KEYWORD),
  appointmentStatus: defineSearchAttributeKey('AppointmentStatus', SearchAttributeType.KEYWORD),
  appointmentStart: defineSearchAttributeKey('AppointmentStart', SearchAttributeType.DATETIME),
  nextReminderAt: defineSearchAttributeKey('NextReminderAt', SearchAttributeType.DATETIME),
  customerCode: defineSearchAttributeKey('CustomerCode', SearchAttributeType.KEYWORD),
  /** Why the patient's phone cannot be texted (NO_PHONE, INVALID_PHONE, MASKED_PHONE, NOT_MOBILE); unset when it can. */
  untextableReason: defineSearchAttributeKey('UntextableReason', SearchAttributeType.KEYWORD),
} as const;

/** The `temporal server start-dev --search-attribute` type names for each key. */
export const SEARCH_ATTRIBUTE_CLI_TYPES: Readonly<Record<string, string>> = {
  AppointmentId: 'Keyword',
  AppointmentStatus: 'Keyword',
  AppointmentStart: 'Datetime',
  NextReminderAt: 'Datetime',
  CustomerCode: 'Keyword',
  UntextableReason: 'Keyword',
};
