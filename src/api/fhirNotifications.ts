/**
 * FHIR Subscription notifications (README "FHIR Subscriptions"): the EHR tells us an Appointment
 * changed. `POST /v1/ehr/fhir/notifications` takes R4B/R5 topic-based notification Bundles and the
 * R4 backport's; `PUT|POST /v1/ehr/fhir/notifications/Appointment/:id` takes R4 rest-hooks, which
 * send the resource (full-resource) or nothing (empty: the URL names it). A full resource is ingested
 * as a posted one; a named one is read from the EHR (FHIR_BASE_URL) by the FHIR ingest workflow.
 * Resent notifications apply once: a resource's version is its event id, a named one's ingest is keyed
 * by the notification, and the appointment workflow dedupes versions besides.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Router, type RequestHandler, type Request, type Response } from 'express';
import { readNotification, type NotifiedAppointment } from '../domain/fhir/subscriptionNotification';
import { FHIR_ID } from '../domain/fhir/references';
import { notifiedIngestEventId } from '../domain/fhir/resolvedReferences';
import { BODY_LIMIT } from './app';
import {
  FHIR_JSON_MEDIA_TYPES,
  fhirErrors,
  fhirIngest,
  sendOutcome,
  type FhirIngestAnswer,
  type FhirRouterDeps,
  type Issue,
} from './fhir';
import { jsonBody } from './jsonDepth';
import { countEhrEvent } from '../metrics/registry';

export const FHIR_NOTIFICATIONS_PATH = '/v1/ehr/fhir/notifications';

export function fhirNotificationsRouter(deps: FhirRouterDeps): Router {
  const log = deps.logger.child({ component: 'fhir-notifications' });
  const ingest = fhirIngest({ ...deps, log, format: 'fhir_notification' });
  const router = Router();
  // The body is parsed, then the URL's id checked, then the body's depth (refuseTooDeep: before the key
  // below (JSON.stringify) and the ingest, since what nests too deeply cannot be read safely; answered by
  // fhirErrors, which counts it refused).
  const [parseBody, refuseTooDeep] = jsonBody({ type: FHIR_JSON_MEDIA_TYPES, limit: BODY_LIMIT });

  const requireFhirId: RequestHandler = (req, res, next) => {
    const id = typeof req.params.id === 'string' ? req.params.id : undefined;
    if (id !== undefined && !FHIR_ID.test(id)) {
      sendOutcome(res, 400, [
        { code: 'invalid', diagnostics: 'Not a FHIR id', expression: 'Appointment.id' },
      ]);
      return;
    }
    next();
  };

  const handle = async (req: Request, res: Response): Promise<void> => {
    const receivedAt = new Date().toISOString();
    const id = typeof req.params.id === 'string' ? req.params.id : undefined;
    const urlReference = id === undefined ? undefined : `Appointment/${id}`;
    const body: unknown = req.body;
    const read = readNotification(body, urlReference);
    if (!read.ok) {
      countEhrEvent('fhir_notification', 'refused');
      log.warn({ expression: read.expression }, 'FHIR notification refused');
      sendOutcome(res, 400, [
        {
          code: 'invalid',
          diagnostics: read.diagnostics,
          ...(read.expression ? { expression: read.expression } : {}),
        },
      ]);
      return;
    }
    // A resent notification carries the same body: its key (and so its ingest) is the same. An empty
    // one says only "it changed": each is new, and the version read then dedupes.
    const key =
      body === undefined
        ? randomUUID()
        : createHash('sha256')
            .update(`${urlReference ?? ''}\n${JSON.stringify(body)}`)
            .digest('hex')
            .slice(0, 24);
    const answers: FhirIngestAnswer[] = [];
    for (const appointment of read.appointments) {
      answers.push(await ingestNotified(appointment, key, receivedAt));
    }
    log.info(
      { type: read.type, appointments: answers.length, refused: answers.filter((a) => !a.ok).length },
      'FHIR notification',
    );
    if (answers.length > 0 && answers.every((a) => !a.ok)) {
      sendOutcome(
        res,
        400,
        answers.flatMap((a) => (a.ok ? [] : a.issues)),
      );
      return;
    }
    // 200 whatever each appointment came to: a notification endpoint that errors gets its subscription disabled.
    res.status(200).json({
      type: read.type,
      appointments: answers.map((a) => (a.ok ? a.body : { refused: a.issues })),
    });
  };

  async function ingestNotified(
    appointment: NotifiedAppointment,
    key: string,
    receivedAt: string,
  ): Promise<FhirIngestAnswer> {
    if (appointment.kind === 'resource') return ingest(appointment.bundle, receivedAt);
    const { references } = deps;
    if (!references) {
      const issue: Issue = {
        code: 'not-supported',
        diagnostics:
          'The notification only names the Appointment: set FHIR_BASE_URL so it can be read from the EHR, or subscribe with full-resource content',
      };
      countEhrEvent('fhir_notification', 'refused');
      return { ok: false, issues: [issue] };
    }
    const eventId = notifiedIngestEventId(appointment.reference, key);
    const appointmentId = /Appointment\/([^/]+)$/.exec(appointment.reference)?.[1] ?? appointment.reference;
    const started = await references.ingest
      .start({
        appointmentReference: appointment.reference,
        references: [],
        appointmentId,
        eventId,
        receivedAt,
      })
      .catch((err: unknown) => {
        countEhrEvent('fhir_notification', 'unavailable');
        throw err;
      });
    countEhrEvent('fhir_notification', started.duplicate ? 'duplicate' : 'accepted');
    log.info(
      { eventId, duplicate: started.duplicate },
      'FHIR notification: reading the Appointment from the EHR',
    );
    return {
      ok: true,
      status: started.duplicate ? 200 : 202,
      body: { eventId, duplicate: started.duplicate, resolving: true },
    };
  }

  const reading = [deps.auth, parseBody, requireFhirId, refuseTooDeep];
  router.post(FHIR_NOTIFICATIONS_PATH, ...reading, handle);
  router.put(`${FHIR_NOTIFICATIONS_PATH}/Appointment/:id`, ...reading, handle);
  router.post(`${FHIR_NOTIFICATIONS_PATH}/Appointment/:id`, ...reading, handle);
  router.use(FHIR_NOTIFICATIONS_PATH, fhirErrors(log, 'fhir_notification'));
  return router;
}
