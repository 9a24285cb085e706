/**
 * `GET /metrics` in Prometheus's text format: on the API (no session), on a port of its own
 * (METRICS_PORT, then the API's /metrics is 404), and on the standalone worker (WORKER_METRICS_PORT).
 * With METRICS_BEARER_TOKEN every one of them asks for `Authorization: Bearer <token>`.
 */
import { listen } from '../lifecycle';
import { sameSecret } from '../http/security';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { registry as defaultRegistry } from './registry';

export const METRICS_PATH = '/metrics';

export interface MetricsEndpointOptions {
  /** METRICS_BEARER_TOKEN; absent: anyone who reaches the port may scrape. */
  bearerToken?: string;
  registry?: Registry;
}

interface MetricsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Constant-time (sameSecret). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] !== undefined && sameSecret(match[1], token);
}

async function answer(
  authorization: string | undefined,
  options: MetricsEndpointOptions,
): Promise<MetricsAnswer> {
  if (options.bearerToken !== undefined && !bearerMatches(authorization, options.bearerToken)) {
    return {
      status: 401,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="metrics"' },
      body: 'a bearer token is required\n',
    };
  }
  const registry = options.registry ?? defaultRegistry;
  return {
    status: 200,
    headers: { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' },
    body: await registry.metrics(),
  };
}

/** The Express handler the API mounts at GET /metrics. */
export function metricsHandler(options: MetricsEndpointOptions = {}): RequestHandler {
  return async (req, res) => {
    const { status, headers, body } = await answer(req.get('authorization'), options);
    res.status(status).set(headers).send(body);
  };
}

export interface MetricsServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A listener that answers GET /metrics and 404 to everything else (METRICS_PORT, WORKER_METRICS_PORT).
 * A port it cannot have rejects with a ListenError naming `portSetting` (default METRICS_PORT).
 */
export async function startMetricsServer(
  options: MetricsEndpointOptions & { port: number; host?: string; portSetting?: string },
): Promise<MetricsServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== METRICS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    answer(req.headers.authorization, options).then(
      ({ status, headers, body }) => {
        res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  const port = await listen(server, {
    listener: 'the metrics endpoint',
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    portSetting: options.portSetting ?? 'METRICS_PORT',
    hostSetting: 'METRICS_HOST',
  });
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
