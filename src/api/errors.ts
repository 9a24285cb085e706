/** Errors the API turns into JSON answers: `{ "error": { "code", "message", "details"? } }`. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { TemporalUnavailableError } from '../ingest/appointmentGateway';
import type { Logger } from '../log';
import { HttpError } from '../http/httpError';
import { isTooDeep, MAX_JSON_DEPTH } from './jsonDepth';

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `No route for ${req.method} ${req.path}` } });
};

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } });
      return;
    }
    if (err instanceof TemporalUnavailableError) {
      // Expected under overload or an outage: a warning without the stack, and an answer the sender can act on.
      logger.warn({ method: req.method, path: req.path, reason: err.reason }, err.message);
      res
        .status(503)
        .set('Retry-After', String(err.retryAfterSeconds))
        .json({
          error: {
            code: 'temporarily_unavailable',
            message: `${err.message}. Try again in ${err.retryAfterSeconds} s (Retry-After).`,
          },
        });
      return;
    }
    const parserError = err as BodyParserError;
    if (parserError.type === 'entity.too.large') {
      res
        .status(413)
        .json({ error: { code: 'payload_too_large', message: `Body over ${parserError.limit} bytes` } });
      return;
    }
    if (parserError.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'invalid_json', message: 'Body is not valid JSON' } });
      return;
    }
    if (isTooDeep(err)) {
      // jsonBody (jsonDepth.ts): answered as an invalid field of the event.
      res.status(400).json({
        error: {
          code: 'invalid_event',
          message: '1 invalid field(s)',
          details: [{ field: '(body)', message: `must not nest more than ${MAX_JSON_DEPTH} levels deep` }],
        },
      });
      return;
    }
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      res
        .status(parserError.status)
        .json({ error: { code: 'bad_request', message: (err as Error).message } });
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'unhandled API error');
    res.status(500).json({ error: { code: 'internal', message: 'Internal error; see the server log' } });
  };
}
