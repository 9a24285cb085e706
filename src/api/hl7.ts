/**
 * POST /v1/ehr/hl7v2: HL7 v2 SIU messages as ER7 text, answered with an HL7 ACK (ARCHITECTURE §3).
 * `handleHl7Message` is the transport-free core, shared with the MLLP listener.
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import { buildAck, type AckError, type AckOutcome } from '../domain/hl7/ack';
import { HL7_ERROR_CODES, mapSiuMessage, type Hl7Header } from '../domain/hl7/siuMapping';
import type { AppointmentGateway } from '../ingest/appointmentGateway';
import type { Logger } from '../log';
import { BODY_LIMIT } from './app';
import { HttpError } from './errors';

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
  logger: Logger;
  /** Injected for tests; defaults to the system clock. */
  now?: () => Date;
}

export interface Hl7RouterDeps extends Hl7IngressDeps {
  /** Bearer-key middleware (requireBearerKey), the same keys as the JSON endpoint. */
  auth: RequestHandler;
}

/** An ACK for one ER7 message; AA only once the event is durably with Temporal. Never throws. */
export async function handleHl7Message(text: string, deps: Hl7IngressDeps): Promise<string> {
  const now = deps.now?.() ?? new Date();
  const mapped = mapSiuMessage(text, {
    defaultCountry: deps.defaultCountry,
    defaultTimezone: deps.defaultTimezone,
    receivedAt: now.toISOString(),
  });
  // Control id and trigger only (bounded: they are the sender's text): the rest is patient data.
  const logContext = {
    controlId: mapped.controlId?.slice(0, 64),
    trigger: mapped.header?.triggerEvent.slice(0, 20),
  };
  if (!mapped.ok) {
    deps.logger.warn(
      { ...logContext, outcome: mapped.code, errors: mapped.errors.map(errorLocation) },
      'HL7 message not accepted',
    );
    return acknowledge(mapped.header, mapped.code, mapped.errors, deps);
  }
  try {
    const result = await deps.gateway.submit(mapped.event);
    deps.logger.info(
      { ...logContext, outcome: 'AA', appointmentId: result.appointmentId, duplicate: result.duplicate },
      'HL7 message accepted',
    );
    return acknowledge(mapped.header, 'AA', [], deps);
  } catch (err) {
    // Not stored, and not the sender's fault: AR is HL7's "rejected for a reason unrelated to the content".
    deps.logger.error({ ...logContext, outcome: 'AR', err }, 'HL7 message could not be handed to Temporal');
    return acknowledge(
      mapped.header,
      'AR',
      [
        {
          message: 'temporarily unavailable: the message was not stored, send it again later',
          hl7ErrorCode: HL7_ERROR_CODES.applicationInternalError,
        },
      ],
      deps,
    );
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
    const ack = await handleHl7Message(text, deps);
    // 200 whatever MSA-1 says: HL7 engines read the ACK, not the status line.
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
