/**
 * The codec server (Temporal's contract): `POST /codec/decode` and `POST /codec/encode` take
 * `{"payloads":[{"metadata":{…base64},"data":base64}]}` and answer the same shape, so the Temporal
 * Web UI and `temporal` CLI show decrypted payloads to operators. Only an authenticated operator
 * is answered: `Authorization: Bearer <OPERATOR_TOKEN>`, the session cookie `POST /codec/sign-in`
 * sets (what a browser on the Web UI sends with "include cross-origin credentials"), or a signed-in
 * operator console session (`isOperator`). Browsers are answered from the configured Web UI origins
 * only (CORS). Each call is logged with who made it and how many payloads, never their content.
 */
import { createHmac } from 'node:crypto';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { Logger } from '../log';
import { HttpError } from '../http/httpError';
import { cookiesOf, sameSecret } from '../http/security';

export const CODEC_PATH = '/codec';
export const CODEC_SESSION_COOKIE = 'codec_session';
/** A signed-in operator's session lasts this long. */
export const CODEC_SESSION_MS = 8 * 3_600_000;
/** Histories the Web UI decodes at once can be large. */
const CODEC_BODY_LIMIT = '8mb';

export interface CodecServerDeps {
  codec: PayloadCodec;
  /** OPERATOR_TOKEN; without it nobody is answered. */
  operatorToken: string | undefined;
  /** Web UI origins a browser may call from (CODEC_CORS_ORIGINS). */
  allowedOrigins: readonly string[];
  /** Secure cookies (the public URL is https). */
  secureCookies: boolean;
  logger: Logger;
  now?: () => number;
  /** A signed-in operator console session counts as an operator too (src/api/admin). */
  isOperator?: (req: Request) => boolean;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const codecBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(10_000)
    // The `temporal` CLI sends `{}` for a call without input (e.g. a query without arguments).
    .default([]),
});
type WirePayload = z.infer<typeof codecBody>['payloads'][number];

