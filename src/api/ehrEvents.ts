/**
 * POST /v1/ehr/events (canonical JSON) and GET /v1/appointments/:appointment_id (ARCHITECTURE §3).
 * When Temporal cannot answer in time the gateway throws TemporalUnavailableError: 503 + Retry-After (errors.ts).
 */
import { untextableReasonOf } from '../domain/appointment/textability';
import { Router } from 'express';
import { BODY_LIMIT } from './app';
import { parseCanonicalEvent } from '../domain/events/canonicalEvent';
import { ehrIdentifier } from '../domain/events/ingestRules';
import {
  UNKNOWN_APPOINTMENT,
  UnknownAppointmentError,
  type AppointmentGateway,
} from '../ingest/appointmentGateway';
import { HttpError } from '../http/httpError';
import { jsonBody } from './jsonDepth';
import { countEhrEvent } from '../metrics/registry';

export interface EhrEventsDeps {
  gateway: AppointmentGateway;
  defaultCountry: string;
  auth: import('express').RequestHandler;
}

export function ehrEventsRouter({ gateway, defaultCountry, auth }: EhrEventsDeps): Router {
  const router = Router();

  // After auth: an unauthenticated sender's body is never read. A body nested too deeply is refused
  // before anything reads it (400 invalid_event, src/api/errors.ts).
  const body = jsonBody({ limit: BODY_LIMIT }, () => countEhrEvent('json', 'refused'));
  router.post('/v1/ehr/events', auth, ...body, async (req, res) => {
    if (!req.is('application/json')) {
      countEhrEvent('json', 'refused');
      throw new HttpError(415, 'unsupported_media_type', 'Send the event as Content-Type: application/json');
    }
    const parsed = parseCanonicalEvent(req.body, { defaultCountry, receivedAt: new Date().toISOString() });
    if (!parsed.ok) {
      countEhrEvent('json', 'refused');
      throw new HttpError(
        400,
        'invalid_event',
        `${parsed.problems.length} invalid field(s)`,
        parsed.problems,
      );
    }
    const result = await gateway.submit(parsed.event).catch((err: unknown) => {
      if (!(err instanceof UnknownAppointmentError)) {
        // Not taken (Temporal unavailable: 503; anything else: 500): the sender sends it again.
        countEhrEvent('json', 'unavailable');
        throw err;
      }
      countEhrEvent('json', 'refused');
      throw new HttpError(400, 'invalid_event', '1 invalid field(s)', [
        { field: 'appointment_datetime', message: `is required: ${UNKNOWN_APPOINTMENT}` },
      ]);
    });
    const untextable = untextableReasonOf(parsed.event, Date.now());
    countEhrEvent('json', result.duplicate ? 'duplicate' : 'accepted', untextable);
    res.status(result.duplicate ? 200 : 202).json({ ...result, ...(untextable ? { untextable } : {}) });
  });

  router.get('/v1/appointments/:appointment_id', auth, async (req, res) => {
    // Same rule as at ingest: an id that could never have been accepted is unknown, and never reaches Temporal.
    const id = ehrIdentifier.safeParse(req.params.appointment_id);
    const view = id.success ? await gateway.view(id.data) : undefined;
    if (!view) throw new HttpError(404, 'appointment_not_found', 'No appointment with that id');
    res.json(view);
  });

  return router;
}
