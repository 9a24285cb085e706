/**
 * Makes a freshly started cluster usable and proves it: the namespace with docker-compose's
 * retention (72 h), our search attributes, and a probe workflow started with every one of them set
 * (then terminated and deleted). The probe passes only once frontend, history and matching have
 * joined and the namespace and its attributes have reached the services' caches, so a service
 * started after `cluster:up` returns never meets "namespace not found".
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTES } from '../shared/temporal';
import { connectWithRetry, ensureSearchAttributes } from '../temporal/connection';

/** docker-compose's temporal-namespace job: `temporal operator namespace create --retention 72h`. */
export const NAMESPACE_RETENTION_HOURS = 72;
const GRPC_NOT_FOUND = 5;
const PROBE_TASK_QUEUE = 'cluster-readiness-probe';

/** Retries `step` until it succeeds, the deadline passes or the wait is aborted (a service died). */
async function untilDone<T>(
  what: string,
  deadline: number,
  signal: AbortSignal,
  step: () => Promise<T>,
): Promise<T> {
  let lastError: unknown;
  while (Date.now() < deadline && !signal.aborted) {
    try {
      return await step();
    } catch (err) {
      lastError = err;
      await sleep(500);
    }
  }
  if (signal.aborted) throw new Error(`cluster not ready: ${what}: aborted`);
  throw notReady(what, lastError);
}

function notReady(what: string, lastError: unknown): Error {
  return new Error(
    `cluster not ready: ${what}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}

/** Registers the namespace when it is missing; true when it was created now. */
export async function ensureNamespace(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (!(isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) throw err;
  }
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs(`${NAMESPACE_RETENTION_HOURS}h`),
  });
  return true;
}

export interface ReadinessResult {
  namespaceCreated: boolean;
  searchAttributesAdded: string[];
}

/**
 * Connects (the frontend may still be starting), then namespace, search attributes and the probe.
 * `signal` ends the wait early and closes the connection, so nothing keeps retrying in the background.
 */
export async function prepareAndProbe(
  address: string,
  namespace: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ReadinessResult> {
  const deadline = Date.now() + timeoutMs;
  const connection = await connectWithRetry(address, { timeoutMs: deadline - Date.now(), signal }).catch(
    (err: unknown) => {
      if (signal.aborted) throw new Error('cluster not ready: connect: aborted');
      throw notReady('connect', err instanceof Error && err.cause !== undefined ? err.cause : err);
    },
  );
  try {
    const namespaceCreated = await untilDone('namespace', deadline, signal, () =>
      ensureNamespace(connection, namespace),
    );
    const searchAttributesAdded = await untilDone('search attributes', deadline, signal, () =>
      ensureSearchAttributes(connection, namespace),
    );
    const client = new Client({ connection, namespace });
    await untilDone('probe workflow', deadline, signal, async () => {
      const workflowId = `cluster-readiness-probe-${randomUUID()}`;
      const handle = await client.workflow.start('clusterReadinessProbe', {
        workflowId,
        taskQueue: PROBE_TASK_QUEUE,
        args: [],
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.appointmentId, value: 'readiness-probe' },
          { key: SEARCH_ATTRIBUTES.appointmentStatus, value: 'PROBE' },
          { key: SEARCH_ATTRIBUTES.appointmentStart, value: new Date() },
          { key: SEARCH_ATTRIBUTES.nextReminderAt, value: new Date() },
          { key: SEARCH_ATTRIBUTES.customerCode, value: 'probe' },
          { key: SEARCH_ATTRIBUTES.untextableReason, value: 'PROBE' },
        ],
      });
      await handle.terminate('cluster readiness probe');
      // Nothing of the probe stays in the namespace operators search (the deletion lands within a minute or so).
      await connection.workflowService.deleteWorkflowExecution({
        namespace,
        workflowExecution: { workflowId, runId: handle.firstExecutionRunId },
      });
    });
    return { namespaceCreated, searchAttributesAdded };
  } finally {
    await connection.close();
  }
}
