/**
 * Small security primitives every authenticated route shares (console, codec server, metrics, the
 * sandbox's Twilio and Verify emulations): random ids, constant-time compares, hashed ids, cookies,
 * HTTP Basic credentials.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/** 32 random bytes, base64url: session ids, pre-session ids and CSRF tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison over equal-length SHA-256 digests, so neither content nor length leaks. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** What the audit log names a session or sign-in attempt by: a prefix of its id's hash, never the id. */
export function idTag(id: string): string {
  return sha256(id).toString('hex').slice(0, 12);
}

/**
 * The client an attempt limit applies to: Express's req.ip, which is the socket's address unless
 * that is a proxy named in TRUST_PROXY (then the client that proxy saw). A client cannot choose it.
 */
export function clientAddress(req: Request): string {
  return (req.ip || req.socket.remoteAddress || 'unknown').slice(0, 64);
}

/** The user and password of an HTTP Basic Authorization header, or undefined. */
export function basicCredentials(req: Request): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return separator < 0
    ? undefined
    : { user: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}

/** The request's cookies; a malformed escape (the header is anyone's) is skipped, never a 500. */
export function cookiesOf(req: Request): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      cookies[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      continue; // a malformed escape is not our cookie
    }
  }
  return cookies;
}
