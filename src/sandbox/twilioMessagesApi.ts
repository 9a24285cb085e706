/**
 * The part of Twilio's Messages API (2010-04-01) the sandbox speaks: the error answers by magic number, what a
 * create must carry, the DateSent filters of a listing, and Twilio's JSON shapes. No state, no I/O: the router
 * (twilioSandbox.ts) applies them.
 */
import type { Response } from 'express';
import { z } from 'zod';
import type { SandboxMessage } from './messageStore';

export const API_VERSION = '2010-04-01';

export interface TwilioError {
  status: number;
  code: number;
  message: string;
}

/** Failures at create time by recipient (Twilio's magic test numbers, plus sandbox-only transient ones). */
export const SANDBOX_REJECTED_RECIPIENTS: Readonly<Record<string, TwilioError>> = {
  '+15005550001': {
    status: 400,
    code: 21211,
    message: "The 'To' number +15005550001 is not a valid phone number.",
  },
  '+15005550002': {
    status: 400,
    code: 21612,
    message: "The 'To' phone number: +15005550002, is not currently reachable via SMS.",
  },
  '+15005550003': {
    status: 400,
    code: 21408,
    message: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number.",
  },
  '+15005550004': { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' },
  '+15005550009': { status: 400, code: 21614, message: "'To' number is not a valid mobile number" },
  '+15005550429': { status: 429, code: 20429, message: 'Too Many Requests' },
  '+15005550500': { status: 500, code: 20500, message: 'An internal server error has occurred' },
  '+15005550503': { status: 503, code: 20503, message: 'Service Unavailable' },
};

/** Failures at create time by sender (Twilio's magic From numbers). */
export const SANDBOX_REJECTED_SENDERS: Readonly<Record<string, TwilioError>> = {
  '+15005550001': {
    status: 400,
    code: 21212,
    message:
      "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID.",
  },
  '+15005550007': {
    status: 400,
    code: 21606,
    message: "The 'From' phone number provided is not a valid message-capable Twilio phone number.",
  },
  '+15005550008': {
    status: 400,
    code: 21611,
    message: "This 'From' number has exceeded the maximum number of queued messages",
  },
};

/** Recipients whose messages are accepted and then reported `undelivered` with this error code. */
export const SANDBOX_UNDELIVERABLE_RECIPIENTS: Readonly<Record<string, number>> = {
  '+15005553003': 30003,
  '+15005553005': 30005,
  '+15005553006': 30006,
  '+15005553007': 30007,
};

export const createMessageForm = z.object({
  To: z.string().trim().optional(),
  From: z.string().trim().optional(),
  MessagingServiceSid: z.string().trim().optional(),
  Body: z.string().optional(),
  StatusCallback: z.string().trim().optional(),
});

export const listMessagesQuery = z.object({
  To: z.string().optional(),
  From: z.string().optional(),
  DateSent: z.string().optional(),
  'DateSent>': z.string().optional(),
  'DateSent<': z.string().optional(),
  PageSize: z.coerce.number().int().min(1).max(1000).default(50),
  Page: z.coerce.number().int().min(0).default(0),
});

const E164 = /^\+[1-9]\d{6,14}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const MAX_BODY_CHARS = 1600;
// ---------------------------------------------------------------------------------------------------------------
// Create validation
// ---------------------------------------------------------------------------------------------------------------

export interface ValidCreateRequest {
  to: string;
  /** Absent when only a Messaging Service was given. */
  from?: string;
  body: string;
  messagingServiceSid?: string;
  statusCallback?: string;
}

/** Twilio's checks with its error codes, or the request with empty fields dropped. */
export function validateCreate(
  form: z.output<typeof createMessageForm>,
  statusCallbackPrefix?: string,
): ValidCreateRequest | TwilioError {
  const to = form.To || undefined;
  const from = form.From || undefined;
  const messagingServiceSid = form.MessagingServiceSid || undefined;
  const body = form.Body || undefined;
  const statusCallback = form.StatusCallback || undefined;
  if (to === undefined) return { status: 400, code: 21604, message: "A 'To' phone number is required." };
  if (from === undefined && messagingServiceSid === undefined) {
    return { status: 400, code: 21603, message: "A 'From' phone number is required." };
  }
  if (body === undefined) return { status: 400, code: 21602, message: 'Message body is required.' };
  if (body.length > MAX_BODY_CHARS) {
    return {
      status: 400,
      code: 21617,
      message: 'The concatenated message body exceeds the 1600 character limit.',
    };
  }
  if (messagingServiceSid !== undefined && !MESSAGING_SERVICE_SID.test(messagingServiceSid)) {
    return { status: 400, code: 21701, message: 'The Messaging Service does not exist' };
  }
  if (from !== undefined) {
    const senderRejection = SANDBOX_REJECTED_SENDERS[from];
    if (senderRejection !== undefined) return senderRejection;
    if (!E164.test(from)) {
      return { status: 400, code: 21212, message: `The 'From' number ${from} is not a valid phone number.` };
    }
  }
  const recipientRejection = SANDBOX_REJECTED_RECIPIENTS[to];
  if (recipientRejection !== undefined) return recipientRejection;
  if (!E164.test(to)) {
    return { status: 400, code: 21211, message: `The 'To' number ${to} is not a valid phone number.` };
  }
  if (statusCallback !== undefined && !isHttpUrl(statusCallback)) {
    return { status: 400, code: 21609, message: 'The StatusCallback URL is not a valid URL.' };
  }
  if (
    statusCallback !== undefined &&
    statusCallbackPrefix !== undefined &&
    !statusCallback.startsWith(statusCallbackPrefix)
  ) {
    return {
      status: 400,
      code: 21609,
      message: `The sandbox only reports delivery to ${statusCallbackPrefix}.`,
    };
  }
  return {
    to,
    body,
    ...(from === undefined ? {} : { from }),
    ...(messagingServiceSid === undefined ? {} : { messagingServiceSid }),
    ...(statusCallback === undefined ? {} : { statusCallback }),
  };
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function invalidParameter(error: z.ZodError): TwilioError {
  const names = [...new Set(error.issues.map((issue) => issue.path.map(String).join('.')))];
  return { status: 400, code: 20001, message: `Invalid parameter: ${names.join(', ')}` };
}

export function notFound(path: string): TwilioError {
  return { status: 404, code: 20404, message: `The requested resource ${path.split('?')[0]} was not found` };
}

export function sendTwilioError(res: Response, error: TwilioError): void {
  res.status(error.status).json({
    code: error.code,
    message: error.message,
    more_info: `https://www.twilio.com/docs/errors/${error.code}`,
    status: error.status,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// DateSent filters
// ---------------------------------------------------------------------------------------------------------------

/** Inclusive bounds in epoch milliseconds. */
export interface DateRange {
  from?: number;
  to?: number;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Twilio's `DateSent` (that UTC day), `DateSent>` (on or after) and `DateSent<` (on or before). A date-only value
 * means whole UTC days (`DateSent<=2024-05-01` includes all of May 1); a date-time value is an exact instant.
 */
export function parseDateSentRange(query: {
  DateSent?: string | undefined;
  'DateSent>'?: string | undefined;
  'DateSent<'?: string | undefined;
}): DateRange | TwilioError {
  const range: DateRange = {};
  const bounds: Array<[string, string | undefined, (instant: number, dateOnly: boolean) => void]> = [
    [
      'DateSent',
      query.DateSent,
      (instant) => {
        const dayStart = instant - (instant % DAY_MS);
        range.from = Math.max(range.from ?? -Infinity, dayStart);
        range.to = Math.min(range.to ?? Infinity, dayStart + DAY_MS - 1);
      },
    ],
    [
      'DateSent>',
      query['DateSent>'],
      (instant) => {
        range.from = Math.max(range.from ?? -Infinity, instant);
      },
    ],
    [
      'DateSent<',
      query['DateSent<'],
      (instant, dateOnly) => {
        range.to = Math.min(range.to ?? Infinity, dateOnly ? instant + DAY_MS - 1 : instant);
      },
    ],
  ];
  for (const [name, value, apply] of bounds) {
    if (value === undefined || value === '') continue;
    const dateOnly = DATE_ONLY.test(value);
    const instant = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(instant)) {
      return {
        status: 400,
        code: 20001,
        message: `Invalid ${name}: expected YYYY-MM-DD or an ISO 8601 date-time`,
      };
    }
    apply(instant, dateOnly);
  }
  return range;
}

/** Sandbox leniency: a message not yet `sent` is dated by its creation, so a just-created message is listable. */
export function dateSentOrCreated(message: SandboxMessage): number {
  return Date.parse(message.sentAt ?? message.createdAt);
}

export function inRange(instant: number, range: DateRange): boolean {
  return (
    (range.from === undefined || instant >= range.from) && (range.to === undefined || instant <= range.to)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Twilio JSON shapes
// ---------------------------------------------------------------------------------------------------------------

/** RFC 2822 as Twilio writes it: `Tue, 02 Dec 2025 15:30:00 +0000`. */
function rfc2822(iso: string | undefined): string | null {
  return iso === undefined ? null : new Date(iso).toUTCString().replace(/GMT$/, '+0000');
}

function messagesUri(accountSid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}/Messages`;
}

export function toTwilioMessage(message: SandboxMessage, accountSid: string): Record<string, unknown> {
  const uri = `${messagesUri(accountSid)}/${message.sid}`;
  return {
    account_sid: accountSid,
    api_version: API_VERSION,
    body: message.body,
    date_created: rfc2822(message.createdAt),
    date_sent: rfc2822(message.sentAt),
    date_updated: rfc2822(message.updatedAt),
    direction: message.direction,
    error_code: message.errorCode ?? null,
    error_message: null,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid ?? null,
    num_media: '0',
    num_segments: String(message.numSegments),
    price: null,
    price_unit: 'USD',
    sid: message.sid,
    status: message.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: message.to,
    uri: `${uri}.json`,
  };
}

/** One page of a list: `pageMessages` are the page's messages, `hasMore` whether any match lies past them. */
export function toTwilioPage(
  pageMessages: readonly SandboxMessage[],
  hasMore: boolean,
  accountSid: string,
  query: z.output<typeof listMessagesQuery>,
): Record<string, unknown> {
  const { Page: page, PageSize: pageSize } = query;
  const start = page * pageSize;
  const pageUri = (pageNumber: number): string => {
    const params = new URLSearchParams();
    for (const name of ['To', 'From', 'DateSent', 'DateSent>', 'DateSent<'] as const) {
      const value = query[name];
      if (value !== undefined) params.set(name, value);
    }
    params.set('PageSize', String(pageSize));
    params.set('Page', String(pageNumber));
    return `${messagesUri(accountSid)}.json?${params.toString()}`;
  };
  return {
    first_page_uri: pageUri(0),
    end: start + Math.max(pageMessages.length - 1, 0),
    previous_page_uri: page > 0 ? pageUri(page - 1) : null,
    messages: pageMessages.map((message) => toTwilioMessage(message, accountSid)),
    uri: pageUri(page),
    page_size: pageSize,
    start,
    // The SDK follows next_page_uri (through the sandbox client) when a list spans pages.
    next_page_uri: hasMore ? pageUri(page + 1) : null,
    page,
  };
}
