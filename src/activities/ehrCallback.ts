/**
 * The `notifyEhr` activity: posts a patient's confirm or cancel reply back to the EHR integration endpoint
 * (ARCHITECTURE §5, "write-back").
 *
 * Request: `POST <EHR_CALLBACK_URL>` with the JSON body serialized once; the same bytes are signed and sent, with
 * `Content-Type: application/json`, `Idempotency-Key: <key>` (identical on every attempt of one callback) and
 * `X-Signature: sha256=<hex HMAC-SHA256 of the body bytes with EHR_CALLBACK_SECRET>`, and
 * `X-Signature-Timestamp: <unix seconds>` with `X-Timestamp-Signature: sha256=<hex HMAC of "<timestamp>.<body>">`
 * for receivers that refuse replays (window SIGNATURE_REPLAY_WINDOW_SECONDS).
 *
 * Failure semantics (the workflow's retry policy relies on them):
 * - 2xx → acknowledged, done.
 * - 4xx other than 408/429 → non-retryable `EhrCallbackRejected`, details `{ status }`: the EHR refuses this request
 *   and will refuse it again; the workflow records it as visible state.
 * - 408, 429, 3xx, 5xx, network errors and timeouts → retryable `EhrCallbackUnavailable`. A `Retry-After` answer
 *   (seconds or HTTP-date) sets the failure's `nextRetryDelay`, so Temporal waits that long instead of its backoff.
 *   Redirects are not followed (a signed body must not travel to an address nobody configured); they are retried so
 *   that pending callbacks go out once an operator corrects EHR_CALLBACK_URL and restarts the worker.
 * Failure messages and logs carry ids, statuses and attempt numbers only: bodies hold the patient's reply and ids,
 * and failure messages are stored unencrypted in workflow history.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import type { Logger } from '../log';
import { EHR_CALLBACK_REJECTED, NOTIFY_EHR_OPTIONS } from '../shared/activityOptions';
import { countEhrCallback } from '../metrics/registry';

/** The built-in receiver's secret and path (src/sandbox/ehrCallbackReceiver.ts), where callbacks go in sandbox mode. */
export const SANDBOX_EHR_CALLBACK_SECRET = 'sandbox-callback-secret';
export const SANDBOX_EHR_CALLBACK_PATH = '/sandbox/ehr-callbacks';

/** Where `notifyEhr` posts in sandbox mode: the API's receiver, e.g. `http://127.0.0.1:3000/sandbox/ehr-callbacks`. */
export function sandboxEhrCallbackUrl(apiOrigin: string): string {
  return `${apiOrigin.replace(/\/+$/, '')}${SANDBOX_EHR_CALLBACK_PATH}`;
}

export type EhrCallbackEventType = 'CONFIRM' | 'CANCEL';

/** The JSON body of a callback, field names as ARCHITECTURE §5 fixes them. */
export interface EhrCallbackBody {
  event_type: EhrCallbackEventType;
  appointment_id: string;
  patient_id: string;
  provider_id?: string;
  /** ISO 8601 instant ending in `Z`: when the patient replied. */
  event_datetime_utc: string;
  /** The patient's reply as received (PHI: never logged). */
  reply_text: string;
}

export interface EhrCallbackInput {
  /**
   * One per logical callback, identical on every attempt (e.g. `<appointmentId>:<reply MessageSid>:CONFIRM`), so
   * the EHR can drop redeliveries. Logged and sent in a header: no phone numbers or names in it. The body must be
   * the same for the same key (build it in the workflow, not here): a careful EHR refuses a reused key with a
   * different body.
   */
  idempotencyKey: string;
  body: EhrCallbackBody;
}

export interface EhrCallbackResult {
  /** The EHR's 2xx status. */
  status: number;
  /** The attempt that got through (1 = first try). */
  attempts: number;
}

export type EhrCallbackLogger = Pick<Logger, 'info' | 'warn'>;

export interface EhrCallbackActivityDeps {
  /** EHR_CALLBACK_URL (or the sandbox receiver's URL). */
  url: string;
  /** EHR_CALLBACK_SECRET: the HMAC key the EHR verifies X-Signature with. */
  secret: string;
  logger: EhrCallbackLogger;
  /** Defaults to the global fetch (undici). */
  fetchImpl?: typeof fetch;
  /** Per-request timeout; defaults to EHR_CALLBACK_TIMEOUT_MS. Keep it below the activity's startToCloseTimeout. */
  timeoutMs?: number;
}

