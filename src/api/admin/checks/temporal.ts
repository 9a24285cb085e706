/** Live checks of Temporal: the API's client gets an answer, and a worker polls the task queue. */
import type { Client } from '@temporalio/client';
import { temporalReadiness, WORKER_GONE_AFTER_TEXT, type Readiness } from '../../readiness';
import { LIVE_CHECK_TIMEOUT_MS, type LiveCheck } from './runner';

/**
 * "Temporal reachable" and "Worker polling" from one readiness probe (src/api/readiness.ts:
 * getSystemInfo, then the workers' heartbeats), asked once however many checks read it.
 */
export function temporalChecks(probe: () => Promise<Readiness>, taskQueue: string): LiveCheck[] {
  let asked: Promise<Readiness> | undefined;
  const readiness = (): Promise<Readiness> => (asked ??= probe());
  return [
    {
      name: 'Temporal reachable',
      async run() {
        const r = await readiness();
        return r.temporal === 'reachable'
          ? { outcome: 'ok', reason: 'the API’s Temporal client got an answer (getSystemInfo)' }
          : { outcome: 'failed', reason: `unreachable: ${r.detail ?? 'no detail'}` };
      },
    },
    {
      name: 'Worker polling',
      async run() {
        const r = await readiness();
        if (r.worker === 'polling') {
          return {
            outcome: 'ok',
            reason: `a worker is alive on task queue “${taskQueue}” (its heartbeats, /readyz)`,
          };
        }
        if (r.worker === 'not-polling') {
          return {
            outcome: 'failed',
            reason: `no worker alive on task queue “${taskQueue}” (no heartbeat for ${WORKER_GONE_AFTER_TEXT}): start one (npm run worker)`,
          };
        }
        return {
          outcome: 'failed',
          reason:
            r.temporal === 'reachable'
              ? `could not describe task queue “${taskQueue}”: ${r.detail ?? 'no detail'}`
              : 'unknown: Temporal is unreachable',
        };
      },
    },
  ];
}

/**
 * The readiness probe under a client deadline just inside the check's timeout, so Temporal's calls (and
 * the client's retries of them) stop when the check gives up instead of going on in the background.
 */
export function temporalProbe(
  client: Client,
  namespace: string,
  taskQueue: string,
  timeoutMs: number = LIVE_CHECK_TIMEOUT_MS,
): () => Promise<Readiness> {
  const readiness = temporalReadiness(client, namespace, taskQueue);
  // A quarter of the timeout spare: a call past its deadline takes a few hundred ms to give up.
  return () => client.withDeadline(Date.now() + Math.max(100, timeoutMs * 0.75), readiness);
}
