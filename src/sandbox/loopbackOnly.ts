/**
 * Sandbox routes answer only requests from this machine: they list every text and inject replies,
 * so off the machine they do not exist (404, as with Twilio configured). The socket's address is used,
 * never X-Forwarded-For, which a caller writes itself.
 */
import { isIP } from 'node:net';
import type { NextFunction, Request, Response } from 'express';

/** 127.0.0.0/8, ::1, and IPv4 loopback as an IPv6-mapped address (a dual-stack listener's view of it). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  // The URL parser writes an IPv6 address in its shortest form, so every spelling of ::1 becomes [::1].
  return isIP(address) === 6 && new URL(`http://[${address}]/`).hostname === '[::1]';
}

export function loopbackOnly(req: Request, res: Response, next: NextFunction): void {
  if (isLoopbackAddress(req.socket.remoteAddress)) return next();
  res.status(404).json({ error: { code: 'not_found', message: `No route for ${req.method} ${req.path}` } });
}