export { EHR_CALLBACK_REJECTED };
export const EHR_CALLBACK_UNAVAILABLE = 'EhrCallbackUnavailable';

export const EHR_CALLBACK_TIMEOUT_MS = 10_000;
/** A Retry-After longer than this is shortened to it: an EHR asking for days would otherwise park replies unseen. */
export const EHR_CALLBACK_MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * The retry policy the appointment workflow gives `notifyEhr` (defined with its timeouts in
 * `shared/activityOptions`): exponential backoff from 5 s, capped at 10 min between attempts, no maximum
 * number of attempts, because a reply must reach the EHR "until acknowledged" (ARCHITECTURE §5).
 */
export const EHR_CALLBACK_RETRY: RetryPolicy = NOTIFY_EHR_OPTIONS.retry as RetryPolicy;

const SIGNATURE_PREFIX = 'sha256=';
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** The `X-Signature` value for these body bytes: `sha256=<lowercase hex HMAC-SHA256 with the secret>`. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `${SIGNATURE_PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** How old an `X-Signature-Timestamp` a receiver should accept (and how far ahead, for clock skew). */
export const SIGNATURE_REPLAY_WINDOW_SECONDS = 300;

/**
 * The `X-Timestamp-Signature` value: `sha256=<hex HMAC-SHA256 of "<timestamp>.<body bytes>">`, so a
 * receiver can refuse a captured request replayed later (`X-Signature`, over the body alone, stays).
 */
export function signTimestamped(body: string | Uint8Array, timestamp: number, secret: string): string {
  return `${SIGNATURE_PREFIX}${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * True when `header` signs `<timestamp>.<body>` under `secret` and the timestamp (unix seconds, the
 * `X-Signature-Timestamp` header) is within the replay window of `nowMs`. Constant-time compare.
 */
export function verifyTimestampedSignature(
  body: string | Uint8Array,
  timestampHeader: string | null | undefined,
  header: string | null | undefined,
  secret: string,
  nowMs: number = Date.now(),
  windowSeconds: number = SIGNATURE_REPLAY_WINDOW_SECONDS,
): boolean {
  if (typeof timestampHeader !== 'string' || !/^\d{1,12}$/.test(timestampHeader.trim())) return false;
  const timestamp = Number(timestampHeader.trim());
  if (Math.abs(nowMs / 1000 - timestamp) > windowSeconds) return false;
  if (typeof header !== 'string') return false;
  const value = header.trim();
  if (!value.toLowerCase().startsWith(SIGNATURE_PREFIX)) return false;
  const given = value.slice(SIGNATURE_PREFIX.length);
  if (!HEX_SHA256.test(given)) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/**
 * True when `header` is the X-Signature of exactly these body bytes under `secret`. Verify the raw bytes as received,
 * before parsing them. Compares in constant time (the length of a SHA-256 hex digest is public).
 */
export function verifySignature(
  body: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
): boolean {
  if (typeof header !== 'string') return false;
  const value = header.trim();
  if (!value.toLowerCase().startsWith(SIGNATURE_PREFIX)) return false;
  const given = value.slice(SIGNATURE_PREFIX.length);
  if (!HEX_SHA256.test(given)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/**
 * Milliseconds to wait according to a `Retry-After` value (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date read
 * against the response's own `Date` header when it has one (so clock skew between us and the EHR cancels out).
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
  serverDate?: string | null,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // All three HTTP-date formats start with a day name; Date.parse alone would read "-5" as a year.
  const at = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  const serverNow = serverDate ? Date.parse(serverDate) : Number.NaN;
  return Math.max(0, at - (Number.isNaN(serverNow) ? nowMs : serverNow));
}

export function createEhrCallbackActivities(deps: EhrCallbackActivityDeps) {
  const { url, secret, logger } = deps;
  const fetchImpl = deps.fetchImpl ?? fetch;
  const timeoutMs = deps.timeoutMs ?? EHR_CALLBACK_TIMEOUT_MS;
  if (!secret) throw new Error('createEhrCallbackActivities: a secret is required (callbacks are signed)');
  if (!/^https?:\/\//i.test(url)) throw new Error('createEhrCallbackActivities: url must be http(s)');

  async function notifyEhr(input: EhrCallbackInput): Promise<EhrCallbackResult> {
    const { info, cancellationSignal } = Context.current();
    const logFields = {
      appointmentId: input.body.appointment_id,
      idempotencyKey: input.idempotencyKey,
      eventType: input.body.event_type,
      attempt: info.attempt,
    };
    // Serialized once: the signature covers exactly the bytes on the wire.
    const payload = Buffer.from(JSON.stringify(input.body), 'utf8');
    const startedAt = Date.now();
    // Each attempt signs its own time: a retry days later is still inside the receiver's replay window.
    const timestamp = Math.floor(startedAt / 1000);

    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': input.idempotencyKey,
          'X-Signature': signBody(payload, secret),
          'X-Signature-Timestamp': String(timestamp),
          'X-Timestamp-Signature': signTimestamped(payload, timestamp, secret),
          'User-Agent': 'appointment-messaging/ehr-callback',
        },
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), cancellationSignal]),
      });
    } catch (error) {
      // Cancellation (workflow cancelled, worker shutting down) is not a failed delivery: let Temporal see it.
      if (cancellationSignal.aborted) throw cancellationSignal.reason;
      const reason = networkReason(error, timeoutMs);
      countEhrCallback(input.idempotencyKey, 'retry');
      logger.warn({ ...logFields, reason, retryable: true }, 'ehr callback failed without an answer');
      throw ApplicationFailure.create({
        message: `EHR callback got no answer (${reason})`,
        type: EHR_CALLBACK_UNAVAILABLE,
        details: [{ status: null, reason }],
      });
    }
    // Drain without reading into logs, so the connection is released.
    await response.arrayBuffer().catch(() => undefined);
    const { status } = response;
    const durationMs = Date.now() - startedAt;

    if (status >= 200 && status < 300) {
      countEhrCallback(input.idempotencyKey, 'delivered');
      logger.info({ ...logFields, status, durationMs }, 'ehr callback acknowledged');
      return { status, attempts: info.attempt };
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      countEhrCallback(input.idempotencyKey, 'rejected');
      logger.warn({ ...logFields, status, durationMs, retryable: false }, 'ehr callback rejected');
      throw ApplicationFailure.nonRetryable(
        `EHR rejected the callback with HTTP ${status}`,
        EHR_CALLBACK_REJECTED,
        { status },
      );
    }

    const retryAfterMs = parseRetryAfter(
      response.headers.get('retry-after'),
      Date.now(),
      response.headers.get('date'),
    );
    const nextRetryDelayMs =
      retryAfterMs === undefined || retryAfterMs === 0
        ? undefined
        : Math.min(retryAfterMs, EHR_CALLBACK_MAX_RETRY_AFTER_MS);
    logger.warn(
      { ...logFields, status, durationMs, retryable: true, nextRetryDelayMs },
      'ehr callback not accepted yet',
    );
    countEhrCallback(input.idempotencyKey, 'retry');
    const what = status >= 300 && status < 400 ? 'redirected' : 'is unavailable for';
    throw ApplicationFailure.create({
      message: `EHR ${what} the callback (HTTP ${status})`,
      type: EHR_CALLBACK_UNAVAILABLE,
      details: [{ status, ...(nextRetryDelayMs === undefined ? {} : { retryAfterMs: nextRetryDelayMs }) }],
      ...(nextRetryDelayMs === undefined ? {} : { nextRetryDelay: nextRetryDelayMs }),
    });
  }

  return { notifyEhr };
}

/**
 * A description of a fetch failure free of URLs and bodies: `timeout after 10000 ms`, `ECONNREFUSED`... Read
 * structurally: undici's errors (DOMException, TypeError) may come from another realm, where `instanceof` fails.
 */
function networkReason(error: unknown, timeoutMs: number): string {
  const name = stringField(error, 'name');
  if (name === 'TimeoutError') return `timeout after ${timeoutMs} ms`;
  const cause = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
  return stringField(cause, 'code') ?? name ?? typeof error;
}

function stringField(value: unknown, field: 'name' | 'code'): string | undefined {
  if (typeof value !== 'object' || value === null || !(field in value)) return undefined;
  const found: unknown = (value as Record<string, unknown>)[field];
  return typeof found === 'string' ? found : undefined;
}
