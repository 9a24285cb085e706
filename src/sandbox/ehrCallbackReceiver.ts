/**
 * The sandbox's EHR: a built-in receiver for the `notifyEhr` write-back, used when EHR_CALLBACK_URL is unset in
 * sandbox mode (ARCHITECTURE §6). It behaves like a careful EHR integration endpoint, so the sandbox proves the
 * contract end to end:
 * - `POST /sandbox/ehr-callbacks` verifies `X-Signature` over the raw body bytes (401 when it does not match),
 *   requires JSON (415), an `Idempotency-Key` (400) and a body of the contract's shape (400 naming each bad field);
 * - it keeps each Idempotency-Key once: a redelivery of the same key and body answers 200 `{ok:true,duplicate:true}`
 *   and stores nothing; the same key with a different body answers 422 (as the IETF Idempotency-Key draft asks),
 *   which `notifyEhr` treats as a permanent refusal, so an idempotency bug shows up instead of being hidden;
 * - `GET /v1/sandbox/ehr-callbacks` lists `[{receivedAt,headers,body}]`, oldest first.
 * - a fault switch (`/v1/sandbox/faults/ehr-callbacks`, see faultSwitch.ts) takes the EHR down for N seconds: `503`
 *   answers 503 (with `Retry-After` when asked), `down` drops each connection without an answer (a reset), and
 *   `timeout-after-accept` stores the callback but never answers, so `notifyEhr` times out and must retry with the same
 *   Idempotency-Key. Nothing is stored in the first two modes.
 *
 * Callbacks persist as JSON lines in `<DATA_DIR>/sandbox/ehr-callbacks.jsonl` (`{"type":"callback",receivedAt,headers,
 * body}`), read once into an index by Idempotency-Key that each append updates (JsonLinesLog, like the
 * SandboxMessageStore), so they survive restarts and a callback costs the same however many came before.
 */
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import {
  SANDBOX_EHR_CALLBACK_PATH,
  SIGNATURE_REPLAY_WINDOW_SECONDS,
  verifySignature,
  verifyTimestampedSignature,
} from '../activities/ehrCallback';
import { logger as defaultLogger, type Logger } from '../log';
import { dropConnection, FaultSwitch, faultSwitchRouter, holdWithoutAnswer } from './faultSwitch';
import { indexPerFile, JsonLinesLog, type LogIndex } from './jsonLinesLog';

/** The callback secret in sandbox mode when EHR_CALLBACK_SECRET is unset; the receiver and `notifyEhr` share it. */
export const SANDBOX_EHR_CALLBACKS_FILE = 'ehr-callbacks.jsonl';
/** The receiver's fault modes (see the module comment). */
export const EHR_FAULT_MODES = ['503', 'down', 'timeout-after-accept'] as const;
export type EhrFaultMode = (typeof EHR_FAULT_MODES)[number];
/** Where the receiver's fault switch is controlled (loopback only). */
export const EHR_FAULT_SWITCH_PATH = '/v1/sandbox/faults/ehr-callbacks';
/** A held answer is dropped after this long if the sender never gives up (`notifyEhr` waits 10 s). */
const HELD_ANSWER_MAX_MS = 120_000;

/** The callback body as ARCHITECTURE §5 defines it; unknown extra fields are kept (an EHR would ignore them). */
const callbackBody = z.looseObject({
  event_type: z.enum(['CONFIRM', 'CANCEL']),
  appointment_id: z.string().min(1),
  patient_id: z.string().min(1),
  provider_id: z.string().min(1).optional(),
  event_datetime_utc: z.iso.datetime(),
  reply_text: z.string(),
});

const storedHeaders = z.object({
  'content-type': z.string(),
  'idempotency-key': z.string(),
  'x-signature': z.string(),
});

const storeLine = z.object({
  type: z.literal('callback'),
  receivedAt: z.string(),
  headers: storedHeaders,
  body: callbackBody,
});

export type ReceivedEhrCallbackBody = z.output<typeof callbackBody>;

export interface ReceivedEhrCallback {
  /** ISO 8601 instant the first delivery of this Idempotency-Key arrived. */
  receivedAt: string;
  headers: z.output<typeof storedHeaders>;
  /** The JSON body as received (parsed). */
  body: ReceivedEhrCallbackBody;
}

/** `stored`: a new key; `duplicate`: this key with the same body was already stored; `conflict`: with another body. */
export type EhrCallbackRecordOutcome = 'stored' | 'duplicate' | 'conflict';

type StoreLine = z.output<typeof storeLine>;

