/**
 * The operator console's sign-in, sessions and guard (issue 13.1).
 *
 * Sign-in is two steps: APPLICATION_PASSWORD, then a 6-digit code Twilio Verify texts to
 * ADMINISTRATOR_PHONE. The steps run under a pre-session cookie (`admin_signin`) whose HMAC is the
 * forms' CSRF token; a correct code ends it and starts a session (`admin_session`, a fresh random
 * id) with its own CSRF token, which every later POST must carry. Wrong passwords and wrong codes
 * count per client and lock it out; every step is an audit log line (who: a hash prefix of the
 * session or sign-in id and the client address; what; pino adds when), never the password or code.
 *
 * This module holds the per-process state, the guard and the routes; signIn/ has the steps and pages.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../../log';
import { clientAddress, cookiesOf, idTag, sameSecret } from '../../http/security';
import { AttemptLimiter, SIGN_IN_LIMITS, type AttemptLimits } from './attemptLimiter';
import { CONSOLE_CSS, CONSOLE_CSS_PATH, setConsoleHeaders } from './html';
import { consoleForms } from './pageParts';
import { CONSOLE_PATH, SIGN_IN_PATH, SIGN_OUT_PATH } from './paths';
import type { SecondFactor } from './secondFactor';
import { SessionStore, type Session, type SessionLimits } from './sessions';
import { cookieOptionsFor, SESSION_COOKIE } from './signIn/cookies';
import { refuseCsrf, type SignInHints } from './signIn/pages';
import { PendingSignIns } from './signIn/pendingSignIns';
import { csrfFieldOf, SAFE_METHODS, wantsJson } from './signIn/requests';
import { signInSteps } from './signIn/steps';

export interface OperatorConsoleDeps extends SignInHints {
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

export function createOperatorConsole(deps: OperatorConsoleDeps): OperatorConsole {
  const now = deps.now ?? Date.now;
  const sessions = new SessionStore(deps.sessionLimits);
  const passwordFailures = new AttemptLimiter(deps.attemptLimits ?? SIGN_IN_LIMITS);
  const codeFailures = new AttemptLimiter(deps.attemptLimits ?? SIGN_IN_LIMITS);
  /** Entries exist only after a correct password. */
  const pending = new PendingSignIns(now);
  // Per process, like the sessions: a sign-in form's token is the HMAC of its pre-session id.
  const csrfKey = randomBytes(32);
  const audit = deps.logger.child({ component: 'admin-audit' });
  const cookieOptions = cookieOptionsFor(deps.secureCookies);
  const lockedFor = (client: string): number =>
    Math.max(passwordFailures.lockedFor(client, now()), codeFailures.lockedFor(client, now()));

  const steps = signInSteps({
    hints: deps,
    password: deps.password,
    administratorPhone: deps.administratorPhone,
    secondFactor: deps.secondFactor,
    configured: Boolean(deps.password && deps.administratorPhone && deps.secondFactor),
    sessions,
    sessionMaxMs: deps.sessionLimits.maxMs,
    passwordFailures,
    codeFailures,
    maxCodeFailures: (deps.attemptLimits ?? SIGN_IN_LIMITS).maxFailures,
    pending,
    audit,
    now,
    signInToken: (signInId) =>
      createHmac('sha256', csrfKey).update(`sign-in:${signInId}`).digest('base64url'),
    lockedFor,
    cookieOptions,
  });

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
      res.redirect(303, CONSOLE_PATH);
      return;
    }
    steps.show(req, res);
  });
  // The console's forms are read by its own parser (16 KB): the app-wide one leaves /admin alone (app.ts).
  const forms = consoleForms();
  router.post(`${SIGN_IN_PATH}/password`, forms, steps.password);
  router.post(`${SIGN_IN_PATH}/code`, forms, steps.code);
  router.post(`${SIGN_IN_PATH}/restart`, forms, steps.restart);

  // Everything else under /admin needs a session, including pages other routers add after this one
  // (their CSRF field is in the form, so the form is read first).
  router.use(CONSOLE_PATH, forms, requireOperator);

  router.post(SIGN_OUT_PATH, (req, res) => {
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
