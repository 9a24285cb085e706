import express, { type Request, type RequestHandler } from 'express';
/**
 * A bound on how deeply a JSON body may nest. What reads the bodies recurses (JSON.stringify for derived
 * event ids and notification keys, Temporal's payload converter): a body a few thousand levels deep, well
 * inside the 256 KB limit, overflowed the stack and answered 500 (found by the ingress fuzz suite, issue 15.4).
 * No appointment format needs more than a few dozen levels.
 */
export const MAX_JSON_DEPTH = 100;

/** True when `value` nests objects or arrays more than `max` levels deep (the root is level 1). Iterative. */
export function nestedDeeperThan(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const pending: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, depth } = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) pending.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}

/** The `type` of the error `jsonBody` passes on for a body nested too deeply, as body-parser names its own. */
export const TOO_DEEP = 'entity.too.deep';

/** A body-parser-style error: the routes' error handlers answer it as they answer a body they cannot read. */
export interface TooDeepError extends Error {
  type: typeof TOO_DEEP;
  status: 400;
  statusCode: 400;
  expose: true;
}

export function isTooDeep(err: unknown): err is TooDeepError {
  return (err as { type?: unknown } | null)?.type === TOO_DEEP;
}

/**
 * Refuses a parsed body nested more than MAX_JSON_DEPTH levels deep, before anything reads it: passes a
 * TooDeepError on (`onTooDeep` first, e.g. to count the refusal).
 */
export function refuseTooDeep(onTooDeep?: (req: Request) => void): RequestHandler {
  return (req, _res, next) => {
    if (!nestedDeeperThan(req.body)) {
      next();
      return;
    }
    onTooDeep?.(req);
    const err = new Error(`The body nests more than ${MAX_JSON_DEPTH} levels deep`) as TooDeepError;
    Object.assign(err, { type: TOO_DEEP, status: 400, statusCode: 400, expose: true });
    next(err);
  };
}

/** express.json's options. */
type JsonOptions = NonNullable<Parameters<typeof express.json>[0]>;

/**
 * express.json with the nesting bound: the parser, then refuseTooDeep. Errors of both go to the route's
 * error handler (src/api/errors.ts, or fhirErrors for FHIR's OperationOutcomes).
 */
export function jsonBody(
  options: JsonOptions,
  onTooDeep?: (req: Request) => void,
): [parse: RequestHandler, refuseTooDeep: RequestHandler] {
  return [express.json(options), refuseTooDeep(onTooDeep)];
}