export class EhrCallbackStore {
  readonly file: string;
  private readonly index: CallbackIndex;

  /** `directory` holds `ehr-callbacks.jsonl`; it is created on the first write. Stores on one directory share one index. */
  constructor(readonly directory: string) {
    this.file = path.join(directory, SANDBOX_EHR_CALLBACKS_FILE);
    this.index = CallbackIndex.forFile(this.file);
  }

  /** The store every process of one installation shares: `<dataDir>/sandbox/ehr-callbacks.jsonl`. */
  static inDataDir(dataDir: string): EhrCallbackStore {
    return new EhrCallbackStore(path.join(dataDir, 'sandbox'));
  }

  /** Stores the callback unless its Idempotency-Key is already stored; the stored one is returned either way. */
  record(
    callback: ReceivedEhrCallback,
  ): Promise<{ outcome: EhrCallbackRecordOutcome; stored: ReceivedEhrCallback }> {
    const { log } = this.index;
    return log.run(async () => {
      const existing = this.index.byKey(callback.headers['idempotency-key']);
      if (existing !== undefined) {
        const same = JSON.stringify(existing.body) === JSON.stringify(callback.body);
        return { outcome: same ? 'duplicate' : 'conflict', stored: existing };
      }
      await log.append({ type: 'callback', ...callback });
      return { outcome: 'stored', stored: callback };
    });
  }

  /** Every stored callback, oldest first (in the order they arrived). */
  list(): Promise<ReceivedEhrCallback[]> {
    return this.index.log.run(() => this.index.all());
  }
}

/** One index per file in this process, however many EhrCallbackStore objects open it. */
const indexes = new Map<string, CallbackIndex>();

/** The callbacks of one file in memory, in arrival order and by Idempotency-Key (~0.4 KB of heap a callback). */
class CallbackIndex implements LogIndex<StoreLine> {
  readonly log: JsonLinesLog<StoreLine>;
  private readonly callbacks: ReceivedEhrCallback[] = [];
  private readonly firstByKey = new Map<string, ReceivedEhrCallback>();

  private constructor(file: string) {
    this.log = new JsonLinesLog(file, this);
  }

  static forFile(file: string): CallbackIndex {
    return indexPerFile(indexes, file, (key) => new CallbackIndex(key));
  }

  parse(value: unknown): StoreLine | undefined {
    const result = storeLine.safeParse(value);
    return result.success ? result.data : undefined;
  }

  apply(line: StoreLine): void {
    const callback: ReceivedEhrCallback = Object.freeze({
      receivedAt: line.receivedAt,
      headers: Object.freeze({ ...line.headers }),
      body: Object.freeze({ ...line.body }),
    });
    this.callbacks.push(callback);
    // Two processes may both store a key (no lock between them); the first one stored is the one that counts.
    const key = callback.headers['idempotency-key'];
    if (!this.firstByKey.has(key)) this.firstByKey.set(key, callback);
  }

  clear(): void {
    this.callbacks.length = 0;
    this.firstByKey.clear();
  }

  byKey(idempotencyKey: string): ReceivedEhrCallback | undefined {
    return this.firstByKey.get(idempotencyKey);
  }

  all(): ReceivedEhrCallback[] {
    return [...this.callbacks];
  }
}

export interface EhrCallbackReceiverOptions {
  /** The secret `notifyEhr` signs with: EHR_CALLBACK_SECRET, else SANDBOX_EHR_CALLBACK_SECRET. */
  secret: string;
  logger?: Logger;
  /** Path of the POST endpoint; defaults to SANDBOX_EHR_CALLBACK_PATH. */
  path?: string;
  /** The fault switch; a new one (off) by default. Its control route is mounted at EHR_FAULT_SWITCH_PATH. */
  faults?: FaultSwitch<EhrFaultMode>;
}

