/**
 * `POST /v1/sandbox/inbound` `{"from":"+1…","body":"1","to"?}` (ARCHITECTURE §6): a simulated patient's text. It is
 * recorded in the sandbox store (so the virtual phone shows it) and then POSTed to our own `POST /v1/twilio/inbound`
 * exactly as Twilio would: the same form fields, signed with the account's auth token over the PUBLIC_BASE_URL of the
 * webhook. So a sandbox reply takes the very path (signature check, form parsing, conversation port) a real one takes.
 */
import express, { Router } from 'express';
import { MAX_REPLY_CHARACTERS } from '../domain/replies/parseReply';
import { z } from 'zod';
import { SANDBOX_ACCOUNT_SID } from '../activities/twilioClient';
import { HttpError } from '../http/httpError';
import { TWILIO_INBOUND_PATH } from '../http/twilioPaths';
import type { Logger } from '../log';
import type { SandboxMessageStore } from './messageStore';
import { postSignedTwilioForm } from './signedTwilioPost';

export interface SandboxInboundDeps {
  store: SandboxMessageStore;
  /** Where this process's API answers, e.g. `http://127.0.0.1:3000`: the webhook is called there. */
  apiOrigin: string;
  /** The token Twilio would sign with; the webhook router must validate with the same (SANDBOX_AUTH_TOKEN). */
  authToken: string;
  /** PUBLIC_BASE_URL: the URL Twilio would have called, and so the one the signature covers. */
  publicBaseUrl: string;
  /** The clinic's number the patient texts when the request names no `to`. */
  sandboxNumber: string;
  logger: Logger;
}

export const SANDBOX_INBOUND_PATH = '/v1/sandbox/inbound';

const E164 = /^\+[1-9]\d{6,14}$/;
const e164 = z.string().trim().regex(E164, 'must be an E.164 number, e.g. +13035550123');
/** Twilio's read timeout for webhooks. */
const WEBHOOK_TIMEOUT_MS = 15_000;

export const sandboxInboundRequest = z.object({
  from: e164,
  /** Kept as typed: spaces and case are the reply parser's business. */
  body: z.string().max(MAX_REPLY_CHARACTERS),
  to: e164.optional(),
  /** Media URLs: the text arrives as an MMS (NumMedia, MediaUrl0…), as a picture from a phone would. */
  media: z
    .array(z.url({ protocol: /^https?$/ }))
    .max(10)
    .optional(),
});

export interface SandboxInboundResult {
  messageSid: string;
  /** The HTTP status our inbound webhook answered (null when it could not be reached). */
  status: number | null;
}

/** One simulated patient text (already validated: E.164 numbers, a body within the reply limit). */
export interface SandboxInboundText {
  from: string;
  body: string;
  /** The clinic's number texted; default `sandboxNumber`. */
  to?: string;
  media?: readonly string[];
}

/** Whether our inbound webhook took the text (2xx), and if not why. */
export type SandboxInboundOutcome =
  | (SandboxInboundResult & { delivered: true })
  | (SandboxInboundResult & {
      delivered: false;
      error: { code: 'webhook_unreachable' | 'webhook_failed'; message: string };
    });

/**
 * Records the patient's text in the sandbox store, then POSTs it to our own inbound webhook signed as
 * Twilio signs, and records the webhook's TwiML answers as texts back to the patient. Used by
 * `POST /v1/sandbox/inbound` and the console's virtual phone. Logs message sids only.
 */
export async function deliverSandboxInbound(
  deps: SandboxInboundDeps,
  text: SandboxInboundText,
): Promise<SandboxInboundOutcome> {
  const { store, authToken } = deps;
  const apiOrigin = deps.apiOrigin.replace(/\/+$/, '');
  const publicBaseUrl = deps.publicBaseUrl.replace(/\/+$/, '');
  const log = deps.logger.child({ component: 'sandbox-inbound' });
  const { from, body, media = [] } = text;
  const to = text.to ?? deps.sandboxNumber;

  // Recorded first, so the virtual phone lists the patient's text before any reply the workflow sends.
  const message = await store.add({ from, to, body, direction: 'inbound' });
  const params: Record<string, string> = {
    AccountSid: SANDBOX_ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    Body: body,
    From: from,
    MessageSid: message.sid,
    NumMedia: String(media.length),
    ...Object.fromEntries(media.map((url, i) => [`MediaUrl${i}`, url])),
    NumSegments: String(message.numSegments),
    SmsMessageSid: message.sid,
    SmsSid: message.sid,
    SmsStatus: 'received',
    To: to,
  };

  let status: number;
  try {
    const response = await postSignedTwilioForm({
      url: apiOrigin + TWILIO_INBOUND_PATH,
      signedUrl: publicBaseUrl + TWILIO_INBOUND_PATH,
      authToken,
      params,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    status = response.status;
    // Twilio sends a TwiML <Message> answer back to the sender: so does the sandbox.
    const answers = status === 200 ? twimlMessages(await response.text()) : [];
    if (status !== 200) await response.arrayBuffer(); // drain, so the connection is released
    for (const answer of answers) {
      await store.add({
        from: to,
        to: from,
        body: answer,
        direction: 'outbound-reply',
        status: 'delivered',
      });
    }
  } catch (err) {
    log.warn(
      { messageSid: message.sid, outcome: 'webhook_unreachable', err },
      'sandbox inbound not delivered',
    );
    return {
      delivered: false,
      messageSid: message.sid,
      status: null,
      error: { code: 'webhook_unreachable', message: 'The inbound webhook could not be reached' },
    };
  }
  if (status < 200 || status >= 300) {
    log.warn(
      { messageSid: message.sid, webhookStatus: status, outcome: 'webhook_refused' },
      'sandbox inbound',
    );
    return {
      delivered: false,
      messageSid: message.sid,
      status,
      error: { code: 'webhook_failed', message: `The inbound webhook answered HTTP ${status}` },
    };
  }
  log.info({ messageSid: message.sid, webhookStatus: status, outcome: 'delivered' }, 'sandbox inbound');
  return { delivered: true, messageSid: message.sid, status };
}

export function sandboxInboundRouter(deps: SandboxInboundDeps): Router {
  const router = Router();

  router.post(SANDBOX_INBOUND_PATH, express.json({ limit: '64kb' }), async (req, res) => {
    if (!req.is('application/json')) {
      throw new HttpError(415, 'unsupported_media_type', 'Send the text as Content-Type: application/json');
    }
    const parsed = sandboxInboundRequest.safeParse(req.body);
    if (!parsed.success) {
      const details = parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      }));
      throw new HttpError(400, 'invalid_inbound', `${details.length} invalid field(s)`, details);
    }
    const outcome = await deliverSandboxInbound(deps, parsed.data);
    const result: SandboxInboundResult = { messageSid: outcome.messageSid, status: outcome.status };
    if (!outcome.delivered) {
      res.status(502).json({ ...result, error: outcome.error });
      return;
    }
    res.status(202).json(result);
  });

  return router;
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&apos;': "'",
};

/** The bodies of a TwiML response's <Message> verbs (our webhook writes them with the twilio SDK). */
export function twimlMessages(twiml: string): string[] {
  return [...twiml.matchAll(/<Message(?:\s[^>]*)?>([\s\S]*?)<\/Message>/g)].map((m) =>
    (m[1] ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (entity) => XML_ENTITIES[entity] ?? entity),
  );
}
