/**
 * An HTTP server that can drain: on a stop it accepts no new connection, answers 503 on kept-alive
 * ones, lets requests in flight finish within a grace time, then cuts the rest.
 */
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';

export interface DrainableServer {
  readonly server: Server;
  /** True when every connection had finished within `graceMs`; false when the rest were cut. */
  drain(graceMs: number): Promise<boolean>;
}

/**
 * The app's HTTP server, able to drain. Node's own close() would keep serving kept-alive connections
 * until they time out, and closeAllConnections() would cut requests in flight: neither is a drain.
 */
export function drainableServer(app: RequestListener): DrainableServer {
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (draining) {
      // Arrived on a kept-alive connection after the stop began: the sender retries elsewhere.
      res
        .writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1', Connection: 'close' })
        .end(JSON.stringify({ error: 'the API is shutting down' }));
      return;
    }
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      // Its connection is idle now: close it rather than wait for the next request or the keep-alive timeout.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    app(req, res);
  });
  let drained: Promise<boolean> | undefined;
  return {
    server,
    drain: (graceMs) =>
      (drained ??= new Promise<boolean>((resolve) => {
        draining = true;
        // Node closes a connection after a response that says so.
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
        let complete = true;
        const cut = setTimeout(() => {
          complete = false;
          server.closeAllConnections();
        }, graceMs);
        server.close(() => {
          clearTimeout(cut);
          resolve(complete);
        });
        server.closeIdleConnections();
      })),
  };
}
