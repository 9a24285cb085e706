/**
 * The configuration page's live checks (issue 13.2): Temporal reachable, a worker polling the task
 * queue, Twilio's credentials and sender, the EHR callback URL, the snapshot store writable. Each runs
 * on every page load, all in parallel, each bounded by a short timeout, and answers ok / warning /
 * failed (or "sandbox" where sandbox mode stands in for the real thing) with a one-line reason.
 *
 * A reason never carries PHI (no check touches patient data) nor a secret: reasons are built from
 * status codes and our own words, error texts are cut short, and every configured secret is scrubbed
 * from them before they leave (`runLiveChecks`' `secrets`).
 *
 * The parts that talk to the outside world are injected (a readiness probe, a `twilio` SDK client, a
 * `fetch`, a `@google-cloud/storage` client, a folder), so tests use real local servers and emulators.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { createTwilioClient, sandboxTwilioBaseUrl, type Twilio } from '../../activities/twilioClient';
import { fileSnapshotRoot } from '../../activities/snapshots/fileStore';
import type { AppConfig } from '../../config';
import { temporalReadiness, type Readiness } from '../readiness';
import { TWILIO_INBOUND_PATH } from '../twilioWebhooks';

export type CheckOutcome = 'ok' | 'warning' | 'failed' | 'sandbox';

export interface CheckAnswer {
  readonly outcome: CheckOutcome;
  readonly reason: string;
}

export interface LiveCheckResult extends CheckAnswer {
  readonly name: string;
  /** How long it took, in milliseconds. */
  readonly ms: number;
}

export interface LiveCheck {
  readonly name: string;
  /** `signal` aborts when the check's timeout passes (for fetch; other clients are raced instead). */
  run(signal: AbortSignal): Promise<CheckAnswer>;
}

/** Each check's bound: the page waits for the slowest, so keep it short. */
export const LIVE_CHECK_TIMEOUT_MS = 4_000;
const MAX_REASON_CHARS = 240;

export interface RunOptions {
  timeoutMs?: number;
  /** Values never to show (tokens, keys, passwords): replaced by "[redacted]" in every reason. */
  secrets?: readonly string[];
}

/** Runs every check at once, each with its own timeout; never rejects. */
export function runLiveChecks(
  checks: readonly LiveCheck[],
  options: RunOptions = {},
): Promise<LiveCheckResult[]> {
  const timeoutMs = options.timeoutMs ?? LIVE_CHECK_TIMEOUT_MS;
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  return Promise.all(
    checks.map(async (check): Promise<LiveCheckResult> => {
      const started = Date.now();
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<CheckAnswer>((resolve) => {
        timer = setTimeout(() => {
          controller.abort();
          resolve({ outcome: 'failed', reason: `no answer within ${timeoutMs} ms` });
        }, timeoutMs);
      });
      let answer: CheckAnswer;
      try {
        answer = await Promise.race([check.run(controller.signal), timedOut]);
      } catch (err) {
        answer = { outcome: 'failed', reason: errorText(err) };
      } finally {
        clearTimeout(timer);
      }
      return {
        name: check.name,
        outcome: answer.outcome,
        reason: scrub(answer.reason, secrets),
        ms: Date.now() - started,
      };
    }),
  );
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out.length > MAX_REASON_CHARS ? `${out.slice(0, MAX_REASON_CHARS)}…` : out;
}

