/** Tests print only the SDK's warnings and errors; worker state changes at INFO drown real failures. */
import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed in this worker process by an earlier test file.
}

/**
 * @temporalio/client's gRPC retry interceptor schedules a retry with setTimeout and does not check
 * whether the connection was closed meanwhile (grpc-retry.ts `retry`): a test that closes a client
 * while one of its calls is backing off (an unreachable server, the dev server's rate limit) then
 * dies outside any test with "Channel has been shut down", failing the whole file. In tests a close
 * is therefore deferred past any backoff; the timer is unref'd, so it never keeps a worker alive.
 */
const DEFERRED_CLOSE_MS = 30_000;
const marker = Symbol.for('appointment-messaging.deferredConnectionClose');
const patched = Connection.prototype as Connection & { [marker]?: true };
if (!patched[marker]) {
  patched[marker] = true;
  const close = Connection.prototype.close;
  Connection.prototype.close = function deferredClose(this: Connection): Promise<void> {
    setTimeout(() => void close.call(this).catch(() => undefined), DEFERRED_CLOSE_MS).unref();
    return Promise.resolve();
  };
}
