/**
 * A Twilio Verify v2 emulation for sandbox mode: the part the real `twilio` SDK uses to send a code
 * (`verify.v2.services(sid).verifications.create({to, channel: 'sms'})`) and check it
 * (`verificationChecks.create({to, code})`), with Twilio's JSON shapes and error codes. The code is
 * texted into the sandbox message store, so it arrives on the virtual phone
 * (`GET /v1/sandbox/messages?to=…`). Like Twilio it answers only the account's credentials (HTTP
 * Basic, the sandbox account SID and auth token; 401 / 20003 otherwise).
 *
 * Rules (Twilio's defaults): a code is valid 10 minutes; creating a verification for a number with
 * one pending sends the same code again, at most 5 sends (then 429 / 60203); at most 5 checks (then
 * 429 / 60202, and the verification is gone); an approved, expired or unknown verification is
 * 404 / 20404; a bad parameter is 400 / 60200. Verifications live in memory (one API process).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { basicCredentials, sameSecret } from '../http/security';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { SANDBOX_ACCOUNT_SID, SANDBOX_FROM_NUMBER, SANDBOX_TWILIO_PATH } from '../activities/twilioClient';
import { logger as defaultLogger, type Logger } from '../log';
import type { SandboxMessageStore } from './messageStore';

/** The Verify service sid in sandbox mode when TWILIO_VERIFY_SERVICE_SID is unset (`VA` + 32 zeros). */
export const SANDBOX_VERIFY_SERVICE_SID = `VA${'0'.repeat(32)}`;
/** The administrator's number in sandbox mode when ADMINISTRATOR_PHONE is unset (the virtual phone shows its texts). */
export const SANDBOX_ADMINISTRATOR_PHONE = '+15005550100';
/** How long a code is valid (Twilio's default). */
export const VERIFY_CODE_TTL_MS = 10 * 60_000;
export const VERIFY_MAX_SENDS = 5;
export const VERIFY_MAX_CHECKS = 5;

export interface VerifySandboxOptions {
  store: SandboxMessageStore;
  /** The sandbox account's auth token: requests must carry it (Basic auth, like the Messages emulation). */
  authToken: string;
  /** The service sid requests must name (TWILIO_VERIFY_SERVICE_SID, else SANDBOX_VERIFY_SERVICE_SID). */
  serviceSid: string;
  accountSid?: string;
  /** The name in the text ("Your <name> verification code is: …"). */
  friendlyName?: string;
  /** The number the code is texted from on the virtual phone. */
  from?: string;
  /** Path prefix, defaults to SANDBOX_TWILIO_PATH; mount before the Messages emulation (it 404s the rest). */
  basePath?: string;
  logger?: Logger;
  now?: () => number;
}

interface VerifyError {
  status: number;
  code: number;
  message: string;
}

