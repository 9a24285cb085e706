/** Connecting to Temporal, waiting for it to come up, and registering our search attributes. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../shared/temporal';
import type { Logger } from '../log';
import type { TemporalConnectionOptions } from './connectionOptions';

const INDEXED_VALUE_TYPE: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export interface ConnectWithRetryOptions {
  timeoutMs?: number;
  logger?: Logger;
  /** Stops retrying (checked before each attempt); the error then says `aborted`. */
  signal?: AbortSignal;
}

/**
 * Retries until the frontend answers, so start-up tolerates a dev server or cluster still booting.
 * A connection whose frontend does not answer is closed before the next try. The error thrown at the
 * deadline (or on abort) carries the last attempt's error as `cause`.
 */
export async function connectWithRetry(
  target: string | TemporalConnectionOptions,
  { timeoutMs = 60_000, logger, signal }: ConnectWithRetryOptions = {},
): Promise<Connection> {
  const options = typeof target === 'string' ? { address: target } : target;
  const address = options.address;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempt = 0;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const connection = await Connection.connect({ ...options, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
      } catch (err) {
        await connection.close();
        throw err;
      }
      return connection;
    } catch (err) {
      lastError = err;
      attempt += 1;
      if (attempt % 10 === 0) logger?.info({ address }, 'still waiting for Temporal');
      await sleep(500);
    }
  }
  if (signal?.aborted) throw new Error(`connecting to Temporal at ${address}: aborted`, { cause: lastError });
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs / 1000}s: ${String(lastError)}`, {
    cause: lastError,
  });
}

export async function connectWorkerWithRetry(
  target: string | TemporalConnectionOptions,
  timeoutMs = 60_000,
): Promise<NativeConnection> {
  const options = typeof target === 'string' ? { address: target } : target;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await NativeConnection.connect(options);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/** Adds any of our search attributes the namespace lacks (a cluster we did not start, or an old dev DB). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of Object.values(SEARCH_ATTRIBUTES)) {
    const type = INDEXED_VALUE_TYPE[key.type];
    if (!known.has(key.name) && type !== undefined) missing[key.name] = type;
  }
  if (Object.keys(missing).length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  return Object.keys(missing);
}

export function createClient(
  connection: Connection,
  namespace: string,
  dataConverter?: DataConverter,
): Client {
  return new Client({ connection, namespace, ...(dataConverter ? { dataConverter } : {}) });
}
