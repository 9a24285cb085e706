/**
 * How the appointments pages read: one page of Temporal visibility for a search (rows from our
 * search attributes), and one appointment's detail from the workflow (described, then its
 * `appointmentView` query while it runs) and from its last snapshot (state once closed, and the
 * patient's details: PHI, never logged). Every Temporal call is bounded.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import type { SnapshotStore } from '../../../activities/snapshots/port';
import { AppointmentState } from '../../../domain/appointment/appointmentState';
import { boundedTemporalCall, type AppointmentGateway } from '../../../ingest/appointmentGateway';
import type { Logger } from '../../../log';
import { appointmentWorkflowId, type AppointmentView } from '../../../shared/appointment';
import type { AppointmentStateData } from '../../../domain/appointment/records';
import { SEARCH_ATTRIBUTES } from '../../../shared/temporal';
import { PAGE_SIZE } from './searchQuery';

export interface ResultRow {
  appointmentId: string;
  workflowId: string;
  execution: string;
  status?: string;
  start?: string;
  nextReminderAt?: string;
  untextable?: string;
}

export interface ResultPage {
  rows: ResultRow[];
  nextToken?: Uint8Array;
}

export interface Detail {
  appointmentId: string;
  workflowId: string;
  /** Absent when Temporal no longer has the workflow (retention over) but its snapshot remains. */
  execution?: { status: string; type: string; runId: string };
  view?: AppointmentView;
  /** The last snapshot's state: the patient's details, texts' creation times, replies' text. */
  state?: AppointmentStateData;
  source: 'workflow' | 'snapshot';
}

export interface AppointmentReadsDeps {
  client: Client;
  namespace: string;
  /** Reads the live view. */
  gateway: AppointmentGateway;
  snapshots?: { store: SnapshotStore; customerCode: string } | undefined;
  pageSize?: number | undefined;
  timeoutMs: number;
  log: Logger;
}

export interface AppointmentReads {
  listPage(query: string, token: Uint8Array | undefined): Promise<ResultPage>;
  /** Undefined when neither Temporal nor the snapshot store knows the appointment. */
  readDetail(appointmentId: string): Promise<Detail | undefined>;
}

export function appointmentReads(deps: AppointmentReadsDeps): AppointmentReads {
  const { client, timeoutMs, log } = deps;

  async function listPage(query: string, token: Uint8Array | undefined): Promise<ResultPage> {
    const response = await boundedTemporalCall(client, timeoutMs, 'view', () =>
      client.workflowService.listWorkflowExecutions({
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
      const description = await boundedTemporalCall(client, timeoutMs, 'view', () =>
        client.workflow.getHandle(workflowId).describe(),
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
      view = await deps.gateway.view(appointmentId);
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

  return { listPage, readDetail };
}

/** What may be logged of an error: its name and message (Temporal's and the stores' carry no patient data). */
export function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: typeof err, message: '' };
}

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
