/**
 * "No rejected input starts or changes a workflow", checked against Temporal itself.
 *
 * Every answer that accepts an input names what it may touch (an appointment id and event id, a
 * Twilio message sid, a FHIR ingest); those accumulate here. Around each batch the oracle lists the
 * workflows on the stack's task queue (visibility) and reads the run id and history length of the
 * watched ones (the shared appointments and phones the near-valid inputs aim at). Afterwards:
 *  - a workflow id that was not there before must be one an accepted answer named;
 *  - in a new workflow, and in the new history of a watched one, every signal an ingress sends
 *    (ehrEvent, inboundReply, deliveryUpdate) must carry an event id or message sid an accepted answer
 *    gave (or, for delivery reports, a text the sandbox sent); no update, cancel or terminate may appear.
 * Signals between our own workflows (appointmentLinked, patientReply...) are the system's own work.
 * `fullScan` does the same over every workflow on the queue, so nothing outside the watched set escapes.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

export interface Accepted {
  appointmentIds: Set<string>;
  eventIds: Set<string>;
  ingestEventIds: Set<string>;
  inboundSids: Set<string>;
  statusSids: Set<string>;
}

export interface WorkflowState {
  runId: string;
  historyLength: number;
}

export interface Snapshot {
  /** Executions on the task queue (visibility), for the report. */
  executions: number;
  watched: Map<string, WorkflowState | undefined>;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Signals an ingress route sends, and which accepted id each must carry. */
const INGRESS_SIGNALS = ['ehrEvent', 'inboundReply', 'deliveryUpdate'] as const;
type IngressSignal = (typeof INGRESS_SIGNALS)[number];

export interface OracleDeps {
  client: Client;
  taskQueue: string;
  codec?: PayloadCodec;
  /** Sids of texts the sandbox Twilio sent (their delivery reports are the system's own). */
  sandboxSids: () => Promise<Set<string>>;
  /** Workflow ids to snapshot around every batch. */
  watched: () => readonly string[];
}

export class WorkflowOracle {
  readonly accepted: Accepted = {
    appointmentIds: new Set(),
    eventIds: new Set(),
    ingestEventIds: new Set(),
    inboundSids: new Set(),
    statusSids: new Set(),
  };
  private sandboxSids = new Set<string>();
  /** Executions (`workflowId runId`) and workflow ids already verified: visibility may list one a batch late. */
  private readonly knownExecutions = new Set<string>();
  private readonly knownWorkflowIds = new Set<string>();
  /** `runId@fromEvent` ranges already checked, so a run is not read twice for the same events. */
  private readonly checked = new Set<string>();

  constructor(private readonly deps: OracleDeps) {}

  async snapshot(): Promise<Snapshot> {
    const watched = new Map<string, WorkflowState | undefined>();
    await Promise.all(
      this.deps.watched().map(async (id) => {
        watched.set(id, await this.stateOf(id));
      }),
    );
    return { executions: await this.count(), watched };
  }

  /** Problems found since `before` (and in executions listed for the first time); empty when all is explained. */
  async verify(before: Snapshot): Promise<{ problems: string[]; after: Snapshot }> {
    const after = await this.snapshot();
    const problems: string[] = [];
    for await (const info of this.list()) {
      const execution = `${info.workflowId} ${info.runId}`;
      if (this.knownExecutions.has(execution)) continue;
      this.knownExecutions.add(execution);
      // A new run of a workflow already known (continue-as-new) needs no start of its own.
      if (!this.knownWorkflowIds.has(info.workflowId)) {
        this.knownWorkflowIds.add(info.workflowId);
        const unexplained = this.unexplainedStart(info.workflowId);
        if (unexplained) problems.push(unexplained);
      }
      problems.push(...(await this.checkSignals(info.workflowId, info.runId, 0)));
    }
    for (const [workflowId, was] of before.watched) {
      const now = after.watched.get(workflowId);
      if (!now || !was) continue; // absent before: checked whole as a new execution
      if (now.runId === was.runId && now.historyLength === was.historyLength) continue;
      problems.push(...(await this.checkSignals(workflowId, was.runId, was.historyLength)));
      if (now.runId !== was.runId) problems.push(...(await this.checkSignals(workflowId, now.runId, 0)));
    }
    return { problems, after };
  }

  /** Every workflow on the queue, whole histories (once visibility has caught up with the last starts). */
  async fullScan(): Promise<{ problems: string[]; workflows: number }> {
    for (let last = -1, now = await this.count(); now !== last; last = now, now = await this.count()) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const problems: string[] = [];
    let workflows = 0;
    const seen = new Set<string>();
    for await (const info of this.list()) {
      workflows++;
      if (!seen.has(info.workflowId)) {
        seen.add(info.workflowId);
        const unexplained = this.unexplainedStart(info.workflowId);
        if (unexplained) problems.push(unexplained);
      }
      this.checked.delete(`${info.runId}@0`);
      problems.push(...(await this.checkSignals(info.workflowId, info.runId, 0)));
    }
    return { problems, workflows };
  }