export function codecServerRouter(deps: CodecServerDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  const sessions = deps.operatorToken ? new SessionSigner(deps.operatorToken) : undefined;

  // CORS: only the configured Web UI origins, credentials included (the session cookie).
  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (origin === undefined) {
      next();
      return;
    }
    if (!deps.allowedOrigins.includes(origin)) {
      deps.logger.warn(
        { origin: origin.slice(0, 100), path: req.path },
        'codec call from an origin not allowed',
      );
      res
        .status(403)
        .json({ error: { code: 'origin_not_allowed', message: 'This origin may not call the codec' } });
      return;
    }
    res.set({
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      Vary: 'Origin',
    });
    if (req.method === 'OPTIONS') {
      res
        .set({
          'Access-Control-Allow-Methods': 'POST, OPTIONS',
          'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-Namespace',
          'Access-Control-Max-Age': '600',
        })
        .status(204)
        .end();
      return;
    }
    next();
  };
  router.use(CODEC_PATH, cors);

  /** Who is calling: 'token', 'session' or 'console'; undefined when not an operator. */
  const operatorOf = (req: Request): 'token' | 'session' | 'console' | undefined => {
    if (deps.isOperator?.(req)) return 'console';
    if (!deps.operatorToken || !sessions) return undefined;
    const header = req.get('authorization') ?? '';
    if (header.startsWith('Bearer ') && sameSecret(header.slice(7).trim(), deps.operatorToken))
      return 'token';
    const cookie = cookiesOf(req)[CODEC_SESSION_COOKIE];
    return cookie && sessions.verify(cookie, now()) ? 'session' : undefined;
  };

  const requireOperator: RequestHandler = (req, res, next) => {
    const operator = operatorOf(req);
    if (!operator) {
      deps.logger.warn({ path: req.path }, 'codec call refused: not signed in');
      throw new HttpError(
        401,
        'unauthorized',
        'Sign in at /codec/sign-in or send Authorization: Bearer <OPERATOR_TOKEN>',
      );
    }
    res.locals.operator = operator;
    next();
  };

  const jsonBody = express.json({ limit: CODEC_BODY_LIMIT });
  for (const direction of ['encode', 'decode'] as const) {
    router.post(`${CODEC_PATH}/${direction}`, requireOperator, jsonBody, async (req, res) => {
      const parsed = codecBody.safeParse(req.body);
      if (!parsed.success)
        throw new HttpError(400, 'invalid_payloads', 'Send {"payloads":[{"metadata":{…},"data":"…"}]}');
      const payloads = parsed.data.payloads.map(fromWire);
      let result: Payload[];
      try {
        result =
          direction === 'decode' ? await deps.codec.decode(payloads) : await deps.codec.encode(payloads);
      } catch (err) {
        deps.logger.warn({ direction, error: (err as Error).message }, 'codec call failed');
        throw new HttpError(422, 'codec_failed', (err as Error).message);
      }
      deps.logger.info(
        {
          operator: res.locals.operator as string,
          direction,
          namespace: String(req.get('x-namespace') ?? '').slice(0, 100),
          payloads: payloads.length,
        },
        'codec call',
      );
      res.json({ payloads: result.map(toWire) });
    });
  }

  // Sign-in for browsers: a form, then an HttpOnly cookie the Web UI's codec calls carry.
  router.get(`${CODEC_PATH}/sign-in`, (_req, res) => {
    res.type('html').send(signInPage());
  });
  router.post(`${CODEC_PATH}/sign-in`, express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    if (!deps.operatorToken || !sessions || !sameSecret(token, deps.operatorToken)) {
      deps.logger.warn('codec sign-in refused');
      res.status(401).type('html').send(signInPage('That token is not the operator token.'));
      return;
    }
    deps.logger.info('codec sign-in');
    setSession(res, sessions.issue(now() + CODEC_SESSION_MS), deps.secureCookies);
    res.type('html').send(signedInPage());
  });
  router.post(`${CODEC_PATH}/sign-out`, (_req, res) => {
    res.clearCookie(CODEC_SESSION_COOKIE, { path: CODEC_PATH });
    res.status(204).end();
  });
  return router;
}

function setSession(res: Response, value: string, secure: boolean): void {
  res.cookie(CODEC_SESSION_COOKIE, value, {
    httpOnly: true,
    // Strict still reaches the API from the Web UI on another port of the same host (same site).
    sameSite: 'strict',
    secure,
    path: CODEC_PATH,
    maxAge: CODEC_SESSION_MS,
  });
}

/** Stateless sessions: `<expiry ms>.<HMAC>` under a key derived from the operator token. */
class SessionSigner {
  private readonly key: Buffer;
  constructor(operatorToken: string) {
    this.key = createHmac('sha256', operatorToken).update('codec-session').digest();
  }

  issue(expiresAtMs: number): string {
    return `${expiresAtMs}.${this.sign(String(expiresAtMs))}`;
  }

  verify(value: string, nowMs: number): boolean {
    const [expiry, signature] = value.split('.');
    if (!expiry || !signature || !/^\d+$/.test(expiry) || Number(expiry) <= nowMs) return false;
    return sameSecret(signature, this.sign(expiry));
  }

  private sign(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }
}

function fromWire(payload: WirePayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toWire(payload: Payload): WirePayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

function signInPage(error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Operator sign-in</title></head>
<body><h1>Operator sign-in</h1><p>Signing in lets the Temporal Web UI on this host show decrypted payloads.</p>
${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="${CODEC_PATH}/sign-in"><label>Operator token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></body></html>`;
}

function signedInPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed in</title></head>
<body><h1>Signed in</h1><p>The Temporal Web UI now shows decrypted payloads (its codec settings must include cross-origin credentials) for ${CODEC_SESSION_MS / 3_600_000} hours.</p></body></html>`;
}
