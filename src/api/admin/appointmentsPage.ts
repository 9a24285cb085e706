/**
 * The operator console's appointments (issue 13.6): `GET /admin/appointments` searches Temporal
 * visibility with our search attributes (appointmentQuery.ts builds and guards the query), 25 a page
 * with Temporal's page tokens; `GET /admin/appointments/:id` shows one appointment: its state from
 * the workflow's `appointmentView` query while it runs, from its last snapshot once it has closed,
 * the patient's name and number from the snapshot (PHI: rendered here for a signed-in operator,
 * never logged), a timeline, and a link to the workflow in the Temporal Web UI.
 *
 * Mount after the console's router (which guards everything under /admin); the router also puts
 * `requireOperator` in front of itself when given one.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Router, type RequestHandler, type Response } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AppConfig } from '../../config';
import { appointmentPolicy } from '../../config/policy';
import { AppointmentState } from '../../domain/appointment/appointmentState';
import { ehrIdentifier } from '../../domain/events/canonicalEvent';
import {
  AppointmentGateway,
  boundedTemporalCall,
  TemporalUnavailableError,
} from '../../ingest/appointmentGateway';
import type { Logger } from '../../log';
import type { SnapshotStore } from '../../activities/snapshots/port';
import {
  appointmentWorkflowId,
  PHONE_PROBLEMS,
  type AppointmentStateData,
  type AppointmentView,
} from '../../shared/appointment';
import { SEARCH_ATTRIBUTES } from '../../shared/temporal';
import {
  APPOINTMENT_STATUSES,
  buildVisibilityQuery,
  formatPageTrail,
  PAGE_SIZE,
  parsePageTrail,
  parseSearchForm,
  type FieldProblem,
  type SearchField,
  type SearchForm,
} from './appointmentQuery';
import { html, layout, sendPage, type SafeHtml } from './html';
import type { OperatorLocals } from './operatorConsole';

export const APPOINTMENTS_PATH = '/admin/appointments';

export interface AppointmentsPageDeps {
  /** The API's Temporal client (with the service's data converter, so queries' answers decode). */
  client: Client;
  /** TEMPORAL_NAMESPACE: visibility is listed in it. */
  namespace: string;
  /** TEMPORAL_TASK_QUEUE (the gateway's; reading state starts nothing). */
  taskQueue: string;
  /** The Temporal Web UI's base URL, e.g. http://localhost:8233 (embedded); no link without it. */
  temporalUiUrl?: string;
  /** Where closed appointments' state and every appointment's patient details are read. */
  snapshots?: { store: SnapshotStore; customerCode: string };
  /** Results per page; default PAGE_SIZE (25). */
  pageSize?: number;
  /** The bound on every Temporal call (TEMPORAL_SUBMIT_TIMEOUT_MS); default 5 s. */
  timeoutMs?: number;
  /** Reads the live view; default: a gateway over `client` (the API's own may be passed). */
  gateway?: AppointmentGateway;
  /** Put in front of the pages when the router is mounted without the console's guard before it. */
  requireOperator?: RequestHandler;
  logger: Logger;
}

/** The deps as the API has them: `appointmentsRouter(appointmentsPageDepsOf(config, client, logger, snapshots))`. */
export function appointmentsPageDepsOf(
  config: AppConfig,
  client: Client,
  logger: Logger,
  store?: SnapshotStore,
): AppointmentsPageDeps {
  const { env } = config;
  const policy = appointmentPolicy(config);
  return {
    client,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    timeoutMs: env.TEMPORAL_SUBMIT_TIMEOUT_MS,
    gateway: new AppointmentGateway(client, env.TEMPORAL_TASK_QUEUE, () => policy, {
      submitTimeoutMs: env.TEMPORAL_SUBMIT_TIMEOUT_MS,
    }),
    ...(config.embeddedTemporal ? { temporalUiUrl: `http://localhost:${env.TEMPORAL_UI_PORT}` } : {}),
    ...(store ? { snapshots: { store, customerCode: env.CUSTOMER_CODE } } : {}),
    logger,
  };
}

const DEFAULT_TIMEOUT_MS = 5_000;

