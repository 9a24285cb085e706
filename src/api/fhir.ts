/**
 * POST /v1/ehr/fhir (ARCHITECTURE §3): a FHIR R4 Appointment, alone with contained resources or in a Bundle,
 * handed to the appointment's workflow like /v1/ehr/events (202, or 200 for a duplicate). Anything refused is
 * answered the FHIR way: an OperationOutcome (application/fhir+json) listing every problem.
 * With FHIR_BASE_URL, an Appointment whose Patient, Practitioner or Location is only referenced is handed to
 * the FHIR ingest workflow instead, which reads them from the EHR first: 202 with `resolving: true`.
 */
import { untextableReasonOf } from '../domain/appointment/textability';
import { Router, type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { mapFhirAppointment, type UnresolvedReferences } from '../domain/fhir/appointmentMapping';
import { operationOutcome } from '../domain/fhir/problems';
import type { FhirIngestPort } from '../fhir/ingestStarter';
import {
  TemporalUnavailableError,
  UNKNOWN_APPOINTMENT,
  UnknownAppointmentError,
  type AppointmentGateway,
} from '../ingest/appointmentGateway';
import type { Logger } from '../log';
import { appointmentWorkflowId } from '../shared/appointment';
import { BODY_LIMIT } from './app';
import { HttpError } from '../http/httpError';
import { isTooDeep, jsonBody, MAX_JSON_DEPTH } from './jsonDepth';
import { countEhrEvent, type EventFormat } from '../metrics/registry';

export const FHIR_APPOINTMENT_PATH = '/v1/ehr/fhir';

/** FHIR's JSON media type, plain JSON, and the DSTU2 spelling some engines still send. */
export const FHIR_JSON_MEDIA_TYPES = ['application/fhir+json', 'application/json', 'application/json+fhir'];

export interface FhirRouterDeps {
  gateway: Pick<AppointmentGateway, 'submit'>;
  /** Bearer-key check, as for /v1/ehr/events (requireBearerKey). */
  auth: RequestHandler;
  /** DEFAULT_COUNTRY: national phone numbers are read in it. */
  defaultCountry: string;
  /** DEFAULT_TIMEZONE: texts show times in it unless the Appointment says otherwise. */
  defaultTimezone: string;
  /** FHIR_BASE_URL and the starter of the ingest workflow; absent: references must come with the Appointment. */
  references?: { ehrFhirBaseUrl: string; ingest: FhirIngestPort };
  logger: Logger;
}

export type Issue = { code: OperationOutcomeIssue['code']; diagnostics: string; expression?: string };

export function fhirRouter({
  gateway,
  auth,
  defaultCountry,
  defaultTimezone,
  references,
  logger,
}: FhirRouterDeps): Router {
  const log = logger.child({ component: 'fhir-ingest' });
  const router = Router();
  // The app's own parser reads application/json only; this one reads FHIR's media type too (and skips a body
  // already parsed). A body nested too deeply is refused before anything reads it (tooDeep, fhirErrors).
  const body = jsonBody({ type: FHIR_JSON_MEDIA_TYPES, limit: BODY_LIMIT });

  const requireFhirJson: RequestHandler = (req, res, next) => {
    if (req.is(FHIR_JSON_MEDIA_TYPES)) {
      next();
      return;
    }
    countEhrEvent('fhir', 'refused');
    sendOutcome(res, 415, [
      {
        code: 'not-supported',
        diagnostics: 'Send the resource as Content-Type: application/fhir+json (or application/json)',
      },
    ]);
  };

  const ingest = fhirIngest({ gateway, defaultCountry, defaultTimezone, references, log });

  router.post(FHIR_APPOINTMENT_PATH, auth, requireFhirJson, ...body, async (req, res) => {
    const answer = await ingest(req.body, new Date().toISOString());
    if (answer.ok) res.status(answer.status).json(answer.body);
    else sendOutcome(res, 400, answer.issues);
  });

  router.use(FHIR_APPOINTMENT_PATH, fhirErrors(log, 'fhir'));
  return router;
}

/** What one Appointment (or Bundle) posted or notified came to: an answer body, or the problems. */
export type FhirIngestAnswer =
  { ok: true; status: 200 | 202; body: Record<string, unknown> } | { ok: false; issues: Issue[] };

export interface FhirIngestDeps {
  gateway: Pick<AppointmentGateway, 'submit'>;
  defaultCountry: string;
  defaultTimezone: string;
  references?: FhirRouterDeps['references'];
  log: Logger;
  /** Which ingress the events are counted under (metrics): posted Appointments, or notifications. */
  format?: Extract<EventFormat, 'fhir' | 'fhir_notification'>;
}

/**
 * Maps a FHIR Appointment or Bundle (its depth already bounded: jsonBody) and hands it over: to its appointment workflow (202, 200 when
 * resent), or, when FHIR_BASE_URL is set and it only references what it needs, to the ingest
 * workflow that reads those first (202 `resolving`). Temporal unavailable throws (503 at the route).
 */
export function fhirIngest({
  gateway,
  defaultCountry,
  defaultTimezone,
  references,
  log,
  format = 'fhir',
}: FhirIngestDeps) {
  /** Counts what was not taken (Temporal unavailable, or a failure) and lets it go on to the route's handler. */
  const notTaken = (err: unknown): never => {
    countEhrEvent(format, 'unavailable');
    throw err;
  };
  return async (body: unknown, receivedAt: string): Promise<FhirIngestAnswer> => {
    const mapped = mapFhirAppointment(body, {
      defaultCountry,
      defaultTimezone,
      receivedAt,
      ...(references ? { ehrFhirBaseUrl: references.ehrFhirBaseUrl } : {}),
    });
    if (references && mapped.unresolved) {
      return startResolving(references.ingest, body, mapped.unresolved, receivedAt);
    }
    if (!mapped.ok) {
      countEhrEvent(format, 'refused');
      // Codes and element paths only: diagnostics may name references, and bodies hold patient data.
      log.warn(
        { issues: mapped.problems.map(({ code, expression }) => ({ code, expression })) },
        'FHIR appointment refused',
      );
      return { ok: false, issues: mapped.problems };
    }
    const result = await gateway.submit(mapped.event).catch((err: unknown) => {
      if (!(err instanceof UnknownAppointmentError)) notTaken(err);
      return undefined;
    });
    if (!result) {
      countEhrEvent(format, 'refused');
      log.warn(
        { appointmentId: mapped.event.appointmentId },
        'FHIR appointment refused: untimed, unknown appointment',
      );
      return {
        ok: false,
        issues: [
          {
            code: 'required',
            diagnostics: `Appointment.start is required: ${UNKNOWN_APPOINTMENT}`,
            expression: 'Appointment.start',
          },
        ],
      };
    }
    const untextable = untextableReasonOf(mapped.event, Date.now());
    countEhrEvent(format, result.duplicate ? 'duplicate' : 'accepted', untextable);
    log.info(
      {
        appointmentId: result.appointmentId,
        eventId: result.eventId,
        eventType: mapped.event.eventType,
        duplicate: result.duplicate,
        ...(untextable ? { untextable } : {}),
      },
      'FHIR appointment event accepted',
    );
    return {
      ok: true,
      status: result.duplicate ? 200 : 202,
      body: { ...result, ...(untextable ? { untextable } : {}) },
    };
  };

  /** The event waits in its ingest workflow for the EHR's resources; the sender is done (202, or 200 resent). */
  async function startResolving(
    ingest: FhirIngestPort,
    resource: unknown,
    unresolved: UnresolvedReferences,
    receivedAt: string,
  ): Promise<FhirIngestAnswer> {
    const { appointmentId, eventId, references: pending } = unresolved;
    const started = await ingest
      .start({ resource, references: pending, appointmentId, eventId, receivedAt })
      .catch(notTaken);
    countEhrEvent(format, started.duplicate ? 'duplicate' : 'accepted');
    log.info(
      { appointmentId, eventId, references: pending.length, duplicate: started.duplicate },
      'FHIR appointment event accepted: reading its references from the EHR',
    );
    return {
      ok: true,
      status: started.duplicate ? 200 : 202,
      body: {
        workflowId: appointmentWorkflowId(appointmentId),
        appointmentId,
        eventId,
        duplicate: started.duplicate,
        resolving: true,
      },
    };
  }
}

/** The refusal of a body nested deeper than MAX_JSON_DEPTH (jsonBody, jsonDepth.ts; answered by fhirErrors). */
export const tooDeep: Issue = {
  code: 'invalid',
  diagnostics: `The resource nests more than ${MAX_JSON_DEPTH} levels deep`,
};

export function sendOutcome(res: Response, status: number, issues: readonly Issue[]): void {
  res.status(status).type('application/fhir+json').json(operationOutcome(issues));
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * Errors on this route as OperationOutcomes: an integration engine speaking FHIR reads them in one place.
 * With `format`, bodies that cannot be read count as refused events (the rest is counted where it happens).
 */
export function fhirErrors(log: Logger, format?: EventFormat): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const parserStatus = (err as BodyParserError).status;
    if (
      format !== undefined &&
      !(err instanceof HttpError) &&
      !(err instanceof TemporalUnavailableError) &&
      typeof parserStatus === 'number' &&
      parserStatus >= 400 &&
      parserStatus < 500
    ) {
      countEhrEvent(format, 'refused');
    }
    if (err instanceof TemporalUnavailableError) {
      // FHIR's "transient": the content is fine, the server could not process it now; try again later.
      log.warn({ reason: err.reason }, 'FHIR appointment not taken: Temporal unavailable');
      res.set('Retry-After', String(err.retryAfterSeconds));
      sendOutcome(res, 503, [
        {
          code: 'transient',
          diagnostics: `${err.message}. Try again in ${err.retryAfterSeconds} s (Retry-After).`,
        },
      ]);
      return;
    }
    if (err instanceof HttpError) {
      const code: Issue['code'] = err.status === 401 ? 'login' : err.status === 403 ? 'forbidden' : 'invalid';
      sendOutcome(res, err.status, [{ code, diagnostics: err.message }]);
      return;
    }
    if (isTooDeep(err)) {
      sendOutcome(res, 400, [tooDeep]);
      return;
    }
    const parserError = err as BodyParserError;
    if (parserError.type === 'entity.too.large') {
      sendOutcome(res, 413, [{ code: 'too-long', diagnostics: `The body is over ${BODY_LIMIT}` }]);
      return;
    }
    if (parserError.type === 'entity.parse.failed') {
      sendOutcome(res, 400, [
        { code: 'invalid', diagnostics: 'The body is not JSON (a FHIR resource is a JSON object)' },
      ]);
      return;
    }
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      const code: Issue['code'] = parserError.status === 415 ? 'not-supported' : 'invalid';
      sendOutcome(res, parserError.status, [{ code, diagnostics: 'The request body could not be read' }]);
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'FHIR appointment ingest failed');
    sendOutcome(res, 500, [{ code: 'exception', diagnostics: 'Internal error; see the server log' }]);
  };
}
