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
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { SANDBOX_ACCOUNT_SID, SANDBOX_FROM_NUMBER, SANDBOX_TWILIO_PATH } from '../activities/twilioClient';
import { basicCredentials, sameSecret } from '../http/security';
import { logger as defaultLogger, type Logger } from '../log';
import { FaultSwitch, faultSwitchRouter, holdWithoutAnswer } from './faultSwitch';
import {
  createMessageForm,
  dateSentOrCreated,
  inRange,
  invalidParameter,
  listMessagesQuery,
  notFound,
  parseDateSentRange,
  SANDBOX_UNDELIVERABLE_RECIPIENTS,
  sendTwilioError,
  toTwilioMessage,
  toTwilioPage,
  validateCreate,
  type TwilioError,
} from './twilioMessagesApi';
import { CALLBACK_TIMEOUT_MS, postStatusCallback } from './twilioStatusCallbacks';

import type { SandboxMessage, SandboxMessageStatus, SandboxMessageStore } from './messageStore';

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

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
/** Callbacks owed from before a restart are posted only for texts whose status changed this recently. */
const RESUME_CALLBACKS_WITHIN_MS = 24 * 60 * 60 * 1000;

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