export function appointmentsRouter(deps: AppointmentsPageDeps): Router {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = deps.logger.child({ component: 'admin-appointments' });
  const gateway =
    deps.gateway ??
    new AppointmentGateway(
      deps.client,
      deps.taskQueue,
      () => {
        // Only view() is called here; submitting needs the policy.
        throw new Error('the appointments page never submits events');
      },
      { submitTimeoutMs: timeoutMs },
    );
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
      page = await listPage(query, trail[trail.length - 1]);
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
      detail = await readDetail(appointmentId);
    } catch (err) {
      if (err instanceof TemporalUnavailableError) {
        log.warn({ reason: err.reason, appointmentId }, 'appointment detail: Temporal unavailable');
        return sendPage(
          res,
          503,
          frame(
            res,
            `Appointment ${appointmentId}`,
            html`<p class="error" role="alert">${err.message}. Try again.</p>`,
          ),
        );
      }
      throw err;
    }
    if (!detail) return sendNotFound(res, appointmentId);
    sendPage(res, 200, frame(res, `Appointment ${appointmentId}`, detailBody(detail, deps)));
  });

  async function listPage(query: string, token: Uint8Array | undefined): Promise<ResultPage> {
    const response = await boundedTemporalCall(deps.client, timeoutMs, 'view', () =>
      deps.client.workflowService.listWorkflowExecutions({
        namespace: deps.namespace,
        query,
        pageSize: deps.pageSize ?? PAGE_SIZE,
        ...(token ? { nextPageToken: token } : {}),
      }),
    );
    const next = response.nextPageToken;
    return {
      rows: response.executions.map(rowOf),
      ...(next && next.length > 0 ? { nextToken: next } : {}),
    };
  }

  async function readDetail(appointmentId: string): Promise<Detail | undefined> {
    const workflowId = appointmentWorkflowId(appointmentId);
    let execution: Detail['execution'];
    try {
      const description = await boundedTemporalCall(deps.client, timeoutMs, 'view', () =>
        deps.client.workflow.getHandle(workflowId).describe(),
      );
      execution = { status: description.status.name, type: description.type, runId: description.runId };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const snapshot = await readSnapshot(appointmentId);
    let view: AppointmentView | undefined;
    let source: Detail['source'] = 'workflow';
    if (execution?.status === 'RUNNING' || (execution && !snapshot)) {
      // A closed run without a snapshot still answers its query (the worker replays its history).
      view = await gateway.view(appointmentId);
    }
    if (!view && snapshot) {
      view = new AppointmentState(snapshot).view();
      source = 'snapshot';
    }
    if (!execution && !snapshot) return undefined;
    return { appointmentId, workflowId, execution, view, state: snapshot, source };
  }

  async function readSnapshot(appointmentId: string): Promise<AppointmentStateData | undefined> {
    if (!deps.snapshots) return undefined;
    try {
      const snapshot = await deps.snapshots.store.readCurrent(deps.snapshots.customerCode, appointmentId);
      if (!snapshot) return undefined;
      const state = snapshotStateSchema.safeParse(snapshot.state);
      if (!state.success) {
        log.warn(
          { appointmentId, version: snapshot.version },
          'appointment detail: snapshot state unreadable',
        );
        return undefined;
      }
      return state.data as unknown as AppointmentStateData;
    } catch (err) {
      // The names of errors only: a snapshot holds patient data.
      log.warn({ appointmentId, err: errorSummary(err) }, 'appointment detail: snapshot not read');
      return undefined;
    }
  }

  return router;
}

// ---------------------------------------------------------------------------------------------
// Search results

interface ResultRow {
  appointmentId: string;
  workflowId: string;
  execution: string;
  status?: string;
  start?: string;
  nextReminderAt?: string;
  untextable?: string;
}

interface ResultPage {
  rows: ResultRow[];
  nextToken?: Uint8Array;
}

const GRPC_INVALID_ARGUMENT = 3;
const STATUS_PREFIX = 'WORKFLOW_EXECUTION_STATUS_';

