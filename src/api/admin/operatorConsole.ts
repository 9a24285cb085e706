/**
 * The operator console's sign-in, sessions and guard (issue 13.1).
 *
 * Sign-in is two steps: APPLICATION_PASSWORD, then a 6-digit code Twilio Verify texts to
 * ADMINISTRATOR_PHONE. The steps run under a pre-session cookie (`admin_signin`) whose HMAC is the
 * forms' CSRF token; a correct code ends it and starts a session (`admin_session`, a fresh random
 * id) with its own CSRF token, which every later POST must carry. Wrong passwords and wrong codes
 * count per client and lock it out; every step is an audit log line (who: a hash prefix of the
 * session or sign-in id and the client address; what; pino adds when), never the password or code.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../../log';
import { AttemptLimiter, SIGN_IN_LIMITS, type AttemptLimits } from './attemptLimiter';
import {
  CONSOLE_CSS,
  CONSOLE_CSS_PATH,
  html,
  layout,
  sendPage,
  setConsoleHeaders,
  type SafeHtml,
} from './html';
import { describe as describeError, type SecondFactor } from './secondFactor';
import { clientAddress, cookiesOf, idTag, randomToken, sameSecret, sha256 } from '../security';
import { SessionStore, type Session, type SessionLimits } from './sessions';

export const SESSION_COOKIE = 'admin_session';
export const SIGN_IN_COOKIE = 'admin_signin';
export const SIGN_IN_PATH = '/admin/sign-in';
/** A password step stays open for its code this long (a Verify code is valid 10 minutes). */
export const PENDING_SIGN_IN_MS = 10 * 60_000;
const SIGN_IN_COOKIE_MS = 30 * 60_000;
const CODE = /^\d{6}$/;

export interface OperatorConsoleDeps {
  /** APPLICATION_PASSWORD; unset: nobody can sign in (the page says what to set). */
  password: string | undefined;
  /** ADMINISTRATOR_PHONE: where the code is texted. */
  administratorPhone: string | undefined;
  secondFactor: SecondFactor | undefined;
  sessionLimits: SessionLimits;
  attemptLimits?: AttemptLimits;
  /** Secure cookies (PUBLIC_BASE_URL is https). */
  secureCookies: boolean;
  logger: Logger;
  /** A line under the password field, e.g. where the sandbox keeps its password. */
  passwordHint?: string;
  /** Where the code arrives, said on the code form ("the virtual phone", "the administrator's phone"). */
  codeHint?: string;
  /** A page showing the code (sandbox: the administrator's virtual phone), linked from the code form. */
  codeLink?: { href: string; label: string };
  now?: () => number;
}

export interface OperatorConsole {
  /** Sign-in, sign-out and the guard over everything else under /admin; mount before other /admin routers. */
  router: Router;
  /** For other console pages: HTML without a session → redirect to sign-in; JSON → 401; POSTs need the CSRF token. */
  requireOperator: RequestHandler;
  /** True for a request carrying a live operator session (the codec server asks this). */
  isOperator(req: Request): boolean;
}

/** What requireOperator leaves in `res.locals.operator` for the pages behind it. */
export interface OperatorLocals {
  /** The session's audit tag (hash prefix of its id). */
  session: string;
  csrfToken: string;
}

interface PendingSignIn {
  readonly createdAt: number;
  wrongCodes: number;
}

