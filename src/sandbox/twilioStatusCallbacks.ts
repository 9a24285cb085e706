/**
 * Twilio's status callbacks as the sandbox sends them: one signed form per status, retried as the URL's connection
 * overrides ask (the fragment is stripped before the request and the signature), answering whether it landed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log';
import type { SandboxMessage } from './messageStore';
import { postSignedTwilioForm } from './signedTwilioPost';
import { API_VERSION } from './twilioMessagesApi';

export const CALLBACK_TIMEOUT_MS = 5_000;
/** Wait before the first retry of a failed status callback, doubled for each further one (0.4, 0.8, 1.6, 3.2, 6.4 s). */
const CALLBACK_RETRY_FIRST_DELAY_MS = 400;

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
export async function postStatusCallback(
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
  const fields = { sid: message.sid, messageStatus: message.status };
  const deadline = Date.now() + overrides.totalTimeMs;
  for (let attempt = 0, backoffMs = CALLBACK_RETRY_FIRST_DELAY_MS; ; attempt++, backoffMs *= 2) {
    const failure = await attemptCallback(overrides.url, authToken, params);
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
  authToken: string,
  params: Record<string, string>,
): Promise<{ kind: RetryClass; httpStatus?: number } | undefined> {
  const timeout = AbortSignal.timeout(CALLBACK_TIMEOUT_MS);
  try {
    const response = await postSignedTwilioForm({ url, authToken, params, signal: timeout });
    await response.arrayBuffer(); // drain, so the connection is released
    if (response.ok) return undefined;
    return { kind: response.status >= 500 ? '5xx' : '4xx', httpStatus: response.status };
  } catch {
    // Aborted by our timeout: the server took the request but did not answer in time; otherwise no connection.
    return { kind: timeout.aborted ? 'rt' : 'ct' };
  }
}