/** A short, secret-free description of an error: its code when it has one, else its first line. */
export function errorText(err: unknown): string {
  // Duck-typed: errors from fetch (undici) or gRPC may come from another realm than this module's Error.
  if (typeof err !== 'object' || err === null) return 'unknown error';
  const {
    message,
    name,
    code: ownCode,
    cause,
  } = err as {
    message?: unknown;
    name?: unknown;
    code?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  const code = typeof cause?.code === 'string' ? cause.code : ownCode;
  const first = (typeof message === 'string' ? (message.split('\n')[0] ?? '') : '').slice(0, 160);
  if (typeof code === 'string' && !first.includes(code)) return first ? `${first} (${code})` : code;
  return first || (typeof name === 'string' ? name : 'unknown error');
}

// --- Temporal -------------------------------------------------------------------------------------

/**
 * "Temporal reachable" and "Worker polling" from one readiness probe (src/api/readiness.ts:
 * getSystemInfo, then the task queue's pollers), asked once however many checks read it.
 */
export function temporalChecks(probe: () => Promise<Readiness>, taskQueue: string): LiveCheck[] {
  let asked: Promise<Readiness> | undefined;
  const readiness = (): Promise<Readiness> => (asked ??= probe());
  return [
    {
      name: 'Temporal reachable',
      async run() {
        const r = await readiness();
        return r.temporal === 'reachable'
          ? { outcome: 'ok', reason: 'the API’s Temporal client got an answer (getSystemInfo)' }
          : { outcome: 'failed', reason: `unreachable: ${r.detail ?? 'no detail'}` };
      },
    },
    {
      name: 'Worker polling',
      async run() {
        const r = await readiness();
        if (r.worker === 'polling') {
          return { outcome: 'ok', reason: `a worker polled task queue “${taskQueue}” in the last 90 s` };
        }
        if (r.worker === 'not-polling') {
          return {
            outcome: 'failed',
            reason: `no worker polled task queue “${taskQueue}” in the last 90 s: start one (npm run worker)`,
          };
        }
        return {
          outcome: 'failed',
          reason:
            r.temporal === 'reachable'
              ? `could not describe task queue “${taskQueue}”: ${r.detail ?? 'no detail'}`
              : 'unknown: Temporal is unreachable',
        };
      },
    },
  ];
}

/**
 * The readiness probe under a client deadline just inside the check's timeout, so Temporal's calls (and
 * the client's retries of them) stop when the check gives up instead of going on in the background.
 */
export function temporalProbe(
  client: Client,
  namespace: string,
  taskQueue: string,
  timeoutMs: number = LIVE_CHECK_TIMEOUT_MS,
): () => Promise<Readiness> {
  const readiness = temporalReadiness(client, namespace, taskQueue);
  // A quarter of the timeout spare: a call past its deadline takes a few hundred ms to give up.
  return () => client.withDeadline(Date.now() + Math.max(100, timeoutMs * 0.75), readiness);
}

// --- Twilio ---------------------------------------------------------------------------------------

export type TwilioCheckTarget =
  | { sandbox: true }
  | {
      sandbox?: false;
      /** A real `twilio` SDK client with TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN. */
      client: Twilio;
      accountSid: string;
      phoneNumber?: string | undefined;
      messagingServiceSid?: string | undefined;
      /** `PUBLIC_BASE_URL/v1/twilio/inbound`: where the number's or service's inbound webhook should point. */
      inboundUrl: string;
    };

interface TwilioErrorLike {
  status?: unknown;
  code?: unknown;
}

function twilioErrorText(err: unknown, what: string): string {
  const { status, code } = (err ?? {}) as TwilioErrorLike;
  if (typeof code === 'number' || typeof status === 'number') {
    const tag = `Twilio ${String(status ?? '?')}${typeof code === 'number' ? ` / ${code}` : ''}`;
    if (code === 20003 || status === 401) {
      return `${tag}: TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN were refused`;
    }
    if (code === 20404 || status === 404) return `${tag}: ${what} not found on this account`;
    return `${tag} while reading ${what}`;
  }
  return `${what}: ${errorText(err)}`;
}

/**
 * Credentials valid (the account fetched, and active), then the sender: the Messaging Service when
 * TWILIO_MESSAGING_SERVICE_SID is set (it is what sendSms uses), else TWILIO_PHONE_NUMBER among the
 * account's numbers. A sender found whose inbound webhook points elsewhere is a warning: replies
 * would not reach us.
 */
export function twilioCheck(target: TwilioCheckTarget): LiveCheck {
  return {
    name: 'Twilio credentials and sender',
    async run() {
      if (target.sandbox) {
        return {
          outcome: 'sandbox',
          reason: 'sandbox mode: texts go to the built-in Twilio emulation, nobody is texted',
        };
      }
      const { client, accountSid, phoneNumber, messagingServiceSid, inboundUrl } = target;
      let status: string;
      try {
        status = (await client.api.v2010.accounts(accountSid).fetch()).status;
      } catch (err) {
        return { outcome: 'failed', reason: twilioErrorText(err, 'the account') };
      }
      if (status !== 'active') {
        return { outcome: 'failed', reason: `the credentials work, but the account is ${status}` };
      }
      if (messagingServiceSid) {
        try {
          const service = await client.messaging.v1.services(messagingServiceSid).fetch();
          const found = `credentials valid; Messaging Service ${messagingServiceSid} found`;
          if (!service.useInboundWebhookOnNumber && service.inboundRequestUrl !== inboundUrl) {
            return {
              outcome: 'warning',
              reason: `${found}, but its incoming-message webhook is not ${inboundUrl} (Integration page)`,
            };
          }
          return { outcome: 'ok', reason: found };
        } catch (err) {
          return {
            outcome: 'failed',
            reason: twilioErrorText(err, `Messaging Service ${messagingServiceSid}`),
          };
        }
      }
      if (!phoneNumber) {
        return {
          outcome: 'failed',
          reason:
            'credentials valid, but neither TWILIO_PHONE_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set',
        };
      }
      try {
        const numbers = await client.api.v2010
          .accounts(accountSid)
          .incomingPhoneNumbers.list({ phoneNumber, limit: 1 });
        const number = numbers[0];
        if (!number) {
          return {
            outcome: 'failed',
            reason: `credentials valid, but ${phoneNumber} is not a number of this account`,
          };
        }
        const found = `credentials valid; number ${phoneNumber} found`;
        if (number.smsUrl !== inboundUrl) {
          return {
            outcome: 'warning',
            reason: `${found}, but its “A message comes in” webhook is not ${inboundUrl} (Integration page)`,
          };
        }
        return { outcome: 'ok', reason: `${found}, its inbound webhook points here` };
      } catch (err) {
        return { outcome: 'failed', reason: twilioErrorText(err, `number ${phoneNumber}`) };
      }
    },
  };
}

// --- EHR callback ---------------------------------------------------------------------------------

export type EhrCallbackTarget =
  { kind: 'sandbox-receiver' } | { kind: 'not-set' } | { kind: 'url'; url: string; fetchImpl?: typeof fetch };

/** `https://user:pw@host/path?q` → `https://host/path`: what a reason may name. */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'the configured URL';
  }
}

