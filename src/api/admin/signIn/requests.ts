/** What the console's guard and sign-in read of a request: its CSRF token, and whether it wants JSON. */
import type { Request } from 'express';
import { CSRF_FIELD } from '../html';

/** Methods that change nothing, so need no CSRF token. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The form field, else the `X-CSRF-Token` header (fetch from a console page). */
export function csrfFieldOf(req: Request): string | undefined {
  const field: unknown = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  if (typeof field === 'string' && field) return field;
  return req.get('x-csrf-token') || undefined;
}

/** JSON callers (fetch from a console page, scripts) get JSON answers; browsers navigating get pages. */
export function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}