export type EhrCallbackReceiverRouter = Router & { readonly faults: FaultSwitch<EhrFaultMode> };

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * The receiver (`POST /sandbox/ehr-callbacks`) and its listing (`GET /v1/sandbox/ehr-callbacks`). Mount it at the app
 * root. It verifies the signature over the exact bytes received when it sees them first; mounted after a JSON body
 * parser (as `createApp` does), it verifies the body re-serialized with JSON.stringify, which reproduces the bytes of
 * any sender that serializes with JSON.stringify, as `notifyEhr` does. A parser that keeps the raw bytes in
 * `req.rawBody` (express.json's `verify` hook) makes the check exact again.
 */
export function createEhrCallbackReceiverRouter(
  store: EhrCallbackStore,
  options: EhrCallbackReceiverOptions,
): EhrCallbackReceiverRouter {
  const { secret } = options;
  if (!secret) throw new Error('createEhrCallbackReceiverRouter: a secret is required');
  const log = (options.logger ?? defaultLogger).child({ component: 'ehr-callback-receiver' });
  const faults = options.faults ?? new FaultSwitch(EHR_FAULT_MODES);
  const router = express.Router();

  router.post(
    options.path ?? SANDBOX_EHR_CALLBACK_PATH,
    // Keeps the raw bytes when no parser ran before; a body already parsed upstream is left alone.
    express.raw({ type: () => true, limit: '64kb' }),
    async (req: Request, res: Response) => {
      const outage = faults.active();
      if (outage?.mode === '503') {
        faults.hit();
        if (outage.retryAfterSeconds !== undefined) res.set('Retry-After', String(outage.retryAfterSeconds));
        return sendError(res, 503, 'unavailable', 'The EHR is down (sandbox fault switch)');
      }
      if (outage?.mode === 'down') {
        faults.hit();
        return dropConnection(req);
      }
      if (!req.is('application/json')) {
        return sendError(res, 415, 'unsupported_media_type', 'Content-Type must be application/json');
      }
      const bytes = receivedBytes(req);
      const signature = req.get('x-signature');
      if (!verifySignature(bytes, signature, secret)) {
        log.warn({ idempotencyKey: req.get('idempotency-key') }, 'sandbox EHR callback with a bad signature');
        return sendError(res, 401, 'invalid_signature', 'X-Signature does not match the body');
      }
      // As an EHR should: a timestamped signature outside the replay window is a replay (or a stale clock).
      const timestamp = req.get('x-signature-timestamp');
      if (
        timestamp !== undefined &&
        !verifyTimestampedSignature(bytes, timestamp, req.get('x-timestamp-signature'), secret)
      ) {
        log.warn(
          { idempotencyKey: req.get('idempotency-key') },
          'sandbox EHR callback outside its replay window',
        );
        return sendError(
          res,
          401,
          'invalid_signature',
          `X-Timestamp-Signature does not match, or X-Signature-Timestamp is more than ${SIGNATURE_REPLAY_WINDOW_SECONDS} s away`,
        );
      }
      const key = req.get('idempotency-key')?.trim();
      if (!key || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
        return sendError(res, 400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters');
      }
      let json: unknown;
      try {
        json = Buffer.isBuffer(req.body) ? JSON.parse(bytes.toString('utf8')) : req.body;
      } catch {
        return sendError(res, 400, 'invalid_json', 'Body is not valid JSON');
      }
      const body = callbackBody.safeParse(json);
      if (!body.success) {
        return sendError(res, 400, 'invalid_callback', 'Body does not match the callback contract', {
          details: body.error.issues.map((issue) => ({
            field: issue.path.map(String).join('.'),
            message: issue.message,
          })),
        });
      }

      const { outcome } = await store.record({
        receivedAt: new Date().toISOString(),
        headers: {
          'content-type': req.get('content-type') ?? '',
          'idempotency-key': key,
          'x-signature': signature ?? '',
        },
        body: body.data,
      });
      log.info(
        { idempotencyKey: key, appointmentId: body.data.appointment_id, outcome },
        'sandbox EHR callback received',
      );
      if (outcome === 'conflict') {
        return sendError(
          res,
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different body',
        );
      }
      // Stored, but the acknowledgement is lost: the sender times out and must retry with the same key.
      if (faults.active()?.mode === 'timeout-after-accept' && faults.hit() !== undefined) {
        return holdWithoutAnswer(res, HELD_ANSWER_MAX_MS);
      }
      res.status(200).json({ ok: true, duplicate: outcome === 'duplicate' });
    },
  );

  router.get('/v1/sandbox/ehr-callbacks', async (_req, res) => {
    const callbacks = await store.list();
    res.json(callbacks.map(({ receivedAt, headers, body }) => ({ receivedAt, headers, body })));
  });
  router.use(faultSwitchRouter(EHR_FAULT_SWITCH_PATH, faults));

  return Object.assign(router, { faults });
}

/** The body bytes as received, or (after an upstream JSON parser) the body as JSON.stringify writes it. */
function receivedBytes(req: Request): Buffer {
  if (Buffer.isBuffer(req.body)) return req.body;
  const raw: unknown = (req as Request & { rawBody?: unknown }).rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  return Buffer.from(req.body === undefined ? '' : JSON.stringify(req.body), 'utf8');
}

function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  res.status(status).json({ error: { code, message, ...extra } });
}