/**
 * EHR_CALLBACK_URL reachable: one OPTIONS request (no body, nothing signed, redirects not followed);
 * any HTTP answer, even 4xx/5xx, proves the address, the TLS and the route to it.
 */
export function ehrCallbackCheck(target: EhrCallbackTarget): LiveCheck {
  return {
    name: 'EHR callback URL reachable',
    async run(signal) {
      if (target.kind === 'sandbox-receiver') {
        return {
          outcome: 'sandbox',
          reason:
            'EHR_CALLBACK_URL unset: replies go to the built-in receiver (GET /v1/sandbox/ehr-callbacks)',
        };
      }
      if (target.kind === 'not-set') {
        return { outcome: 'failed', reason: 'EHR_CALLBACK_URL is not set: patients’ replies go nowhere' };
      }
      const shown = displayUrl(target.url);
      try {
        const res = await (target.fetchImpl ?? fetch)(target.url, {
          method: 'OPTIONS',
          redirect: 'manual',
          signal,
        });
        await res.body?.cancel();
        return { outcome: 'ok', reason: `${shown} answered OPTIONS with HTTP ${res.status}` };
      } catch (err) {
        return { outcome: 'failed', reason: `${shown}: ${errorText(err)}` };
      }
    },
  };
}

// --- Snapshot store -------------------------------------------------------------------------------

export type SnapshotTarget =
  | {
      kind: 'gcs';
      storage: Storage;
      bucket: string;
      customerCode: string;
      kmsKeyName?: string | undefined;
    }
  | { kind: 'dir'; dir: string };

const GCS_MEANINGS: Readonly<Record<number, string>> = {
  401: 'no valid credentials (Application Default Credentials)',
  403: 'permission denied: the identity needs roles/storage.objectAdmin on the bucket',
  404: 'bucket not found',
};

/**
 * The snapshot store writable: GCS (GCS_BUCKET) writes and deletes a small object under
 * `<CUSTOMER_CODE>/healthcheck/` (with GCS_KMS_KEY_NAME when set, as snapshots are written); files
 * write and delete a small file in the snapshot folder under DATA_DIR.
 */
