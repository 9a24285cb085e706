/**
 * A Twilio-compatible sandbox: the part of Twilio's REST API (2010-04-01 Messages) that the real `twilio` SDK uses
 * to send, list and fetch SMS, answering with Twilio's JSON shapes and error codes, plus simulated delivery with
 * signed status callbacks. Messages persist in a SandboxMessageStore. Like Twilio it answers only its account's
 * credentials (HTTP Basic, the sandbox account SID and auth token; 401 / 20003 otherwise) and signs status
 * callbacks with that token.
 *
 * Simulated outcomes, by number (see the tables below):
 * - Twilio's test-credential magic `To` numbers fail at create with HTTP 400: +15005550001 → 21211 (invalid To),
 *   +15005550002 → 21612 (not reachable by SMS), +15005550003 → 21408 (region not enabled),
 *   +15005550004 → 21610 (unsubscribed recipient), +15005550009 → 21614 (not a mobile number).
 * - Transient failures (sandbox-only numbers): +15005550429 → 429 / 20429, +15005550500 → 500 / 20500,
 *   +15005550503 → 503 / 20503. Nothing is stored for a failed create, as with Twilio.
 * - Magic `From` numbers: +15005550001 → 21212 (invalid From), +15005550007 → 21606 (not your number),
 *   +15005550008 → 21611 (sender queue full; a 400 that is worth retrying).
 * - Accepted, then `undelivered` with an ErrorCode in the status callback (sandbox-only): +15005553003 → 30003,
 *   +15005553005 → 30005, +15005553006 → 30006 (landline), +15005553007 → 30007 (carrier filtering).
 * Every other E.164 number is accepted (`queued`, or `accepted` when sent through a Messaging Service without From),
 * then becomes `sent` and `delivered` after short delays. Like Twilio, delivery does not depend on the caller: texts
 * a restart of the API interrupted (still `accepted`/`queued`/`sent`) are delivered when the emulation starts again.
 *
 * Status callbacks go out like Twilio's (one per status, in order, signed): a StatusCallback may carry Twilio's
 * connection overrides as a URL fragment (`#rc=5&rp=all`), which is stripped before the request is made and signed,
 * and a failed callback is retried as it asks (see connectionOverrides below). Twilio does not die with our API, but
 * this emulation runs inside it: so each callback that lands is recorded in the store (`reported`), and when the
 * emulation starts it posts again the callback of any text whose current status was never reported (a stop of the
 * API cut it off). A status is thus reported at least once; the webhook dedupes the rest.
 *
 * Outages on demand (fault switch, `/v1/sandbox/faults/twilio`, see faultSwitch.ts): `503` and `429` answer every
 * Messages request with Twilio's 503 / 20503 or 429 / 20429 for N seconds; `timeout-after-accept` stores and delivers
 * each new text but never answers its create, so the sender's call times out and its retry must find the text
 * (src/activities/sms.ts) instead of sending it again. Listing and fetching answer normally in that mode.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { SANDBOX_ACCOUNT_SID, SANDBOX_FROM_NUMBER, SANDBOX_TWILIO_PATH } from '../activities/twilioClient';
import { basicCredentials, sameSecret } from '../http/security';
import { logger as defaultLogger, type Logger } from '../log';
import { FaultSwitch, faultSwitchRouter, holdWithoutAnswer } from './faultSwitch';
import type { SandboxMessage, SandboxMessageStatus, SandboxMessageStore } from './messageStore';

const API_VERSION = '2010-04-01';

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

/** The emulation's fault modes (see the module comment). */
export const TWILIO_FAULT_MODES = ['503', '429', 'timeout-after-accept'] as const;
export type TwilioFaultMode = (typeof TWILIO_FAULT_MODES)[number];
/** Where the Twilio emulation's fault switch is controlled (loopback only). */
export const TWILIO_FAULT_SWITCH_PATH = '/v1/sandbox/faults/twilio';

const FAULT_ERRORS: Readonly<Record<'503' | '429', TwilioError>> = {
  '503': { status: 503, code: 20503, message: 'Service Unavailable' },
  '429': { status: 429, code: 20429, message: 'Too Many Requests' },
};
/** A held create is dropped after this long if its caller never gives up (the SDK's own timeout is 15 s). */
const HELD_ANSWER_MAX_MS = 120_000;

