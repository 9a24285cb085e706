/**
 * The Temporal cost of what a system did, from visibility and history alone (never from workflow
 * internals): which executions exist, and per execution its history events, encoded bytes,
 * activities, signals, updates and workflow tasks.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type IHistory = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;

export interface HistoryCounts {
  events: number;
  /** Protobuf-encoded size of the History message. */
  bytes: number;
  /** ActivityTaskScheduled plus local-activity markers. */
  activities: number;
  localActivities: number;
  signals: number;
  updates: number;
  workflowTasks: number;
  timers: number;
}

export interface ExecutionCost extends HistoryCounts {
  workflowId: string;
  runId: string;
  type: string;
  taskQueue: string;
  status: string;
}

/** Pure: the counts of one history. */
export function countHistory(history: IHistory): HistoryCounts {
  const events = history.events ?? [];
  const count = (type: temporal.api.enums.v1.EventType): number =>
    events.filter((event) => event.eventType === type).length;
  const localActivities = events.filter(
    (event) =>
      event.eventType === EventType.EVENT_TYPE_MARKER_RECORDED &&
      /local.?activity/i.test(event.markerRecordedEventAttributes?.markerName ?? ''),
  ).length;
  const scheduled = count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  return {
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    activities: scheduled + localActivities,
    localActivities,
    signals: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    updates: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    timers: count(EventType.EVENT_TYPE_TIMER_STARTED),
  };
}

export function sumCosts(costs: readonly HistoryCounts[]): HistoryCounts {
  const total: HistoryCounts = {
    events: 0,
    bytes: 0,
    activities: 0,
    localActivities: 0,
    signals: 0,
    updates: 0,
    workflowTasks: 0,
    timers: 0,
  };
  for (const cost of costs) {
    for (const key of Object.keys(total) as Array<keyof HistoryCounts>) total[key] += cost[key];
  }
  return total;
}

export async function listExecutions(client: Client, query?: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list(query === undefined ? {} : { query })) found.push(info);
  return found;
}

export async function costOf(client: Client, info: WorkflowExecutionInfo): Promise<ExecutionCost> {
  const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    taskQueue: info.taskQueue,
    status: info.status.name,
    ...countHistory(history),
  };
}

/** The current history length of an execution (from its mutable state, not the visibility record). */
export async function historyLength(client: Client, workflowId: string, runId: string): Promise<number> {
  const described = await client.workflow.getHandle(workflowId, runId).describe();
  return described.historyLength;
}

export const executionKey = (info: { workflowId: string; runId: string }): string =>
  `${info.workflowId}/${info.runId}`;
