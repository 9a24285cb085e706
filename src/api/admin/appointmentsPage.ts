/**
 * The operator console's appointments (issue 13.6): `GET /admin/appointments` searches Temporal
 * visibility with our search attributes (appointments/searchQuery.ts builds and guards the query),
 * 25 a page with Temporal's page tokens; `GET /admin/appointments/:id` shows one appointment: its
 * state from the workflow's `appointmentView` query while it runs, from its last snapshot once it
 * has closed, the patient's name and number from the snapshot (PHI: rendered here for a signed-in
 * operator, never logged), a timeline, and a link to the workflow in the Temporal Web UI.
 *
 * This module is the routes and what each failure answers; appointments/ has the query, the reads
 * and the HTML. Mount after the console's router (which guards everything under /admin); the router
 * also puts `requireOperator` in front of itself when given one.
 */
import type { Client } from '@temporalio/client';
import { Router, type RequestHandler, type Response } from 'express';
import type { SnapshotStore } from '../../activities/snapshots/port';
import { ehrIdentifier } from '../../domain/events/ingestRules';
import { TemporalUnavailableError, type AppointmentGateway } from '../../ingest/appointmentGateway';
import type { Logger } from '../../log';
import { buildVisibilityQuery, parsePageTrail, parseSearchForm } from './appointments/searchQuery';
import { detailBody } from './appointments/detailView';
import { appointmentReads, errorSummary, type Detail, type ResultPage } from './appointments/reads';
import { searchBody, type SearchPage } from './appointments/searchView';
import { html, sendPage } from './html';
import { errorAlert, operatorLayout } from './pageParts';
import { APPOINTMENTS_PATH } from './paths';

export interface AppointmentsPageDeps {
  /** The API's Temporal client (with the service's data converter, so queries' answers decode). */
  client: Client;
  /** TEMPORAL_NAMESPACE: visibility is listed in it. */
  namespace: string;
  /** The Temporal Web UI's base URL, e.g. http://localhost:8233 (embedded); no link without it. */
  temporalUiUrl?: string;
  /** Where closed appointments' state and every appointment's patient details are read. */
  snapshots?: { store: SnapshotStore; customerCode: string };
  /** Results per page; default PAGE_SIZE (25). */
  pageSize?: number;
  /** The bound on every Temporal call (TEMPORAL_SUBMIT_TIMEOUT_MS); default 5 s. */
  timeoutMs?: number;
  /** Reads the live view (the API's gateway: reading state starts nothing). */
  gateway: AppointmentGateway;
  /** Put in front of the pages when the router is mounted without the console's guard before it. */
  requireOperator?: RequestHandler;
  logger: Logger;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const GRPC_INVALID_ARGUMENT = 3;

export function appointmentsRouter(deps: AppointmentsPageDeps): Router {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = deps.logger.child({ component: 'admin-appointments' });
  const reads = appointmentReads({
    client: deps.client,
    namespace: deps.namespace,
    gateway: deps.gateway,
    snapshots: deps.snapshots,
    pageSize: deps.pageSize,
    timeoutMs,
    log,
  });
  const router = Router();
  if (deps.requireOperator) router.use(APPOINTMENTS_PATH, deps.requireOperator);

  router.get(APPOINTMENTS_PATH, async (req, res) => {
    const parsed = parseSearchForm(req.query as Record<string, unknown>);
    const trail = parsePageTrail(req.query.pages);
    if (!parsed.ok) return sendSearch(res, 400, { form: parsed.form, problems: parsed.problems });
    if (!trail) {
      return sendSearch(res, 400, {
        form: parsed.form,
        problems: [],
        notice: 'That page link is not valid. Search again.',
      });
    }
    const query = buildVisibilityQuery(parsed.search);
    let page: ResultPage;
    try {
      page = await reads.listPage(query, trail[trail.length - 1]);
    } catch (err) {
      if (err instanceof TemporalUnavailableError) {
        log.warn({ reason: err.reason }, 'appointments search: Temporal unavailable');
        return sendSearch(res, 503, {
          form: parsed.form,
          problems: [],
          notice: `${err.message}. Try again.`,
        });
      }
      if (trail.length > 0 && grpcCodeOf(err) === GRPC_INVALID_ARGUMENT) {
        return sendSearch(res, 400, {
          form: parsed.form,
          problems: [],
          notice: 'That page link has expired. Search again.',
        });
      }
      log.error({ err: errorSummary(err) }, 'appointments search failed');
      return sendSearch(res, 502, {
        form: parsed.form,
        problems: [],
        notice: 'Temporal could not run the search (see the server log).',
      });
    }
    sendSearch(res, 200, { form: parsed.form, problems: [], results: { ...page, trail } });
  });

  router.get(`${APPOINTMENTS_PATH}/:id`, async (req, res) => {
    const id = ehrIdentifier.safeParse(req.params.id);
    if (!id.success) return sendNotFound(res, req.params.id);
    const appointmentId = id.data;
    let detail: Detail | undefined;
    try {
      detail = await reads.readDetail(appointmentId);
    } catch (err) {
      if (err instanceof TemporalUnavailableError) {
        log.warn({ reason: err.reason, appointmentId }, 'appointment detail: Temporal unavailable');
        return sendPage(
          res,
          503,
          operatorLayout(
            res,
            `Appointment ${appointmentId}`,
            html`${errorAlert(`${err.message}. Try again.`)}`,
          ),
        );
      }
      throw err;
    }
    if (!detail) return sendNotFound(res, appointmentId);
    sendPage(res, 200, operatorLayout(res, `Appointment ${appointmentId}`, detailBody(detail, deps)));
  });

  return router;
}

function sendSearch(res: Response, status: number, page: SearchPage): void {
  sendPage(res, status, operatorLayout(res, 'Appointments', searchBody(page)));
}

function sendNotFound(res: Response, id: string): void {
  sendPage(
    res,
    404,
    operatorLayout(
      res,
      'Appointment not found',
      html`<p role="alert">No appointment with the id “${id}” is known here.</p>
        <p><a href="${APPOINTMENTS_PATH}">Search appointments</a></p>`,
    ),
  );
}

function grpcCodeOf(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 3; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