export interface TwilioSandboxOptions {
  store: SandboxMessageStore;
  /** The sandbox account's auth token (AppConfig.sandboxTwilioAuthToken): requests must carry it, callbacks are signed with it. */
  authToken: string;
  /** The account SID requests must name; defaults to SANDBOX_ACCOUNT_SID. */
  accountSid?: string;
  logger?: Logger;
  /** Milliseconds before a new message becomes `sent`, then `delivered`. Defaults 300 and 700; use 0 in tests. */
  deliveryDelaysMs?: { sent?: number; delivered?: number };
  /** Path prefix the router answers under; defaults to SANDBOX_TWILIO_PATH (`/sandbox/twilio`). */
  basePath?: string;
  /**
   * When set, a StatusCallback must start with it (our own status webhook): the sandbox answers
   * without authentication, so it must not POST to whatever URL a caller names.
   */
  statusCallbackPrefix?: string;
  /** The fault switch; a new one (off) by default. Its control route is mounted at TWILIO_FAULT_SWITCH_PATH. */
  faults?: FaultSwitch<TwilioFaultMode>;
}

export type TwilioSandboxRouter = Router & {
  /** Resolves once every delivery simulation started so far (status updates and callbacks) has finished. */
  deliveriesSettled(): Promise<void>;
  readonly faults: FaultSwitch<TwilioFaultMode>;
};

/** Texts whose delivery simulation runs in this process, whichever router started it. */
const deliveringInThisProcess = new Set<string>();

/** Statuses of an accepted outbound text whose delivery had not finished (Twilio would go on with it). */
const UNFINISHED_STATUSES: ReadonlySet<SandboxMessageStatus> = new Set([
  'accepted',
  'queued',
  'sending',
  'sent',
]);

const E164 = /^\+[1-9]\d{6,14}$/;
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const MAX_BODY_CHARS = 1600;
const CALLBACK_TIMEOUT_MS = 5_000;
/** Wait before the first retry of a failed status callback, doubled for each further one (0.4, 0.8, 1.6, 3.2, 6.4 s). */
const CALLBACK_RETRY_FIRST_DELAY_MS = 400;
/** Callbacks owed from before a restart are posted only for texts whose status changed this recently. */
const RESUME_CALLBACKS_WITHIN_MS = 24 * 60 * 60 * 1000;

/** Form fields of a create request; urlencoded values arrive as strings (or arrays when repeated, which we refuse). */
const createMessageForm = z.object({
  To: z.string().trim().optional(),
  From: z.string().trim().optional(),
  MessagingServiceSid: z.string().trim().optional(),
  Body: z.string().optional(),
  StatusCallback: z.string().trim().optional(),
});

const listMessagesQuery = z.object({
  To: z.string().optional(),
  From: z.string().optional(),
  DateSent: z.string().optional(),
  'DateSent>': z.string().optional(),
  'DateSent<': z.string().optional(),
  PageSize: z.coerce.number().int().min(1).max(1000).default(50),
  Page: z.coerce.number().int().min(0).default(0),
});

/**
 * The Twilio REST emulation. Mount it at the app root (it prefixes its own routes with `basePath`) and point a
 * sandbox SDK client (createSandboxTwilioClient) at `<origin><basePath>`.
 */
