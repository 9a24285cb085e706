/** Bearer-key authentication for the EHR endpoints; keys compare in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../http/httpError';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function requireBearerKey(keys: readonly string[]): RequestHandler {
  // Hashing first gives equal-length buffers, so timingSafeEqual never leaks a key's length.
  const digests = keys.map(digest);
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const presented = match?.[1] ? digest(match[1]) : undefined;
    let ok = false;
    for (const candidate of digests) if (presented && timingSafeEqual(candidate, presented)) ok = true;
    if (!ok) {
      next(new HttpError(401, 'unauthorized', 'A valid "Authorization: Bearer <key>" header is required'));
      return;
    }
    next();
  };
}
