/**
 * Twilio's webhooks (ARCHITECTURE §5): `POST /v1/twilio/inbound` (a patient's text) and `POST /v1/twilio/status`
 * (delivery reports for texts we sent). Both accept only requests whose `X-Twilio-Signature` validates against
 * PUBLIC_BASE_URL, parse the form with zod, and hand the result to a ConversationPort; nothing else happens here.
 *
 * Retries and idempotency: by default Twilio retries a webhook once, and only when it cannot connect; an error answer
 * (our 503) goes to the number's Fallback URL if one is set, or is logged by Twilio as error 11200. Append connection
 * overrides to the configured URL (e.g. `…/v1/twilio/inbound#rc=3&rp=ct,rt,5xx`) to have Twilio retry our 503s.
 * Any of these paths can deliver the same message twice, so the port dedupes: inbound by MessageSid, status by
 * (MessageSid, MessageStatus), since one message gets a callback per status.
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import { MAX_REPLY_CHARACTERS } from '../domain/replies/parseReply';
import twilio from 'twilio';
import { z } from 'zod';
import { ehrIdentifier } from '../domain/events/ingestRules';
import type { Logger } from '../log';
import { HttpError } from '../http/httpError';
import { TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH } from '../http/twilioPaths';
import type { DeliveryReport, InboundText } from '../shared/phone';

export interface ConversationPort {
  /**
   * Durably hands the reply to the phone's conversation (must not lose it); resolves after that. Twilio may deliver
   * one message more than once: the same `messageSid` must be applied once.
   */
  deliverInbound(text: InboundText): Promise<void>;
  /**
   * One call per status change of a message; the same (messageSid, status) may arrive more than once.
   * May answer whether the report was used (ConversationGateway does); the webhook answers 200 either way.
   */
  deliverStatus(report: DeliveryReport): Promise<unknown>;
}

export interface TwilioWebhooksDeps {
  port: ConversationPort;
  /** The token of the account that signs: TWILIO_AUTH_TOKEN, or the sandbox account's in sandbox mode. */
  authToken: string;
  /** PUBLIC_BASE_URL without a trailing slash: the origin (and path prefix) Twilio calls and signs. */
  publicBaseUrl: string;
  logger: Logger;
  /** The text answering a picture or other media sent without text (MEDIA_NOT_SUPPORTED); none: routed as empty. */
  mediaOnlyAnswer?: string;
}

/** Twilio resource sids: two letters (SM, MM…) and 32 hex digits. */
const twilioSid = z.string().regex(/^[A-Z]{2}[0-9a-fA-F]{32}$/, 'must be a Twilio message sid');
const address = z.string().trim().min(1).max(64);

/** The fields we use of Twilio's inbound message webhook; Twilio sends more (AccountSid, NumMedia, FromCity…). */
export const twilioInboundForm = z.object({
  MessageSid: twilioSid,
  From: address,
  To: address,
  // Never refused (that would lose the reply): kept to Twilio's longest Body, so no request can make a
  // reply cost more than a real one. MMS without text has no Body at all.
  Body: z
    .string()
    .optional()
    .transform((body) => (body ?? '').slice(0, MAX_REPLY_CHARACTERS)),
  // An MMS: its media are never read (only text replies are), but a picture alone gets an answer.
  NumMedia: z
    .string()
    .optional()
    .transform((n) => (n && /^\d{1,3}$/.test(n) ? Number(n) : 0)),
});

/** The fields we use of Twilio's message status callback. */
export const twilioStatusForm = z.object({
  MessageSid: twilioSid,
  MessageStatus: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z_]{1,32}$/, 'must be a Twilio message status'),
  ErrorCode: z
    .string()
    .trim()
    .regex(/^\d{0,10}$/, 'must be a Twilio error code')
    .optional()
    .transform((code) => (code ? Number(code) : undefined)),
  To: address.optional(),
});

// The appointment id we put in the callback URL: held to the ingest rule before it names a workflow.
const statusCallbackQuery = z.object({ appointmentId: ehrIdentifier.optional() });

/** The empty TwiML answer: replies go out through the REST API from the workflow, so this webhook stays fast. */
const EMPTY_TWIML = new twilio.twiml.MessagingResponse().toString();

