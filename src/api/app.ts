/** The Express app: thin handlers that parse, authenticate, validate and hand work to Temporal. */
import express, { type Express, type Request, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import { TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH } from '../http/twilioPaths';
import type { Logger } from '../log';
import { METRICS_PATH, metricsHandler, type MetricsEndpointOptions } from '../metrics/endpoint';
import { errorHandler, notFound } from './errors';
import type { Readiness } from './readiness';

export const BODY_LIMIT = '256kb';

/**
 * Paths whose routes parse their own forms, with their own limits: the console's (consoleForms, 16 KB,
 * everything under /admin), the codec sign-in's (4 KB) and the Twilio webhooks' (64 KB). A parser skips a
 * body already read, so the app-wide one must leave these alone for those limits to apply.
 */
const OWN_FORM_PATHS = new Set(['/codec/sign-in', TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH]);

/** Routing's spelling of a path: no query, case-insensitive, a trailing slash ignored. */
function parsesItsOwnForms(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0]?.toLowerCase().replace(/\/+$/, '') ?? '';
  return path === '/admin' || path.startsWith('/admin/') || OWN_FORM_PATHS.has(path);
}

export interface AppDependencies {
  logger: Logger;
  readiness: () => Promise<Readiness>;
  /** Feature routers mounted under the root (EHR ingress, sandbox, Twilio webhooks...). */
  routers?: Router[];
  /**
   * GET /metrics (no session; METRICS_BEARER_TOKEN asks for a bearer token). `false` when METRICS_PORT
   * serves it on a port of its own: here it is then 404. Default: served, without a token.
   */
  metrics?: MetricsEndpointOptions | false;
  /** TRUST_PROXY: the proxies whose X-Forwarded-For is believed; none by default. */
  trustProxy?: readonly string[];
}

export function createApp({
  logger,
  readiness,
  routers = [],
  metrics = {},
  trustProxy = [],
}: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip is the socket's address unless it is a proxy named in TRUST_PROXY (then the client it saw).
  app.set('trust proxy', trustProxy.length > 0 ? trustProxy : false);
  app.use(
    pinoHttp({
      logger,
      // Method, path, status and timing only: bodies, queries and headers may carry patient data.
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: {
        ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === METRICS_PATH,
      },
    }),
  );
  app.use(
    express.json({
      limit: BODY_LIMIT,
      // EHR ingress parses its own bodies after authenticating the sender (no work for anonymous
      // bodies), and FHIR answers its parse errors as OperationOutcomes.
      type: (req) =>
        req.headers['content-type']?.startsWith('application/json') === true &&
        !req.url?.startsWith('/v1/ehr/') &&
        // The codec server reads its (larger) bodies itself, after authenticating the operator.
        !req.url?.startsWith('/codec/'),
      // Keeps the exact bytes for signature checks (the sandbox EHR receiver verifies X-Signature over them).
      verify: (req, _res, buf) => {
        (req as typeof req & { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );
  app.use(
    express.urlencoded({
      extended: false,
      limit: BODY_LIMIT,
      type: (req) =>
        Boolean((req as Request).is('application/x-www-form-urlencoded')) && !parsesItsOwnForms(req.url),
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await readiness();
    res.status(report.ready ? 200 : 503).json(report);
  });
  if (metrics !== false) app.get(METRICS_PATH, metricsHandler(metrics));
  for (const router of routers) app.use(router);

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