export function createTwilioSandboxRouter(options: TwilioSandboxOptions): TwilioSandboxRouter {
  const { store } = options;
  const log = (options.logger ?? defaultLogger).child({ component: 'twilio-sandbox' });
  const delays = {
    sent: options.deliveryDelaysMs?.sent ?? 300,
    delivered: options.deliveryDelaysMs?.delivered ?? 700,
  };
  const pendingDeliveries = new Set<Promise<void>>();
  const faults = options.faults ?? new FaultSwitch(TWILIO_FAULT_MODES);
  const track = (delivery: Promise<void>, fields: Record<string, unknown>): void => {
    const tracked = delivery.catch((error: unknown) =>
      log.warn({ ...fields, err: error }, 'sandbox delivery simulation failed'),
    );
    pendingDeliveries.add(tracked);
    void tracked.finally(() => pendingDeliveries.delete(tracked));
  };
  const deliver = (message: SandboxMessage, accountSid: string): void => {
    deliveringInThisProcess.add(message.sid);
    track(
      simulateDelivery(message, accountSid, options.authToken).finally(() =>
        deliveringInThisProcess.delete(message.sid),
      ),
      { sid: message.sid },
    );
  };

  const sandboxAccountSid = options.accountSid ?? SANDBOX_ACCOUNT_SID;
  const api = express.Router();
  // An outage answers before anything else is looked at, as Twilio's edge does.
  api.use((_req, res, next) => {
    const fault = faults.active();
    if (fault === undefined || fault.mode === 'timeout-after-accept') return next();
    faults.hit();
    if (fault.retryAfterSeconds !== undefined) res.set('Retry-After', String(fault.retryAfterSeconds));
    sendTwilioError(res, FAULT_ERRORS[fault.mode]);
  });
  // Twilio answers 401 / 20003 to a wrong or missing account SID or token, before looking at anything else.
  api.use((req, res, next) => {
    if (isAccount(req, sandboxAccountSid, options.authToken)) return next();
    res.set('WWW-Authenticate', 'Basic realm="Twilio API"');
    sendTwilioError(res, { status: 401, code: 20003, message: 'Authenticate' });
  });
  api.use(express.urlencoded({ extended: false, limit: '64kb' }));

  api.post('/2010-04-01/Accounts/:AccountSid/Messages.json', async (req, res) => {
    const accountSid = req.params.AccountSid;
    if (!ACCOUNT_SID.test(accountSid)) return sendTwilioError(res, notFound(req.originalUrl));
    const form = createMessageForm.safeParse(req.body ?? {});
    if (!form.success) return sendTwilioError(res, invalidParameter(form.error));
    const request = validateCreate(form.data, options.statusCallbackPrefix);
    if ('code' in request) return sendTwilioError(res, request);
    const { to, from, body, messagingServiceSid, statusCallback } = request;

    const message = await store.add({
      to,
      from: from ?? SANDBOX_FROM_NUMBER,
      body,
      direction: 'outbound-api',
      // Twilio answers `accepted` while a Messaging Service picks the sender, `queued` otherwise.
      status: from === undefined ? 'accepted' : 'queued',
      ...(messagingServiceSid === undefined ? {} : { messagingServiceSid }),
      ...(statusCallback === undefined ? {} : { statusCallback }),
    });
    deliver(message, accountSid);
    // Accepted and on its way, but the answer is lost: the caller times out not knowing the text went.
    if (faults.active()?.mode === 'timeout-after-accept' && faults.hit() !== undefined) {
      holdWithoutAnswer(res, HELD_ANSWER_MAX_MS);
      return;
    }
    res.status(201).json(toTwilioMessage(message, accountSid));
  });

  api.get('/2010-04-01/Accounts/:AccountSid/Messages.json', async (req, res) => {
    const accountSid = req.params.AccountSid;
    if (!ACCOUNT_SID.test(accountSid)) return sendTwilioError(res, notFound(req.originalUrl));
    const query = listMessagesQuery.safeParse(req.query);
    if (!query.success) return sendTwilioError(res, invalidParameter(query.error));
    const range = parseDateSentRange(query.data);
    if ('code' in range) return sendTwilioError(res, range);

    const { Page: page, PageSize: pageSize } = query.data;
    const bounded = range.from !== undefined || range.to !== undefined;
    // Twilio lists the most recent first; only this page (and one message past it) is read from the store.
    const { messages, hasMore } = await store.listNewestFirst(
      { to: query.data.To, from: query.data.From },
      {
        skip: page * pageSize,
        limit: pageSize,
        ...(bounded
          ? { where: (message: SandboxMessage) => inRange(dateSentOrCreated(message), range) }
          : {}),
      },
    );
    res.json(toTwilioPage(messages, hasMore, accountSid, query.data));
  });

  api.get('/2010-04-01/Accounts/:AccountSid/Messages/:Sid.json', async (req, res) => {
    const message = ACCOUNT_SID.test(req.params.AccountSid) ? await store.get(req.params.Sid) : undefined;
    if (message === undefined) return sendTwilioError(res, notFound(req.originalUrl));
    res.json(toTwilioMessage(message, req.params.AccountSid));
  });

  api.use((req: Request, res: Response) => sendTwilioError(res, notFound(req.originalUrl)));
  api.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error({ err: error }, 'sandbox Twilio API failed');
    sendTwilioError(res, { status: 500, code: 20500, message: 'An internal server error has occurred' });
  });

  async function simulateDelivery(
    message: SandboxMessage,
    accountSid: string,
    authToken: string,
  ): Promise<void> {
    const undeliveredCode = SANDBOX_UNDELIVERABLE_RECIPIENTS[message.to];
    const steps: Array<{ status: SandboxMessageStatus; afterMs: number; errorCode?: number }> = [
      ...(message.status === 'sent' ? [] : [{ status: 'sent' as const, afterMs: delays.sent }]),
      undeliveredCode === undefined
        ? { status: 'delivered', afterMs: delays.delivered }
        : { status: 'undelivered', afterMs: delays.delivered, errorCode: undeliveredCode },
    ];
    // Callbacks go out in status order, but a callback being retried does not hold up delivery (Twilio's does not).
    let callbacks = Promise.resolve();
    for (const step of steps) {
      await sleep(step.afterMs);
      const updated = await store.updateStatus(message.sid, step.status, step.errorCode);
      if (updated?.statusCallback !== undefined) {
        callbacks = callbacks.then(() => reportStatus(updated, accountSid, authToken));
      }
    }
    await callbacks;
  }

  /** Posts the status callback (with the retries its URL asks for) and records it once it landed. */
  async function reportStatus(message: SandboxMessage, accountSid: string, authToken: string): Promise<void> {
    if (await postStatusCallback(message, accountSid, authToken, log)) {
      await store.markReported(message.sid, message.status);
    }
  }

  /**
   * Texts an earlier run of the API accepted but had not finished delivering when it stopped (or was killed). A text
   * is taken over once nothing moved it for longer than a delivery takes, so one another process is still delivering
   * (API processes sharing DATA_DIR) is left to it.
   */
  async function resumeDeliveries(): Promise<void> {
    const abandonedAfterMs = delays.sent + delays.delivered + 2 * CALLBACK_TIMEOUT_MS;
    const unfinished = (await store.list()).filter(
      (message) =>
        message.direction === 'outbound-api' &&
        UNFINISHED_STATUSES.has(message.status) &&
        !deliveringInThisProcess.has(message.sid),
    );
    if (unfinished.length === 0) return;
    log.info({ texts: unfinished.length }, 'sandbox resumes deliveries a restart interrupted');
    for (const message of unfinished) {
      track(
        (async () => {
          await sleep(Math.max(0, Date.parse(message.updatedAt) + abandonedAfterMs - Date.now()));
          const current = await store.get(message.sid);
          if (
            current !== undefined &&
            UNFINISHED_STATUSES.has(current.status) &&
            current.updatedAt === message.updatedAt &&
            !deliveringInThisProcess.has(current.sid)
          ) {
            deliver(current, sandboxAccountSid);
          }
        })(),
        { sid: message.sid },
      );
    }
  }

  /**
   * Status callbacks a stop of the API cut off: texts (with a StatusCallback) whose current status was never reported.
   * Twilio would have gone on posting them; the emulation posts each once more (with its retries), after the text was
   * idle for longer than a delivery and its callback take, so a callback another API process is still posting is
   * left to it. Texts still being delivered are left to resumeDeliveries, which reports their next status.
   */
  async function resumeCallbacks(): Promise<void> {
    const abandonedAfterMs = delays.sent + delays.delivered + 2 * CALLBACK_TIMEOUT_MS;
    const owed = (message: SandboxMessage): boolean =>
      message.statusCallback !== undefined &&
      message.direction !== 'inbound' &&
      !UNFINISHED_STATUSES.has(message.status) &&
      message.reportedStatus !== message.status &&
      !deliveringInThisProcess.has(message.sid);
    const cutOff = Date.now() - RESUME_CALLBACKS_WITHIN_MS;
    const unreported = (await store.list()).filter(
      (message) => owed(message) && Date.parse(message.updatedAt) >= cutOff,
    );
    if (unreported.length === 0) return;
    log.info({ texts: unreported.length }, 'sandbox posts status callbacks a restart cut off');
    for (const message of unreported) {
      track(
        (async () => {
          await sleep(Math.max(0, Date.parse(message.updatedAt) + abandonedAfterMs - Date.now()));
          const current = await store.get(message.sid);
          if (current === undefined || current.updatedAt !== message.updatedAt || !owed(current)) return;
          deliveringInThisProcess.add(current.sid);
          try {
            await reportStatus(current, sandboxAccountSid, options.authToken);
          } finally {
            deliveringInThisProcess.delete(current.sid);
          }
        })(),
        { sid: message.sid },
      );
    }
  }
  // In the background: start-up does not wait for the store to be read.
  track(new Promise<void>((resolve) => setImmediate(resolve)).then(resumeDeliveries), {
    step: 'resume deliveries',
  });
  track(new Promise<void>((resolve) => setImmediate(resolve)).then(resumeCallbacks), {
    step: 'resume status callbacks',
  });

  const router = express.Router();
  router.use(options.basePath ?? SANDBOX_TWILIO_PATH, api);
  router.use(faultSwitchRouter(TWILIO_FAULT_SWITCH_PATH, faults));
  return Object.assign(router, {
    faults,
    async deliveriesSettled(): Promise<void> {
      while (pendingDeliveries.size > 0) await Promise.allSettled([...pendingDeliveries]);
    },
  });
}

