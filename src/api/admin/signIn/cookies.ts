/**
 * The console's two cookies: `admin_signin` (the pre-session of the sign-in steps, scoped to them) and
 * `admin_session` (the session). Both HttpOnly, SameSite=Strict, and Secure when PUBLIC_BASE_URL is
 * https.
 */
import type { CookieOptions } from 'express';

export const SESSION_COOKIE = 'admin_session';
export const SIGN_IN_COOKIE = 'admin_signin';
/** How long a pre-session cookie lives: longer than a pending sign-in, so it expires server-side first. */
export const SIGN_IN_COOKIE_MS = 30 * 60_000;

export function cookieOptionsFor(secure: boolean): (path: string, maxAge: number) => CookieOptions {
  return (path, maxAge) => ({ httpOnly: true, sameSite: 'strict', secure, path, maxAge });
}