export function createOperatorConsole(deps: OperatorConsoleDeps): OperatorConsole {
  const now = deps.now ?? Date.now;
  const sessions = new SessionStore(deps.sessionLimits);
  const passwordFailures = new AttemptLimiter(deps.attemptLimits ?? SIGN_IN_LIMITS);
  const codeFailures = new AttemptLimiter(deps.attemptLimits ?? SIGN_IN_LIMITS);
  const maxCodeFailures = (deps.attemptLimits ?? SIGN_IN_LIMITS).maxFailures;
  /** Keyed by the hash of the pre-session id; entries exist only after a correct password. */
  const pending = new Map<string, PendingSignIn>();
  // Per process, like the sessions: a sign-in form's token is the HMAC of its pre-session id.
  const csrfKey = randomBytes(32);
  const audit = deps.logger.child({ component: 'admin-audit' });
  const configured = Boolean(deps.password && deps.administratorPhone && deps.secondFactor);

  const cookieOptions = (path: string, maxAge: number) =>
    ({ httpOnly: true, sameSite: 'strict', secure: deps.secureCookies, path, maxAge }) as const;
  const signInToken = (signInId: string): string =>
    createHmac('sha256', csrfKey).update(`sign-in:${signInId}`).digest('base64url');
  const pendingKey = (signInId: string): string => sha256(signInId).toString('hex');
  const pendingFor = (signInId: string | undefined): PendingSignIn | undefined => {
    if (!signInId) return undefined;
    const found = pending.get(pendingKey(signInId));
    if (found && now() - found.createdAt >= PENDING_SIGN_IN_MS) {
      pending.delete(pendingKey(signInId));
      return undefined;
    }
    return found;
  };
  const lockedFor = (client: string): number =>
    Math.max(passwordFailures.lockedFor(client, now()), codeFailures.lockedFor(client, now()));

  const liveSession = (req: Request, res?: Response): { id: string; session: Session } | undefined => {
    const id = cookiesOf(req)[SESSION_COOKIE];
    const found = sessions.lookup(id, now());
    if (found.state === 'ended' && id) {
      audit.info(
        { audit: 'session_expired', why: found.why, session: idTag(id), client: clientAddress(req) },
        'operator console: session expired',
      );
      res?.clearCookie(SESSION_COOKIE, cookieOptions('/', 0));
    }
    return found.state === 'live' && id ? { id, session: found.session } : undefined;
  };

  const requireOperator: RequestHandler = (req, res, next) => {
    setConsoleHeaders(res);
    const live = liveSession(req, res);
    if (!live) {
      if (wantsJson(req)) {
        res.status(401).json({ error: { code: 'unauthorized', message: `Sign in at ${SIGN_IN_PATH}` } });
      } else {
        res.redirect(303, SIGN_IN_PATH);
      }
      return;
    }
    if (!SAFE_METHODS.has(req.method)) {
      const given = csrfFieldOf(req);
      if (!given || !sameSecret(given, live.session.csrfToken)) {
        audit.warn(
          { audit: 'csrf_refused', session: idTag(live.id), client: clientAddress(req), path: req.path },
          'operator console: request without a valid CSRF token refused',
        );
        refuseCsrf(req, res);
        return;
      }
    }
    sessions.touch(live.session, now());
    const locals: OperatorLocals = { session: idTag(live.id), csrfToken: live.session.csrfToken };
    res.locals.operator = locals;
    next();
  };

  const router = Router();
  router.get(CONSOLE_CSS_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(CONSOLE_CSS);
  });

  router.get(SIGN_IN_PATH, (req, res) => {
    if (liveSession(req, res)) {
      res.redirect(303, '/admin');
      return;
    }
    const client = clientAddress(req);
    const locked = lockedFor(client);
    if (locked > 0) return sendLocked(res, locked);
    if (!configured) return sendPage(res, 503, notConfiguredPage());
    let signInId = cookiesOf(req)[SIGN_IN_COOKIE];
    if (!signInId) {
      signInId = randomToken();
      res.cookie(SIGN_IN_COOKIE, signInId, cookieOptions(SIGN_IN_PATH, SIGN_IN_COOKIE_MS));
    }
    const token = signInToken(signInId);
    sendPage(res, 200, pendingFor(signInId) ? codePage(token) : passwordPage(token));
  });

  /** The sign-in steps' common checks: not locked, the pre-session's CSRF token. Answers and returns undefined on refusal. */
  const signInStep = (req: Request, res: Response): { signInId: string; client: string } | undefined => {
    const client = clientAddress(req);
    const signInId = cookiesOf(req)[SIGN_IN_COOKIE];
    const locked = lockedFor(client);
    if (locked > 0) {
      audit.warn(
        { audit: 'sign_in_refused_locked', client, attempt: signInId ? idTag(signInId) : undefined },
        'operator console: sign-in step refused, client locked',
      );
      sendLocked(res, locked);
      return undefined;
    }
    const given = csrfFieldOf(req);
    if (!signInId || !given || !sameSecret(given, signInToken(signInId))) {
      audit.warn(
        { audit: 'csrf_refused', client, path: req.path },
        'operator console: sign-in form without a valid CSRF token',
      );
      refuseCsrf(req, res);
      return undefined;
    }
    if (!configured) {
      sendPage(res, 503, notConfiguredPage());
      return undefined;
    }
    return { signInId, client };
  };

  router.post(`${SIGN_IN_PATH}/password`, async (req, res) => {
    const step = signInStep(req, res);
    if (!step) return;
    const { client } = step;
    const attempt = idTag(step.signInId);
    const given = typeof req.body?.password === 'string' ? (req.body.password as string) : '';
    if (!sameSecret(given, deps.password ?? '')) {
      const locked = passwordFailures.fail(client, now());
      audit.warn({ audit: 'password_failed', client, attempt }, 'operator console: wrong password');
      if (locked) {
        audit.warn({ audit: 'locked', step: 'password', client, attempt }, 'operator console: client locked');
        return sendLocked(res, lockedFor(client));
      }
      return sendPage(res, 401, passwordPage(signInToken(step.signInId), 'That password is not right.'));
    }
    passwordFailures.succeed(client);
    // A new pre-session id once the password is right: an id planted before sign-in is worth nothing.
    pending.delete(pendingKey(step.signInId));
    const signInId = randomToken();
    pending.set(pendingKey(signInId), { createdAt: now(), wrongCodes: 0 });
    pruneExpiredPending();
    res.cookie(SIGN_IN_COOKIE, signInId, cookieOptions(SIGN_IN_PATH, SIGN_IN_COOKIE_MS));
    audit.info({ audit: 'password_ok', client, attempt: idTag(signInId) }, 'operator console: password ok');
    const sent = await (deps.secondFactor as SecondFactor).send(deps.administratorPhone as string);
    if (!sent.ok) {
      pending.delete(pendingKey(signInId));
      audit.warn(
        {
          audit: 'code_not_sent',
          client,
          attempt: idTag(signInId),
          reason: sent.reason,
          detail: sent.detail,
        },
        'operator console: the sign-in code could not be sent',
      );
      const message =
        sent.reason === 'too_many_sends'
          ? 'Too many codes were sent to the administrator’s phone. Wait 10 minutes, then start again.'
          : 'The sign-in code could not be sent (Twilio Verify failed; see the server log). Try again.';
      return sendPage(res, 502, passwordPage(signInToken(signInId), message));
    }
    audit.info(
      { audit: 'code_sent', client, attempt: idTag(signInId) },
      'operator console: sign-in code sent',
    );
    res.redirect(303, SIGN_IN_PATH);
  });

  router.post(`${SIGN_IN_PATH}/code`, async (req, res) => {
    const step = signInStep(req, res);
    if (!step) return;
    const { client, signInId } = step;
    const attempt = idTag(signInId);
    const signIn = pendingFor(signInId);
    if (!signIn) {
      audit.info({ audit: 'code_without_password', client, attempt }, 'operator console: no pending sign-in');
      return sendPage(res, 400, passwordPage(signInToken(signInId), 'That sign-in expired. Start again.'));
    }
    const code = typeof req.body?.code === 'string' ? (req.body.code as string).replace(/\s/g, '') : '';
    let result: 'approved' | 'wrong' | 'void';
    try {
      // A malformed code is wrong without costing one of Verify's checks.
      result = CODE.test(code)
        ? await (deps.secondFactor as SecondFactor).check(deps.administratorPhone as string, code)
        : 'wrong';
    } catch (err) {
      audit.warn(
        { audit: 'code_check_failed', client, attempt, detail: describeError(err) },
        'operator console: the code could not be checked',
      );
      return sendPage(
        res,
        502,
        codePage(signInToken(signInId), 'The code could not be checked (Twilio Verify failed). Try again.'),
      );
    }
    if (result === 'void') {
      pending.delete(pendingKey(signInId));
      audit.warn(
        { audit: 'code_void', client, attempt },
        'operator console: sign-in code expired or used up',
      );
      return sendPage(res, 400, passwordPage(signInToken(signInId), 'That code has expired. Start again.'));
    }
    if (result === 'wrong') {
      signIn.wrongCodes += 1;
      const locked = codeFailures.fail(client, now());
      audit.warn(
        { audit: 'code_failed', client, attempt, wrongCodes: signIn.wrongCodes },
        'operator console: wrong code',
      );
      if (locked || signIn.wrongCodes >= maxCodeFailures) {
        pending.delete(pendingKey(signInId));
        codeFailures.lock(client, now());
        audit.warn(
          { audit: 'locked', step: 'code', client, attempt },
          'operator console: client locked, sign-in void',
        );
        return sendLocked(res, lockedFor(client));
      }
      const left = maxCodeFailures - signIn.wrongCodes;
      return sendPage(
        res,
        401,
        codePage(
          signInToken(signInId),
          `That code is not right. ${left} ${left === 1 ? 'try' : 'tries'} left.`,
        ),
      );
    }
    pending.delete(pendingKey(signInId));
    passwordFailures.succeed(client);
    codeFailures.succeed(client);
    const { id } = sessions.create(client, now());
    res.clearCookie(SIGN_IN_COOKIE, cookieOptions(SIGN_IN_PATH, 0));
    res.cookie(SESSION_COOKIE, id, cookieOptions('/', deps.sessionLimits.maxMs));
    audit.info({ audit: 'signed_in', client, attempt, session: idTag(id) }, 'operator console: signed in');
    setConsoleHeaders(res);
    res.redirect(303, '/admin');
  });

  router.post(`${SIGN_IN_PATH}/restart`, (req, res) => {
    const step = signInStep(req, res);
    if (!step) return;
    pending.delete(pendingKey(step.signInId));
    audit.info(
      { audit: 'sign_in_restarted', client: step.client, attempt: idTag(step.signInId) },
      'operator console: sign-in restarted',
    );
    res.redirect(303, SIGN_IN_PATH);
  });

  // Everything else under /admin needs a session, including pages other routers add after this one.
  router.use('/admin', requireOperator);

  router.post('/admin/sign-out', (req, res) => {
    const id = cookiesOf(req)[SESSION_COOKIE];
    if (id) sessions.destroy(id);
    res.clearCookie(SESSION_COOKIE, cookieOptions('/', 0));
    audit.info(
      {
        audit: 'signed_out',
        session: (res.locals.operator as OperatorLocals).session,
        client: clientAddress(req),
      },
      'operator console: signed out',
    );
    res.redirect(303, SIGN_IN_PATH);
  });

  function pruneExpiredPending(): void {
    const at = now();
    for (const [key, signIn] of pending) if (at - signIn.createdAt >= PENDING_SIGN_IN_MS) pending.delete(key);
  }

  function sendLocked(res: Response, ms: number): void {
    const minutes = Math.max(1, Math.ceil(ms / 60_000));
    res.set('Retry-After', String(Math.ceil(ms / 1000)));
    sendPage(
      res,
      429,
      layout({
        title: 'Sign-in locked',
        body: html`<p class="error" role="alert">
          Too many wrong attempts from this address. Try again in ${minutes}
          minute${minutes === 1 ? '' : 's'}.
        </p>`,
      }),
    );
  }

  function passwordPage(token: string, error?: string): SafeHtml {
    return layout({
      title: 'Sign in',
      body: html`${errorLine(error)}
        <form method="post" action="${SIGN_IN_PATH}/password">
          <input type="hidden" name="csrf" value="${token}" />
          <label for="password">Application password</label>
          <input
            id="password"
            type="password"
            name="password"
            autocomplete="current-password"
            required
            autofocus${error ? html` aria-describedby="sign-in-error"` : ''}
          />
          ${deps.passwordHint ? html`<p class="hint">${deps.passwordHint}</p>` : ''}
          <button type="submit">Continue</button>
        </form>
        <p class="hint">A 6-digit code is then texted to the administrator’s phone.</p>`,
    });
  }

  function codePage(token: string, error?: string): SafeHtml {
    return layout({
      title: 'Enter the code',
      body: html`${errorLine(error)}
        <p>
          A 6-digit code was texted to ${deps.codeHint ?? 'the administrator’s phone'}. It is valid for 10
          minutes.
        </p>
        ${deps.codeLink ? html`<p><a href="${deps.codeLink.href}" target="_blank">${deps.codeLink.label}</a></p>` : ''}
        <form method="post" action="${SIGN_IN_PATH}/code">
          <input type="hidden" name="csrf" value="${token}" />
          <label for="code">Security code</label>
          <input
            id="code"
            type="text"
            name="code"
            inputmode="numeric"
            pattern="[0-9 ]{6,7}"
            maxlength="7"
            autocomplete="one-time-code"
            required
            autofocus${error ? html` aria-describedby="sign-in-error"` : ''}
          />
          <button type="submit">Sign in</button>
        </form>
        <form method="post" action="${SIGN_IN_PATH}/restart">
          <input type="hidden" name="csrf" value="${token}" />
          <button type="submit" class="secondary">Start again</button>
        </form>`,
    });
  }

  return {
    router,
    requireOperator,
    isOperator(req: Request): boolean {
      const live = liveSession(req);
      if (live) sessions.touch(live.session, now());
      return live !== undefined;
    },
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfFieldOf(req: Request): string | undefined {
  const field: unknown = (req.body as Record<string, unknown> | undefined)?.csrf;
  if (typeof field === 'string' && field) return field;
  return req.get('x-csrf-token') || undefined;
}

/** JSON callers (fetch from a console page, scripts) get JSON answers; browsers navigating get pages. */
function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

function refuseCsrf(req: Request, res: Response): void {
  if (wantsJson(req)) {
    res.status(403).json({ error: { code: 'csrf', message: 'Missing or invalid CSRF token' } });
    return;
  }
  sendPage(
    res,
    403,
    layout({
      title: 'Form expired',
      body: html`<p class="error" role="alert">
          This form could not be accepted (its security token is missing or out of date). Nothing was changed.
        </p>
        <p><a href="${SIGN_IN_PATH}">Reload and try again</a></p>`,
    }),
  );
}

function errorLine(error: string | undefined): SafeHtml | '' {
  return error ? html`<p class="error" role="alert" id="sign-in-error">${error}</p>` : '';
}

function notConfiguredPage(): SafeHtml {
  return layout({
    title: 'Sign-in not configured',
    body: html`<p class="error" role="alert">
      Set APPLICATION_PASSWORD, ADMINISTRATOR_PHONE and TWILIO_VERIFY_SERVICE_SID (README, “Operator
      console”), then restart the API.
    </p>`,
  });
}
