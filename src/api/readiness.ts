/** GET /readyz: Temporal answers and at least one worker polled our task queue recently. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface Readiness {
  ready: boolean;
  temporal: 'reachable' | 'unreachable';
  worker: 'polling' | 'not-polling' | 'unknown';
  detail?: string;
}

/** A worker long-polls about once a minute; older than this means it is gone. */
const POLLER_FRESH_MS = 90_000;

export function temporalReadiness(
  client: Client,
  namespace: string,
  taskQueue: string,
): () => Promise<Readiness> {
  return async () => {
    try {
      await client.workflowService.getSystemInfo({});
    } catch (err) {
      return { ready: false, temporal: 'unreachable', worker: 'unknown', detail: (err as Error).message };
    }
    try {
      const described = await client.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      const now = Date.now();
      const fresh = (described.pollers ?? []).some((poller) => {
        const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
        return now - seconds * 1000 < POLLER_FRESH_MS;
      });
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