/** `GET /v1/sandbox/messages` → `[{sid,to,from,body,status,createdAt}]`, oldest first (ARCHITECTURE §6). */
export function createSandboxPublicRouter(store: SandboxMessageStore): Router {
  const query = z.object({ to: z.string().optional(), from: z.string().optional() });
  const router = express.Router();
  router.get('/v1/sandbox/messages', async (req, res) => {
    const filter = query.safeParse(req.query);
    if (!filter.success) {
      res.status(400).json({ error: 'to and from must be single values' });
      return;
    }
    const messages = await store.list(filter.data);
    res.json(
      messages.map(({ sid, to, from, body, status, createdAt }) => ({
        sid,
        to,
        from,
        body,
        status,
        createdAt,
      })),
    );
  });
  return router;
}

// ---------------------------------------------------------------------------------------------------------------
// Create validation
// ---------------------------------------------------------------------------------------------------------------

interface ValidCreateRequest {
  to: string;
  /** Absent when only a Messaging Service was given. */
  from?: string;
  body: string;
  messagingServiceSid?: string;
  statusCallback?: string;
}

/** Twilio's checks with its error codes, or the request with empty fields dropped. */
function validateCreate(
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

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function invalidParameter(error: z.ZodError): TwilioError {
  const names = [...new Set(error.issues.map((issue) => issue.path.map(String).join('.')))];
  return { status: 400, code: 20001, message: `Invalid parameter: ${names.join(', ')}` };
}

function notFound(path: string): TwilioError {
  return { status: 404, code: 20404, message: `The requested resource ${path.split('?')[0]} was not found` };
}

function sendTwilioError(res: Response, error: TwilioError): void {
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
interface DateRange {
  from?: number;
  to?: number;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Twilio's `DateSent` (that UTC day), `DateSent>` (on or after) and `DateSent<` (on or before). A date-only value
 * means whole UTC days (`DateSent<=2024-05-01` includes all of May 1); a date-time value is an exact instant.
 */
function parseDateSentRange(query: {
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
function dateSentOrCreated(message: SandboxMessage): number {
  return Date.parse(message.sentAt ?? message.createdAt);
}

function inRange(instant: number, range: DateRange): boolean {
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
function toTwilioPage(
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

// ---------------------------------------------------------------------------------------------------------------
// Status callbacks
// ---------------------------------------------------------------------------------------------------------------

/** Failure classes of Twilio's retry policy (`rp`): answered 4xx or 5xx, could not connect, no answer in time. */
type RetryClass = '4xx' | '5xx' | 'ct' | 'rt';

/**
 * Twilio's webhook connection overrides that the emulation honours, read from a URL's fragment
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides):
 * - `rc` retry count, 0-5 (more counts as 5). Without overrides Twilio's defaults apply: 1 retry, policy `ct`.
 * - `rp` retry policy, a comma list of `4xx`, `5xx`, `ct` (connection refused/failed), `rt` (no answer within the
 *   timeout), or `all`; default `ct`.
 * - `tt` total time in ms for all attempts, 100-15000 (default and most 15000): no retry starts after it.
 * Other keys (`ct`/`rt` timeouts, `e` edge, `sni`) are accepted and ignored. The fragment is never requested or signed.
 */
export interface ConnectionOverrides {
  /** The URL without its fragment: what is requested and signed. */
  url: string;
  retries: number;
  policy: ReadonlySet<RetryClass>;
  totalTimeMs: number;
}

const MAX_RETRIES = 5;
const MAX_TOTAL_TIME_MS = 15_000;
const ALL_RETRY_CLASSES: readonly RetryClass[] = ['4xx', '5xx', 'ct', 'rt'];

export function connectionOverrides(callbackUrl: string): ConnectionOverrides {
  const hash = callbackUrl.indexOf('#');
  const url = hash === -1 ? callbackUrl : callbackUrl.slice(0, hash);
  const fragment = new URLSearchParams(hash === -1 ? '' : callbackUrl.slice(hash + 1));
  const integer = (name: string): number | undefined => {
    const value = fragment.get(name);
    return value !== null && /^\d{1,6}$/.test(value) ? Number(value) : undefined;
  };
  const policy = new Set<RetryClass>();
  for (const name of (fragment.get('rp') ?? 'ct').split(',')) {
    const item = name.trim().toLowerCase();
    if (item === 'all') ALL_RETRY_CLASSES.forEach((kind) => policy.add(kind));
    else if ((ALL_RETRY_CLASSES as readonly string[]).includes(item)) policy.add(item as RetryClass);
  }
  return {
    url,
    retries: Math.min(integer('rc') ?? 1, MAX_RETRIES),
    policy,
    totalTimeMs: Math.min(Math.max(integer('tt') ?? MAX_TOTAL_TIME_MS, 100), MAX_TOTAL_TIME_MS),
  };
}

/**
 * POSTs Twilio's status callback form, signed like Twilio (on the URL without its fragment) so the real webhook
 * validation accepts it, retrying as the URL's connection overrides ask. Resolves whether it was answered 2xx.
 */
async function postStatusCallback(
  message: SandboxMessage,
  accountSid: string,
  authToken: string,
  log: Logger,
): Promise<boolean> {
  if (message.statusCallback === undefined) return false;
  const overrides = connectionOverrides(message.statusCallback);
  const params: Record<string, string> = {
    AccountSid: accountSid,
    ApiVersion: API_VERSION,
    From: message.from,
    MessageSid: message.sid,
    MessageStatus: message.status,
    SmsSid: message.sid,
    SmsStatus: message.status,
    To: message.to,
    ...(message.messagingServiceSid === undefined
      ? {}
      : { MessagingServiceSid: message.messagingServiceSid }),
    ...(message.errorCode === undefined ? {} : { ErrorCode: String(message.errorCode) }),
  };
  const signature = twilio.getExpectedTwilioSignature(authToken, overrides.url, params);
  const fields = { sid: message.sid, messageStatus: message.status };
  const deadline = Date.now() + overrides.totalTimeMs;
  for (let attempt = 0, backoffMs = CALLBACK_RETRY_FIRST_DELAY_MS; ; attempt++, backoffMs *= 2) {
    const failure = await attemptCallback(overrides.url, signature, params);
    if (failure === undefined) return true;
    const retry =
      attempt < overrides.retries && overrides.policy.has(failure.kind) && Date.now() + backoffMs < deadline;
    log.warn(
      { ...fields, attempt: attempt + 1, failure: failure.kind, httpStatus: failure.httpStatus, retry },
      'sandbox status callback failed',
    );
    if (!retry) return false;
    await sleep(backoffMs);
  }
}

/** One POST of a status callback: undefined when answered 2xx, else how it failed. */
async function attemptCallback(
  url: string,
  signature: string,
  params: Record<string, string>,
): Promise<{ kind: RetryClass; httpStatus?: number } | undefined> {
  const timeout = AbortSignal.timeout(CALLBACK_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': signature,
        'User-Agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(params),
      signal: timeout,
    });
    await response.arrayBuffer(); // drain, so the connection is released
    if (response.ok) return undefined;
    return { kind: response.status >= 500 ? '5xx' : '4xx', httpStatus: response.status };
  } catch {
    // Aborted by our timeout: the server took the request but did not answer in time; otherwise no connection.
    return { kind: timeout.aborted ? 'rt' : 'ct' };
  }
}

/** Whether the request's Basic credentials are `sid:token` and its path names the same account. */
function isAccount(req: Request, sid: string, token: string): boolean {
  const credentials = basicCredentials(req);
  const pathAccount = /^\/2010-04-01\/Accounts\/([^/]+)\//.exec(req.path)?.[1];
  return (
    credentials !== undefined &&
    credentials.user === sid &&
    pathAccount === sid &&
    sameSecret(credentials.password, token)
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