export function snapshotStoreCheck(target: SnapshotTarget): LiveCheck {
  return {
    name: 'Snapshot store writable',
    async run() {
      const name = `healthcheck-${Date.now()}-${randomBytes(4).toString('hex')}`;
      if (target.kind === 'gcs') {
        const key = `${target.customerCode}/healthcheck/${name}.txt`;
        const where = `gs://${target.bucket}/${target.customerCode}/healthcheck/`;
        const file = target.storage
          .bucket(target.bucket)
          .file(key, target.kmsKeyName ? { kmsKeyName: target.kmsKeyName } : {});
        try {
          await file.save('ok\n', {
            resumable: false,
            contentType: 'text/plain',
            metadata: { cacheControl: 'no-store' },
          });
        } catch (err) {
          return { outcome: 'failed', reason: `could not write to ${where}: ${gcsErrorText(err)}` };
        }
        try {
          await file.delete();
        } catch (err) {
          return {
            outcome: 'warning',
            reason: `wrote to ${where} but could not delete the test object: ${gcsErrorText(err)}`,
          };
        }
        return { outcome: 'ok', reason: `wrote and deleted a test object in ${where}` };
      }
      const file = path.join(target.dir, `.${name}`);
      try {
        await mkdir(target.dir, { recursive: true, mode: 0o700 });
        await writeFile(file, 'ok\n', { flag: 'wx', mode: 0o600 });
        await unlink(file);
      } catch (err) {
        return { outcome: 'failed', reason: `${target.dir} is not writable: ${errorText(err)}` };
      }
      return { outcome: 'ok', reason: `wrote and deleted a test file in ${target.dir}` };
    },
  };
}

function gcsErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'number') return `HTTP ${code}${GCS_MEANINGS[code] ? `: ${GCS_MEANINGS[code]}` : ''}`;
  return errorText(err);
}

// --- From the configuration ------------------------------------------------------------------------

/** Every secret of a configuration: what no reason may show. */
export function secretsOf(config: AppConfig): string[] {
  const { env } = config;
  return [
    env.TWILIO_AUTH_TOKEN,
    env.EHR_CALLBACK_SECRET,
    env.PHONE_ID_KEY,
    env.PAYLOAD_CODEC_KEYS,
    env.OPERATOR_TOKEN,
    env.APPLICATION_PASSWORD,
    env.TEMPORAL_API_KEY,
    env.SANDBOX_TWILIO_AUTH_TOKEN,
    config.sandboxTwilioAuthToken,
    config.phoneIdKey,
    ...env.EHR_API_KEYS,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** The checks for a running API: its Temporal client, Twilio or the sandbox, the EHR, the snapshot store. */
export function liveChecksOf(config: AppConfig, client: Client): () => Promise<LiveCheckResult[]> {
  const { env } = config;
  const readiness = temporalProbe(client, env.TEMPORAL_NAMESPACE, env.TEMPORAL_TASK_QUEUE);
  const twilio: TwilioCheckTarget =
    config.sandbox || !env.TWILIO_ACCOUNT_SID
      ? { sandbox: true }
      : {
          client: createTwilioClient(config, sandboxTwilioBaseUrl(config.apiInternalUrl)),
          accountSid: env.TWILIO_ACCOUNT_SID,
          phoneNumber: env.TWILIO_PHONE_NUMBER,
          messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
          inboundUrl: `${config.publicBaseUrl}${TWILIO_INBOUND_PATH}`,
        };
  const ehr: EhrCallbackTarget = env.EHR_CALLBACK_URL
    ? { kind: 'url', url: env.EHR_CALLBACK_URL }
    : config.sandbox
      ? { kind: 'sandbox-receiver' }
      : { kind: 'not-set' };
  let storage: Storage | undefined;
  const snapshots = (): SnapshotTarget => {
    if (!env.GCS_BUCKET) return { kind: 'dir', dir: fileSnapshotRoot(config.dataDir) };
    // No automatic retries: the check reports the first answer, within its timeout.
    const options: StorageOptions = { retryOptions: { autoRetry: false } };
    if (env.GCS_API_ENDPOINT) options.apiEndpoint = env.GCS_API_ENDPOINT.replace(/\/+$/, '');
    storage ??= new Storage(options);
    return {
      kind: 'gcs',
      storage,
      bucket: env.GCS_BUCKET,
      customerCode: env.CUSTOMER_CODE,
      kmsKeyName: env.GCS_KMS_KEY_NAME,
    };
  };
  const secrets = secretsOf(config);
  return () =>
    runLiveChecks(
      [
        ...temporalChecks(readiness, env.TEMPORAL_TASK_QUEUE),
        twilioCheck(twilio),
        ehrCallbackCheck(ehr),
        snapshotStoreCheck(snapshots()),
      ],
      { secrets },
    );
}