export function twilioWebhooksRouter({
  port,
  authToken,
  publicBaseUrl,
  logger,
  mediaOnlyAnswer,
}: TwilioWebhooksDeps): Router {
  const log = logger.child({ component: 'twilio-webhooks' });
  const verified = requireTwilioSignature(authToken, publicBaseUrl.replace(/\/+$/, ''), log);
  const router = Router();
  // Idempotent when the app already parsed the body; makes the router work on any app.
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  router.post(TWILIO_INBOUND_PATH, form, verified, async (req, res) => {
    const sms = parseForm(twilioInboundForm, req);
    if (sms.NumMedia > 0 && sms.Body.trim() === '' && mediaOnlyAnswer !== undefined) {
      // Nothing to route (a picture is no reply): Twilio sends the TwiML message back to the sender.
      log.info({ messageSid: sms.MessageSid, outcome: 'media_only_answered' }, 'inbound media without text');
      const twiml = new twilio.twiml.MessagingResponse();
      twiml.message(mediaOnlyAnswer);
      res.status(200).type('text/xml').send(twiml.toString());
      return;
    }
    try {
      await port.deliverInbound({
        messageSid: sms.MessageSid,
        from: sms.From,
        to: sms.To,
        body: sms.Body,
        receivedAt: new Date().toISOString(),
      });
    } catch (err) {
      log.error({ messageSid: sms.MessageSid, outcome: 'port_failed', err }, 'inbound text not handed over');
      throw new HttpError(503, 'unavailable', 'The reply could not be recorded; retry later');
    }
    log.info({ messageSid: sms.MessageSid, outcome: 'delivered' }, 'inbound text handed over');
    res.status(200).type('text/xml').send(EMPTY_TWIML);
  });

  router.post(TWILIO_STATUS_PATH, form, verified, async (req, res) => {
    const report = parseForm(twilioStatusForm, req);
    const query = statusCallbackQuery.safeParse(req.query);
    if (!query.success) throw invalidForm(query.error);
    const status: DeliveryReport = {
      messageSid: report.MessageSid,
      status: report.MessageStatus,
      ...(report.ErrorCode === undefined ? {} : { errorCode: report.ErrorCode }),
      ...(report.To === undefined ? {} : { to: report.To }),
      ...(query.data.appointmentId === undefined ? {} : { appointmentId: query.data.appointmentId }),
    };
    try {
      await port.deliverStatus(status);
    } catch (err) {
      log.error(
        { messageSid: status.messageSid, messageStatus: status.status, outcome: 'port_failed', err },
        'status callback not handed over',
      );
      throw new HttpError(503, 'unavailable', 'The status could not be recorded; retry later');
    }
    log.debug(
      { messageSid: status.messageSid, messageStatus: status.status, outcome: 'delivered' },
      'status',
    );
    res.status(204).end();
  });

  return router;
}

/**
 * 403 unless X-Twilio-Signature is Twilio's HMAC of the public URL it called (query string included) and the form
 * parameters. Behind a proxy the request's own host is not what Twilio signed, hence PUBLIC_BASE_URL.
 */
function requireTwilioSignature(authToken: string, publicBaseUrl: string, log: Logger): RequestHandler {
  return (req, _res, next) => {
    const signature = req.header('x-twilio-signature');
    // Twilio signs form posts only; any other body counts as no parameters (and then fails the form check).
    const params: Record<string, unknown> = req.is('application/x-www-form-urlencoded')
      ? formParams(req)
      : {};
    if (
      !signature ||
      !twilio.validateRequest(authToken, signature, publicBaseUrl + req.originalUrl, params)
    ) {
      log.warn({ path: req.path, outcome: signature ? 'invalid_signature' : 'missing_signature' }, 'refused');
      next(new HttpError(403, 'invalid_signature', 'X-Twilio-Signature is missing or does not match'));
      return;
    }
    next();
  };
}

function formParams(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

function parseForm<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      'Twilio webhooks are application/x-www-form-urlencoded',
    );
  }
  const parsed = schema.safeParse(formParams(req));
  if (!parsed.success) throw invalidForm(parsed.error);
  return parsed.data;
}

function invalidForm(error: z.ZodError): HttpError {
  const details = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(form)',
    message: issue.message,
  }));
  return new HttpError(400, 'invalid_form', `${details.length} invalid field(s)`, details);
}