  private list() {
    return this.deps.client.workflow.list({ query: `TaskQueue = "${this.deps.taskQueue}"` });
  }

  private async count(): Promise<number> {
    return (await this.deps.client.workflow.count(`TaskQueue = "${this.deps.taskQueue}"`)).count;
  }

  private async stateOf(workflowId: string): Promise<WorkflowState | undefined> {
    try {
      const description = await this.deps.client.workflow.getHandle(workflowId).describe();
      return { runId: description.runId, historyLength: description.historyLength };
    } catch {
      return undefined; // not started (yet)
    }
  }

  private unexplainedStart(workflowId: string): string | undefined {
    const { appointmentIds, ingestEventIds } = this.accepted;
    if (workflowId.startsWith('appointment-')) {
      const id = workflowId.slice('appointment-'.length);
      return appointmentIds.has(id)
        ? undefined
        : `workflow ${workflowId} exists, but no accepted input named appointment ${JSON.stringify(id)}`;
    }
    if (workflowId.startsWith('fhir-ingest-')) {
      const id = workflowId.slice('fhir-ingest-'.length);
      return ingestEventIds.has(id)
        ? undefined
        : `workflow ${workflowId} exists, but no accepted FHIR input answered "resolving" with event ${JSON.stringify(id)}`;
    }
    // Phone conversations start from an accepted reply or from an appointment's text: their signals tell which.
    if (workflowId.startsWith('phone-')) return undefined;
    return `workflow ${workflowId} of an unknown kind exists`;
  }

  /** Ingress signals and updates in the run's events after `fromLength`, each explained or reported. */
  private async checkSignals(workflowId: string, runId: string, fromLength: number): Promise<string[]> {
    const key = `${runId}@${fromLength}`;
    if (this.checked.has(key)) return [];
    this.checked.add(key);
    let events: HistoryEvent[];
    try {
      events = (await this.deps.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    } catch (err) {
      return [`history of ${workflowId} (${runId}) could not be read: ${(err as Error).message}`];
    }
    const problems: string[] = [];
    for (const event of events.slice(fromLength)) {
      const eventNumber = Number(event.eventId);
      if (
        event.workflowExecutionUpdateAdmittedEventAttributes ||
        event.workflowExecutionUpdateAcceptedEventAttributes ||
        event.workflowExecutionCancelRequestedEventAttributes ||
        event.workflowExecutionTerminatedEventAttributes
      ) {
        problems.push(
          `${workflowId} event ${eventNumber}: an update, cancel or terminate, which no ingress sends`,
        );
        continue;
      }
      const signal = event.workflowExecutionSignaledEventAttributes;
      if (!signal?.signalName || !isIngressSignal(signal.signalName)) continue;
      const payloads = (signal.input?.payloads ?? []) as Payload[];
      const argument = await this.decodeFirst(payloads);
      const problem = await this.unexplainedSignal(signal.signalName, argument);
      if (problem) problems.push(`${workflowId} event ${eventNumber}: ${problem}`);
    }
    return problems;
  }

  private async unexplainedSignal(name: IngressSignal, argument: unknown): Promise<string | undefined> {
    const { eventIds, inboundSids, statusSids } = this.accepted;
    if (name === 'ehrEvent') {
      const eventId = field(field(argument, 'event'), 'eventId');
      return typeof eventId === 'string' && eventIds.has(eventId)
        ? undefined
        : `ehrEvent signal with event id ${JSON.stringify(eventId)} that no accepted input gave`;
    }
    const sid = field(argument, 'messageSid');
    if (name === 'inboundReply') {
      return typeof sid === 'string' && inboundSids.has(sid)
        ? undefined
        : `inboundReply signal for message ${JSON.stringify(sid)} that no accepted webhook call gave`;
    }
    if (typeof sid === 'string' && statusSids.has(sid)) return undefined;
    if (typeof sid === 'string' && !this.sandboxSids.has(sid))
      this.sandboxSids = await this.deps.sandboxSids();
    return typeof sid === 'string' && this.sandboxSids.has(sid)
      ? undefined
      : `deliveryUpdate signal for message ${JSON.stringify(sid)} that neither an accepted status callback nor the sandbox gave`;
  }

  private async decodeFirst(payloads: Payload[]): Promise<unknown> {
    if (payloads.length === 0) return undefined;
    const decoded = this.deps.codec ? await this.deps.codec.decode(payloads) : payloads;
    const first = decoded[0];
    return first ? defaultPayloadConverter.fromPayload(first) : undefined;
  }
}

function isIngressSignal(name: string): name is IngressSignal {
  return (INGRESS_SIGNALS as readonly string[]).includes(name);
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
