/**
 * POST /v1/ehr/hl7v2: HL7 v2 SIU messages as ER7 text, answered with an HL7 ACK (ARCHITECTURE §3).
 * `handleHl7Message` is the transport-free core, shared with the MLLP listener.
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import { acknowledgmentCode, buildAck, type AckError, type AckOutcome } from '../domain/hl7/ack';
import { untextableReasonOf } from '../domain/appointment/textability';
import { countEhrEvent, hl7Acks } from '../metrics/registry';
import { HL7_ERROR_CODES } from '../domain/hl7/problems';
import { mapSiuMessage } from '../domain/hl7/siuMapping';
import type { Hl7Header } from '../domain/hl7/header';
import {
  TemporalUnavailableError,
  UnknownAppointmentError,
  type AppointmentGateway,
} from '../ingest/appointmentGateway';
import type { Logger } from '../log';
import { BODY_LIMIT } from './app';
import { HttpError } from '../http/httpError';

/** Media types integration engines use for ER7 over HTTP. */
export const HL7_MEDIA_TYPES = [
  'application/hl7-v2',
  'x-application/hl7-v2+er7',
  'text/plain',
  'application/edi-hl7',
];

export interface Hl7IngressDeps {
  gateway: Pick<AppointmentGateway, 'submit'>;
  defaultCountry: string;
  defaultTimezone: string;
  /** HL7_TEXT_TEST_MESSAGES=true: MSH-11 T/D messages text patients like production ones. */
  textTestMessages?: boolean;
  logger: Logger;
  /** Injected for tests; defaults to the system clock. */
  now?: () => Date;
}

export interface Hl7RouterDeps extends Hl7IngressDeps {
  /** Bearer-key middleware (requireBearerKey), the same keys as the JSON endpoint. */
  auth: RequestHandler;
}

/** The ACK for one message, and when it asks for a resend later, how long to wait (HTTP's Retry-After). */
export interface Hl7Answer {
  ack: string;
  retryAfterSeconds?: number;
}

/** An ACK for one ER7 message; AA only once the event is durably with Temporal. Never throws. */
export async function handleHl7Message(text: string, deps: Hl7IngressDeps): Promise<string> {
  return (await answerHl7Message(text, deps)).ack;
}

export async function answerHl7Message(text: string, deps: Hl7IngressDeps): Promise<Hl7Answer> {
  const now = deps.now?.() ?? new Date();
  const mapped = mapSiuMessage(text, {
    defaultCountry: deps.defaultCountry,
    defaultTimezone: deps.defaultTimezone,
    receivedAt: now.toISOString(),
    textTestMessages: deps.textTestMessages ?? false,
  });
  // Control id and trigger only (bounded: they are the sender's text): the rest is patient data.
  const logContext = {
    controlId: mapped.controlId?.slice(0, 64),
    trigger: mapped.header?.triggerEvent.slice(0, 20),
  };
  if (!mapped.ok) {
    countEhrEvent('hl7', 'refused');
    deps.logger.warn(
      { ...logContext, outcome: mapped.code, errors: mapped.errors.map(errorLocation) },
      'HL7 message not accepted',
    );
    return { ack: acknowledge(mapped.header, mapped.code, mapped.errors, deps) };
  }
  try {
    const result = await deps.gateway.submit(mapped.event);
    const warnings = mapped.warnings.map((w): AckError => ({ ...w, severity: 'W' }));
    countEhrEvent(
      'hl7',
      result.duplicate ? 'duplicate' : 'accepted',
      warnings.length > 0 ? untextableReasonOf(mapped.event, now.getTime()) : undefined,
    );
    deps.logger.info(
      {
        ...logContext,
        outcome: 'AA',
        appointmentId: result.appointmentId,
        duplicate: result.duplicate,
        ...(warnings.length > 0 ? { warnings: warnings.map(errorLocation) } : {}),
      },
      'HL7 message accepted',
    );
    return { ack: acknowledge(mapped.header, 'AA', warnings, deps) };
  } catch (err) {
    if (err instanceof UnknownAppointmentError) {
      countEhrEvent('hl7', 'refused');
      deps.logger.warn(
        { ...logContext, outcome: 'AE' },
        'HL7 message not accepted: untimed event for an unknown appointment',
      );
      const error: AckError = {
        segment: 'SCH',
        field: 11,
        hl7ErrorCode: HL7_ERROR_CODES.requiredFieldMissing,
        // Short: v2.3/2.4 engines show it from MSA-3 (80 characters).
        message: 'appointment start required: no open appointment with this id',
      };
      return { ack: acknowledge(mapped.header, 'AE', [error], deps) };
    }
    // AR, not AE: AE says the content is wrong (engines park it for a human), while AR is HL7's "rejected for a
    // reason unrelated to the content" (system down), which engines resend. Enhanced mode turns it into CE.
    const unavailable = err instanceof TemporalUnavailableError;
    countEhrEvent('hl7', 'unavailable');
    if (unavailable) {
      deps.logger.warn(
        { ...logContext, outcome: 'AR', reason: err.reason },
        'HL7 message not taken: Temporal unavailable',
      );
    } else {
      deps.logger.error({ ...logContext, outcome: 'AR', err }, 'HL7 message could not be handed to Temporal');
    }
    // Short: v2.3/2.4 engines show it from MSA-3 (80 characters).
    const message = unavailable
      ? `temporarily unavailable: send the message again in ${err.retryAfterSeconds} s (a resend is applied once)`
      : 'internal error: the message was not stored; send it again later';
    return {
      ack: acknowledge(
        mapped.header,
        'AR',
        [{ message, hl7ErrorCode: HL7_ERROR_CODES.applicationInternalError }],
        deps,
      ),
      ...(unavailable ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
    };
  }
}

export function hl7Router(deps: Hl7RouterDeps): Router {
  const router = Router();
  // Route-level: the app's global parsers are for JSON and forms only; auth runs before the body is read.
  const er7Body = express.text({ type: HL7_MEDIA_TYPES, limit: BODY_LIMIT });

  router.post('/v1/ehr/hl7v2', deps.auth, er7Body, async (req, res) => {
    const text =
      typeof req.body === 'string' ? req.body : isHl7MediaType(req.get('content-type')) ? '' : undefined;
    if (text === undefined) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `Send the message as ER7 text with Content-Type ${HL7_MEDIA_TYPES.join(', ')}`,
      );
    }
    const { ack, retryAfterSeconds } = await answerHl7Message(text, deps);
    // 200 whatever MSA-1 says: HL7 engines read the ACK, not the status line (Retry-After is a hint for the others).
    if (retryAfterSeconds !== undefined) res.set('Retry-After', String(retryAfterSeconds));
    res.status(200).type('application/hl7-v2').send(ack);
  });

  return router;
}

function acknowledge(
  header: Hl7Header | undefined,
  outcome: AckOutcome,
  errors: readonly AckError[],
  deps: Hl7IngressDeps,
): string {
  hl7Acks.inc({ code: acknowledgmentCode(outcome, header, errors) });
  return buildAck({ header, outcome, errors, now: deps.now?.() ?? new Date(), ackControlId: newControlId() });
}

/** MSH-10 is 20 characters in v2.3–2.6, so a UUID's hex is cut to fit. */
function newControlId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 20);
}

function errorLocation(error: AckError): string {
  return `${error.segment ?? 'message'}${error.field === undefined ? '' : `-${error.field}`}:${error.hl7ErrorCode}`;
}

/** An empty body leaves req.body unset, but an HL7 media type still deserves an ACK rather than a 415. */
function isHl7MediaType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return HL7_MEDIA_TYPES.includes(mediaType);
}
