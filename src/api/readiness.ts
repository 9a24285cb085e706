/**
 * GET /readyz: Temporal answers and a worker is alive on our task queue.
 *
 * "Alive" comes from worker heartbeats (ListWorkers). Every worker process of ours sends one every
 * WORKER_HEARTBEAT_INTERVAL_MS (src/temporal/runtimeLogger.ts) and a last one saying it is shutting
 * down, so readiness turns false as soon as the last worker drains, and at most WORKER_GONE_AFTER_MS
 * after its last heartbeat when it is killed.
 *
 * The task queue's pollers (DescribeTaskQueue) cannot tell that soon: the server stamps a poller when
 * its long poll starts, a long poll lasts up to a minute, and a worker that is gone stays listed with
 * its last stamp for five minutes. They are only the fallback, for a cluster that reports no worker
 * heartbeats (older servers, or `frontend.WorkerHeartbeatsEnabled` off): there readiness turns false
 * POLLER_FRESH_MS after the last poll began.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { WORKER_HEARTBEAT_INTERVAL_MS } from '../temporal/runtimeLogger';

export interface Readiness {
  ready: boolean;
  temporal: 'reachable' | 'unreachable';
  worker: 'polling' | 'not-polling' | 'unknown';
  detail?: string;
}

/** Missing this many heartbeats in a row means gone: one lost or late heartbeat is tolerated. */
const MISSED_HEARTBEATS = 3;
/** A killed worker of ours counts as gone this long after its last heartbeat (6 s; goneAfterMs). */
export const WORKER_GONE_AFTER_MS = MISSED_HEARTBEATS * WORKER_HEARTBEAT_INTERVAL_MS;
/**
 * WORKER_GONE_AFTER_MS as the texts that explain a worker counted gone say it ("6 s"): /readyz's detail
 * and the console's "Worker polling" check. Our workers' heartbeat interval makes it goneAfterMs for them.
 */
export const WORKER_GONE_AFTER_TEXT = `${WORKER_GONE_AFTER_MS / 1000} s`;
/** Without heartbeats: a worker re-polls at least once a minute (the server's long-poll expiry). */
export const POLLER_FRESH_MS = 90_000;
/** The SDK's longest heartbeat interval: bounds what a worker's own heartbeats make us wait for. */
const LONGEST_HEARTBEAT_INTERVAL_MS = 60_000;
/** Pages of ListWorkers read at most: a task queue has a handful of worker processes, not hundreds. */
const MAX_WORKER_PAGES = 5;

type WorkerHeartbeat = temporal.api.worker.v1.IWorkerHeartbeat;
type ProtoDuration = { seconds?: unknown; nanos?: number | null } | null | undefined;

const RUNNING = temporal.api.enums.v1.WorkerStatus.WORKER_STATUS_RUNNING;

function millis(value: ProtoDuration): number | undefined {
  if (!value) return undefined;
  return Number(value.seconds ?? 0) * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}

/**
 * How long after its last heartbeat a worker counts as gone: three of its own intervals (a worker on
 * the SDK's default beats once a minute), never less than WORKER_GONE_AFTER_MS. A first heartbeat
 * has no elapsed time; it comes one interval after the worker started.
 */
function goneAfterMs(heartbeat: WorkerHeartbeat): number {
  const at = millis(heartbeat.heartbeatTime);
  const started = millis(heartbeat.startTime);
  const interval =
    millis(heartbeat.elapsedSinceLastHeartbeat) ??
    (at !== undefined && started !== undefined ? at - started : 0);
  return Math.max(
    WORKER_GONE_AFTER_MS,
    MISSED_HEARTBEATS * Math.min(Math.max(interval, 0), LONGEST_HEARTBEAT_INTERVAL_MS),
  );
}

/** The heartbeats of the workers on `taskQueue`; undefined when the cluster reports none with times. */
async function workerHeartbeats(
  client: Client,
  namespace: string,
  taskQueue: string,
): Promise<WorkerHeartbeat[] | undefined> {
  const heartbeats: WorkerHeartbeat[] = [];
  // The server filters; a name it could not parse in a query is filtered here instead.
  const query = /^[\w.:/@-]+$/.test(taskQueue) ? `TaskQueue = "${taskQueue}"` : '';
  let nextPageToken: Uint8Array | undefined;
  for (let page = 0; page < MAX_WORKER_PAGES; page++) {
    const listed = await client.workflowService.listWorkers({
      namespace,
      query,
      pageSize: 100,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    // A server that lists workers without their heartbeats (`workersInfo` is deprecated): use the pollers.
    if ((listed.workers?.length ?? 0) > 0 && (listed.workersInfo?.length ?? 0) === 0) return undefined;
    for (const info of listed.workersInfo ?? []) {
      const heartbeat = info.workerHeartbeat;
      if (heartbeat?.taskQueue === taskQueue) heartbeats.push(heartbeat);
    }
    if (!listed.nextPageToken?.length) break;
    nextPageToken = listed.nextPageToken;
  }
  return heartbeats;
}

export function temporalReadiness(
  client: Client,
  namespace: string,
  taskQueue: string,
): () => Promise<Readiness> {
  /** Each worker's heartbeat time at the previous check (worker instance key → ms on the worker's clock). */
  let previous = new Map<string, number>();
  const anyAlive = (heartbeats: WorkerHeartbeat[], now: number): boolean => {
    const seen = new Map<string, number>();
    let alive = false;
    for (const heartbeat of heartbeats) {
      const at = millis(heartbeat.heartbeatTime);
      const key = heartbeat.workerInstanceKey ?? '';
      if (at === undefined) continue;
      seen.set(key, at);
      if (heartbeat.status !== RUNNING) continue; // shutting down or shut down: not polling any more
      // Heartbeat times are the worker's clock: one that moved since the previous check is alive
      // however far that clock is off ours; otherwise its age on our clock decides.
      const moved = previous.has(key) && previous.get(key) !== at;
      if (moved || now - at < goneAfterMs(heartbeat)) alive = true;
    }
    previous = seen;
    return alive;
  };

  return async () => {
    try {
      await client.workflowService.getSystemInfo({});
    } catch (err) {
      return { ready: false, temporal: 'unreachable', worker: 'unknown', detail: (err as Error).message };
    }
    // Servers without ListWorkers (or a credential not allowed to call it): the pollers below decide.
    const heartbeats = await workerHeartbeats(client, namespace, taskQueue).catch(() => undefined);
    if (heartbeats !== undefined && heartbeats.length > 0) {
      return anyAlive(heartbeats, Date.now())
        ? { ready: true, temporal: 'reachable', worker: 'polling' }
        : {
            ready: false,
            temporal: 'reachable',
            worker: 'not-polling',
            detail: `no worker on task queue ${taskQueue}: the last one stopped or has not sent a heartbeat for ${WORKER_GONE_AFTER_TEXT}`,
          };
    }
    try {
      const described = await client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      const now = Date.now();
      const fresh = (described.pollers ?? []).some(
        (poller) => now - (millis(poller.lastAccessTime) ?? 0) < POLLER_FRESH_MS,
      );
      return fresh
        ? { ready: true, temporal: 'reachable', worker: 'polling' }
        : {
            ready: false,
            temporal: 'reachable',
            worker: 'not-polling',
            detail: `no worker on task queue ${taskQueue}`,
          };
    } catch (err) {
      return { ready: false, temporal: 'reachable', worker: 'unknown', detail: (err as Error).message };
    }
  };
}