function rowOf(raw: temporal.api.workflow.v1.IWorkflowExecutionInfo): ResultRow {
  const fields = raw.searchAttributes?.indexedFields ?? {};
  const workflowId = raw.execution?.workflowId ?? '';
  const text = (name: string): string | undefined => searchAttributeText(fields[name]);
  const statusName = temporal.api.enums.v1.WorkflowExecutionStatus[raw.status ?? 0] ?? 'UNSPECIFIED';
  const appointmentId = text(SEARCH_ATTRIBUTES.appointmentId.name) ?? workflowId.replace(/^appointment-/, '');
  const row: ResultRow = {
    appointmentId,
    workflowId,
    execution: statusName.replace(STATUS_PREFIX, ''),
  };
  const status = text(SEARCH_ATTRIBUTES.appointmentStatus.name);
  const start = text(SEARCH_ATTRIBUTES.appointmentStart.name);
  const next = text(SEARCH_ATTRIBUTES.nextReminderAt.name);
  const untextable = text(SEARCH_ATTRIBUTES.untextableReason.name);
  if (status) row.status = status;
  if (start) row.start = start;
  if (next) row.nextReminderAt = next;
  if (untextable) row.untextable = untextable;
  return row;
}

/** A search attribute's value (json/plain: a string, or a list of one as upserted by older SDK calls). */
function searchAttributeText(payload: temporal.api.common.v1.IPayload | undefined): string | undefined {
  if (!payload?.data) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload.data).toString('utf8'));
    const first: unknown = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' && first !== '' ? first : undefined;
  } catch {
    return undefined;
  }
}

interface SearchPage {
  form: SearchForm;
  problems: FieldProblem[];
  notice?: string;
  results?: ResultPage & { trail: Uint8Array[] };
}

function sendSearch(res: Response, status: number, page: SearchPage): void {
  sendPage(res, status, frame(res, 'Appointments', searchBody(page)));
}

const FIELD_IDS: Readonly<Record<SearchField, string>> = {
  id: 'search-id',
  match: 'search-match',
  status: 'search-status',
  startFrom: 'search-start-from',
  startTo: 'search-start-to',
  reminderAfter: 'search-reminder-after',
  reminderBefore: 'search-reminder-before',
  untextable: 'search-untextable',
};