interface PendingVerification {
  sid: string;
  to: string;
  code: string;
  createdAt: number;
  updatedAt: number;
  sends: Array<{ attempt_sid: string; channel: 'sms'; time: string }>;
  checks: number;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const CHANNELS = new Set(['sms', 'call', 'email', 'whatsapp', 'sna', 'auto']);
/** Pending verifications kept at most (old ones are dropped first): the sandbox is one operator's machine. */
const MAX_PENDING = 1_000;

export function createVerifySandboxRouter(options: VerifySandboxOptions): Router {
  const now = options.now ?? Date.now;
  const accountSid = options.accountSid ?? SANDBOX_ACCOUNT_SID;
  const log = (options.logger ?? defaultLogger).child({ component: 'verify-sandbox' });
  const friendlyName = options.friendlyName ?? 'Appointment messaging';
  const pending = new Map<string, PendingVerification>();

  const api = express.Router();
  api.use((req, res, next) => {
    if (isAccount(req, accountSid, options.authToken)) return next();
    res.set('WWW-Authenticate', 'Basic realm="Twilio API"');
    sendError(res, { status: 401, code: 20003, message: 'Authenticate' });
  });
  api.use(express.urlencoded({ extended: false, limit: '16kb' }));

  /** The live verification for a number, dropping it once expired. */
  const liveFor = (to: string): PendingVerification | undefined => {
    const found = pending.get(to);
    if (found && now() - found.createdAt >= VERIFY_CODE_TTL_MS) {
      pending.delete(to);
      return undefined;
    }
    return found;
  };

  api.post('/Services/:ServiceSid/Verifications', async (req, res) => {
    const serviceSid = req.params.ServiceSid as string;
    if (serviceSid !== options.serviceSid) return sendError(res, notFound(req));
    const to = formField(req, 'To');
    const channel = formField(req, 'Channel');
    if (to === undefined || !E164.test(to)) return sendError(res, invalidParameter('To'));
    if (channel === undefined || !CHANNELS.has(channel)) return sendError(res, invalidParameter('Channel'));
    // The sandbox has only a phone that reads texts.
    if (channel !== 'sms') return sendError(res, invalidParameter('Channel'));

    const at = now();
    let verification = liveFor(to);
    if (verification && verification.sends.length >= VERIFY_MAX_SENDS) {
      return sendError(res, { status: 429, code: 60203, message: 'Max send attempts reached' });
    }
    if (!verification) {
      verification = {
        sid: newSid('VE'),
        to,
        code: String(randomInt(0, 1_000_000)).padStart(6, '0'),
        createdAt: at,
        updatedAt: at,
        sends: [],
        checks: 0,
      };
      pending.delete(to);
      pending.set(to, verification);
      while (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value as string);
    }
    verification.sends.push({ attempt_sid: newSid('VL'), channel: 'sms', time: iso(at) });
    verification.updatedAt = at;
    await options.store.add({
      to,
      from: options.from ?? SANDBOX_FROM_NUMBER,
      body: `Your ${friendlyName} verification code is: ${verification.code}`,
      direction: 'outbound-api',
      status: 'delivered',
    });
    log.info(
      { verification: verification.sid, sends: verification.sends.length },
      'sandbox Verify code sent',
    );
    res.status(201).json(verificationJson('verification', verification, serviceSid, accountSid, 'pending'));
  });

  api.post('/Services/:ServiceSid/VerificationCheck', (req, res) => {
    const serviceSid = req.params.ServiceSid as string;
    if (serviceSid !== options.serviceSid) return sendError(res, notFound(req));
    const code = formField(req, 'Code');
    const to = formField(req, 'To');
    const verificationSid = formField(req, 'VerificationSid');
    if (code === undefined) return sendError(res, invalidParameter('Code'));
    if (to === undefined && verificationSid === undefined) return sendError(res, invalidParameter('To'));
    if (to !== undefined && !E164.test(to)) return sendError(res, invalidParameter('To'));

    const verification =
      to !== undefined
        ? liveFor(to)
        : [...pending.values()].find((v) => v.sid === verificationSid && liveFor(v.to) === v);
    if (!verification || (verificationSid !== undefined && verification.sid !== verificationSid)) {
      return sendError(res, notFound(req));
    }
    if (verification.checks >= VERIFY_MAX_CHECKS) {
      pending.delete(verification.to);
      return sendError(res, { status: 429, code: 60202, message: 'Max check attempts reached' });
    }
    verification.checks += 1;
    verification.updatedAt = now();
    const approved = sameSecret(code, verification.code);
    // Approved is final: Twilio answers a second check of the same verification 20404.
    if (approved) pending.delete(verification.to);
    log.info(
      { verification: verification.sid, approved, checks: verification.checks },
      'sandbox Verify check',
    );
    res.json(
      verificationJson('check', verification, serviceSid, accountSid, approved ? 'approved' : 'pending'),
    );
  });

  api.use((req: Request, res: Response) => sendError(res, notFound(req)));
  api.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error({ err: error }, 'sandbox Verify API failed');
    sendError(res, { status: 500, code: 20500, message: 'An internal server error has occurred' });
  });

  const router = express.Router();
  // Only /v2 (Verify's version prefix): the Messages emulation under the same prefix keeps /2010-04-01.
  router.use(`${options.basePath ?? SANDBOX_TWILIO_PATH}/v2`, api);
  return router;
}

function formField(req: Request, name: string): string | undefined {
  const value: unknown = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Twilio's JSON of a Verification or of a VerificationCheck resource: the fields they share, then each one's own. */
function verificationJson(
  resource: 'verification' | 'check',
  v: PendingVerification,
  serviceSid: string,
  accountSid: string,
  status: 'pending' | 'approved',
): Record<string, unknown> {
  const common = {
    sid: v.sid,
    service_sid: serviceSid,
    account_sid: accountSid,
    to: v.to,
    channel: 'sms',
    status,
    valid: status === 'approved',
    amount: null,
    payee: null,
    date_created: iso(v.createdAt),
    date_updated: iso(v.updatedAt),
  };
  if (resource === 'check') return { ...common, sna_attempts_error_codes: [] };
  return {
    ...common,
    lookup: { carrier: null },
    send_code_attempts: v.sends,
    sna: null,
    url: `https://verify.twilio.com/v2/Services/${serviceSid}/Verifications/${v.sid}`,
  };
}

function invalidParameter(name: string): VerifyError {
  return { status: 400, code: 60200, message: `Invalid parameter: ${name}` };
}

function notFound(req: Request): VerifyError {
  const resource = req.originalUrl.split('?')[0]?.replace(/^.*?\/v2\//, '/') ?? '';
  return { status: 404, code: 20404, message: `The requested resource ${resource} was not found` };
}

function sendError(res: Response, error: VerifyError): void {
  res.status(error.status).json({
    code: error.code,
    message: error.message,
    more_info: `https://www.twilio.com/docs/errors/${error.code}`,
    status: error.status,
  });
}

/** HTTP Basic with the account SID and auth token; Verify's paths name no account. */
function isAccount(req: Request, sid: string, token: string): boolean {
  const credentials = basicCredentials(req);
  return credentials !== undefined && credentials.user === sid && sameSecret(credentials.password, token);
}

function newSid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