function searchBody({ form, problems, notice, results }: SearchPage): SafeHtml {
  const problemOf = (field: SearchField): FieldProblem | undefined => problems.find((p) => p.field === field);
  const describedBy = (field: SearchField, hint?: string): SafeHtml => {
    const ids = [hint, problemOf(field) ? `${FIELD_IDS[field]}-error` : undefined].filter(Boolean);
    return ids.length > 0
      ? html` aria-describedby="${ids.join(' ')}"${problemOf(field) ? html` aria-invalid="true"` : ''}`
      : html``;
  };
  const fieldError = (field: SearchField): SafeHtml | '' => {
    const problem = problemOf(field);
    return problem ? html`<p class="error" id="${FIELD_IDS[field]}-error">${problem.message}</p>` : '';
  };
  const option = (value: string, label: string, current: string | undefined): SafeHtml =>
    html`<option value="${value}" ${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
  const input = (field: SearchField, label: string, type: string, hint?: string): SafeHtml =>
    html`<div class="field">
      <label for="${FIELD_IDS[field]}">${label}</label>
      <input
        id="${FIELD_IDS[field]}"
        name="${field}"
        type="${type}"
        value="${form[field] ?? ''}"
        ${describedBy(field, hint ? `${FIELD_IDS[field]}-hint` : undefined)}
      />
      ${hint ? html`<p class="hint" id="${FIELD_IDS[field]}-hint">${hint}</p>` : ''} ${fieldError(field)}
    </div>`;

  return html`${
      problems.length > 0
        ? html`<div class="error" role="alert">
            <p>Nothing was searched: fix ${problems.length === 1 ? 'this field' : 'these fields'}.</p>
            <ul>
              ${problems.map((p) => html`<li><a href="#${FIELD_IDS[p.field]}">${p.message}</a></li>`)}
            </ul>
          </div>`
        : ''
    }
    ${notice ? html`<p class="error" role="alert">${notice}</p>` : ''}
    <form method="get" action="${APPOINTMENTS_PATH}" class="search" role="search" aria-label="Appointments">
      <div class="field">
        <label for="${FIELD_IDS.id}">Appointment id</label>
        <input
          id="${FIELD_IDS.id}"
          name="id"
          type="text"
          value="${form.id ?? ''}"
          autocomplete="off"
          spellcheck="false"
          ${describedBy('id')}
        />
        ${fieldError('id')}
      </div>
      <div class="field">
        <label for="${FIELD_IDS.match}">Id match</label>
        <select id="${FIELD_IDS.match}" name="match" ${describedBy('match')}>
          ${option('exact', 'Exactly this id', form.match)}
          ${option('prefix', 'Ids starting with it', form.match)}
        </select>
        ${fieldError('match')}
      </div>
      <div class="field">
        <label for="${FIELD_IDS.status}">Status</label>
        <select id="${FIELD_IDS.status}" name="status" ${describedBy('status')}>
          ${option('', 'Any status', form.status)}
          ${APPOINTMENT_STATUSES.map((s) => option(s, s, form.status))}
        </select>
        ${fieldError('status')}
      </div>
      ${input('startFrom', 'Starts on or after (UTC date)', 'date')}
      ${input('startTo', 'Starts on or before (UTC date)', 'date')}
      ${input('reminderAfter', 'Next reminder at or after (UTC)', 'datetime-local')}
      ${input('reminderBefore', 'Next reminder before (UTC)', 'datetime-local')}
      <div class="field">
        <label for="${FIELD_IDS.untextable}">Cannot be texted</label>
        <select id="${FIELD_IDS.untextable}" name="untextable" ${describedBy('untextable')}>
          ${option('', 'Any appointment', form.untextable)}
          ${option('ANY', 'Cannot be texted (any reason)', form.untextable)}
          ${PHONE_PROBLEMS.map((p) => option(p, p, form.untextable))}
        </select>
        ${fieldError('untextable')}
      </div>
      <div class="actions">
        <button type="submit" name="search" value="1">Search</button>
        <a href="${APPOINTMENTS_PATH}">Clear</a>
      </div>
    </form>
    ${results ? resultsSection(form, results) : ''}`;
}

function resultsSection(form: SearchForm, results: ResultPage & { trail: Uint8Array[] }): SafeHtml {
  const pageNumber = results.trail.length + 1;
  const linkTo = (trail: Uint8Array[]): string => {
    const params = new URLSearchParams();
    for (const [field, value] of Object.entries(form)) if (value !== undefined) params.set(field, value);
    if (trail.length > 0) params.set('pages', formatPageTrail(trail));
    const query = params.toString();
    return query ? `${APPOINTMENTS_PATH}?${query}` : APPOINTMENTS_PATH;
  };
  const previous = results.trail.length > 0 ? linkTo(results.trail.slice(0, -1)) : undefined;
  const next = results.nextToken ? linkTo([...results.trail, results.nextToken]) : undefined;
  return html`<section aria-labelledby="results-heading">
    <h2 id="results-heading">Results, page ${pageNumber}</h2>
    ${
      results.rows.length === 0
        ? html`<p>
            No appointment matches${pageNumber > 1 ? ' on this page' : ''}. Newly booked ones can take a few
            seconds to appear.
          </p>`
        : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="results-heading">
            <table class="results">
              <thead>
                <tr>
                  <th scope="col">Appointment</th>
                  <th scope="col">Status</th>
                  <th scope="col">Start (UTC)</th>
                  <th scope="col">Next reminder (UTC)</th>
                  <th scope="col">Cannot be texted</th>
                  <th scope="col">Workflow</th>
                </tr>
              </thead>
              <tbody>
                ${results.rows.map(
                  (row) =>
                    html`<tr>
                      <th scope="row">
                        <a href="${APPOINTMENTS_PATH}/${encodeURIComponent(row.appointmentId)}"
                          >${row.appointmentId}</a
                        >
                      </th>
                      <td>${row.status ?? '—'}</td>
                      <td>${utcText(row.start)}</td>
                      <td>${utcText(row.nextReminderAt)}</td>
                      <td>${row.untextable ?? ''}</td>
                      <td>${executionLabel(row.execution)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${
      previous || next
        ? html`<nav aria-label="Result pages" class="pager">
            ${previous ? html`<a href="${previous}" rel="prev">Previous page</a>` : ''}
            ${next ? html`<a href="${next}" rel="next">Next page</a>` : ''}
          </nav>`
        : ''
    }
  </section>`;
}

function utcText(iso: string | undefined): SafeHtml | string {
  if (!iso) return '—';
  const at = DateTime.fromISO(iso, { zone: 'UTC' });
  if (!at.isValid) return iso;
  return html`<time datetime="${at.toISO() ?? iso}">${at.toFormat('yyyy-LL-dd HH:mm')}</time>`;
}

function executionLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase().replace(/_/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// Detail

interface Detail {
  appointmentId: string;
  workflowId: string;
  /** Absent when Temporal no longer has the workflow (retention over) but its snapshot remains. */
  execution?: { status: string; type: string; runId: string };
  view?: AppointmentView;
  /** The last snapshot's state: the patient's details, texts' creation times, replies' text. */
  state?: AppointmentStateData;
  source: 'workflow' | 'snapshot';
}

/** The snapshot state fields this page reads; the rest passes through to AppointmentState.view(). */
const snapshotStateSchema = z
  .object({
    appointmentId: z.string(),
    status: z.string(),
    optedOut: z.boolean(),
    lastEventAt: z.string(),
    version: z.number(),
    reminders: z.array(z.object({ kind: z.string(), dueAt: z.string(), status: z.string() }).loose()),
    messages: z.array(z.object({ kind: z.string(), status: z.string(), createdAt: z.string() }).loose()),
    ignoredEvents: z.array(z.object({ eventId: z.string(), reason: z.string() }).loose()),
    callbacks: z
      .array(z.object({ type: z.string(), status: z.string(), repliedAt: z.string() }).loose())
      .optional(),
    details: z
      .object({
        start: z.string(),
        timeZone: z.string(),
        patient: z
          .object({
            firstName: z.string().optional(),
            lastName: z.string().optional(),
            phone: z.string().optional(),
          })
          .loose(),
      })
      .loose()
      .nullable(),
  })
  .loose();

interface TimelineEntry {
  at: string | null;
  what: string;
  status: string;
  detail: string;
}

const IGNORED_WHY: Readonly<Record<string, string>> = {
  STALE: 'older than the last event applied (by the EHR’s event time)',
  UNKNOWN_TIME: 'no appointment time given and none known',
};

function timelineOf(view: AppointmentView, state: AppointmentStateData | undefined): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  if (view.lastEventAt) {
    entries.push({
      at: view.lastEventAt,
      what: 'Last EHR event applied',
      status: view.status,
      detail: `state version ${view.version}`,
    });
  }
  for (const event of view.ignoredEvents) {
    entries.push({
      at: event.eventAt,
      what: `EHR event ${event.eventType} ignored`,
      status: 'IGNORED',
      detail: `${event.eventId}: ${IGNORED_WHY[event.reason] ?? event.reason}`,
    });
  }
  view.messages.forEach((message, i) => {
    const created = state?.messages[i]?.kind === message.kind ? state.messages[i]?.createdAt : undefined;
    const detail = [
      message.sentAt ? null : 'not sent',
      message.sid ? `SID ${message.sid}` : null,
      message.error ? `error ${message.error}` : null,
    ].filter((part): part is string => part !== null);
    entries.push({
      at: message.sentAt ?? created ?? null,
      what: `Text: ${message.kind}`,
      status: message.status,
      detail: detail.join('; '),
    });
  });
  for (const reminder of view.reminders) {
    entries.push({
      at: reminder.sendAt ?? reminder.dueAt,
      what: `Reminder: ${reminder.kind}`,
      status: reminder.status,
      detail: [
        `due ${reminder.dueAt}`,
        reminder.sendAt ? `send ${reminder.sendAt}` : 'no send time',
        reminder.note ?? null,
      ]
        .filter((part): part is string => part !== null)
        .join('; '),
    });
  }
  view.callbacks.forEach((callback, i) => {
    const stored = state?.callbacks?.[i];
    const replyText = stored && stored.repliedAt === callback.repliedAt ? stored.replyText : undefined;
    entries.push({
      at: callback.repliedAt,
      what: `Patient reply${replyText ? ` “${replyText}”` : ''} → EHR ${callback.type}`,
      status: callback.status,
      detail: [
        callback.deliveredAt ? `EHR acknowledged ${callback.deliveredAt}` : 'not acknowledged yet',
        callback.error ? `error ${callback.error}` : null,
      ]
        .filter((part): part is string => part !== null)
        .join('; '),
    });
  });
  return entries.sort((a, b) =>
    a.at === null ? 1 : b.at === null ? -1 : Date.parse(a.at) - Date.parse(b.at),
  );
}

function zonedText(iso: string | null, zone: string): SafeHtml | string {
  if (!iso) return '—';
  const at = DateTime.fromISO(iso, { setZone: true });
  if (!at.isValid) return iso;
  const inZone = zone ? at.setZone(zone) : at.toUTC();
  const shown = inZone.isValid ? inZone : at.toUTC();
  return html`<time datetime="${at.toUTC().toISO() ?? iso}"
    >${shown.toFormat('yyyy-LL-dd HH:mm ZZZZ')}</time
  >`;
}

function detailBody(detail: Detail, deps: AppointmentsPageDeps): SafeHtml {
  const { view, state, execution } = detail;
  const patient = state?.details?.patient;
  const name = [patient?.firstName, patient?.lastName].filter(Boolean).join(' ');
  const zone = view?.timeZone ?? state?.details?.timeZone ?? '';
  const uiLink = deps.temporalUiUrl
    ? `${deps.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(detail.workflowId)}`
    : undefined;
  const untextable = view?.untextable ?? state?.untextable;
  return html`<p><a href="${APPOINTMENTS_PATH}">Back to the search</a></p>
    <section aria-labelledby="summary-heading">
      <h2 id="summary-heading">Summary</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>${view?.status ?? 'No event applied yet'}</dd>
        <dt>Start</dt>
        <dd>${view?.start ? zonedText(view.start, zone) : '—'}${zone ? ` (${zone})` : ''}</dd>
        <dt>Cannot be texted</dt>
        <dd>${untextable ?? 'No: it can be texted'}</dd>
        <dt>Opted out</dt>
        <dd>${view ? (view.optedOut ? 'Yes (STOP)' : 'No') : '—'}</dd>
        <dt>Patient</dt>
        <dd>${name || (state ? 'No name given' : 'Not available (no snapshot)')}</dd>
        <dt>Number</dt>
        <dd>${patient?.phone ?? (state ? 'None that can be texted' : 'Not available (no snapshot)')}</dd>
        <dt>Workflow</dt>
        <dd>
          ${detail.workflowId},
          ${execution ? `${executionLabel(execution.status)} (${execution.type})` : 'no longer in Temporal'};
          shown from ${detail.source === 'workflow' ? 'the workflow’s live state' : 'its last snapshot'}
        </dd>
      </dl>
      ${
        uiLink && execution
          ? html`<p>
              <a href="${uiLink}">Open the workflow in the Temporal Web UI</a>. Its payloads are encrypted;
              they show decoded to a browser signed in here, through the codec endpoint (<code>/codec</code>,
              README “Reading payloads: the codec server”).
            </p>`
          : ''
      }
    </section>
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      ${
        view
          ? timelineTable(timelineOf(view, state), zone)
          : html`<p>No event has been applied yet. Reload in a moment.</p>`
      }
    </section>`;
}

function timelineTable(entries: TimelineEntry[], zone: string): SafeHtml {
  if (entries.length === 0) return html`<p>Nothing recorded yet.</p>`;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="timeline-heading">
    <table class="timeline">
      <thead>
        <tr>
          <th scope="col">When${zone ? ` (${zone})` : ''}</th>
          <th scope="col">What</th>
          <th scope="col">Status</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (entry) =>
            html`<tr>
              <td>${zonedText(entry.at, zone)}</td>
              <th scope="row">${entry.what}</th>
              <td>${entry.status}</td>
              <td>${entry.detail}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// Shared

function frame(res: Response, title: string, body: SafeHtml): SafeHtml {
  const operator = res.locals.operator as OperatorLocals | undefined;
  return layout({ title, body, ...(operator ? { signedIn: { csrfToken: operator.csrfToken } } : {}) });
}

function sendNotFound(res: Response, id: string): void {
  sendPage(
    res,
    404,
    frame(
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

/** What may be logged of an error: its name and message (Temporal's and the stores' carry no patient data). */
function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: typeof err, message: '' };
}
