/**
 * The sign-in's steps under the pre-session cookie: show the form for the step reached, check the
 * password (then text a code through the second factor), check the code (then start a session), or
 * start again. Wrong passwords and codes count per client and lock it out; every step is an audit
 * log line naming the attempt by a hash prefix, never the password or the code.
 */
import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../../log';
import { clientAddress, cookiesOf, idTag, randomToken, sameSecret } from '../../../http/security';
import type { AttemptLimiter } from '../attemptLimiter';
import { sendPage, setConsoleHeaders } from '../html';
import { CONSOLE_PATH, SIGN_IN_PATH } from '../paths';
import { describe as describeError, type SecondFactor } from '../secondFactor';
import type { SessionStore } from '../sessions';
import { SESSION_COOKIE, SIGN_IN_COOKIE, SIGN_IN_COOKIE_MS } from './cookies';
import { codePage, notConfiguredPage, passwordPage, refuseCsrf, sendLocked, type SignInHints } from './pages';
import type { PendingSignIns } from './pendingSignIns';
import { csrfFieldOf } from './requests';

const CODE = /^\d{6}$/;

/** What the steps share with the console that creates them (one per process). */
export interface SignInContext {
  hints: SignInHints;
  password: string | undefined;
  administratorPhone: string | undefined;
  secondFactor: SecondFactor | undefined;
  /** Password, phone and second factor are all set. */
  configured: boolean;
  sessions: SessionStore;
  /** A session's longest life, for its cookie. */
  sessionMaxMs: number;
  passwordFailures: AttemptLimiter;
  codeFailures: AttemptLimiter;
  maxCodeFailures: number;
  pending: PendingSignIns;
  audit: Logger;
  now: () => number;
  /** The sign-in forms' CSRF token for a pre-session id. */
  signInToken(signInId: string): string;
  /** How long the client is locked out, 0 when it is not. */
  lockedFor(client: string): number;
  cookieOptions(path: string, maxAge: number): CookieOptions;
}

export interface SignInSteps {
  /** GET /admin/sign-in for a request without a session. */
  show(req: Request, res: Response): void;
  password: RequestHandler;
  code: RequestHandler;
  restart: RequestHandler;
}

export function signInSteps(c: SignInContext): SignInSteps {
  const { audit, pending, sessions, passwordFailures, codeFailures, now, signInToken, lockedFor } = c;

  /** The steps' common checks: not locked, the pre-session's CSRF token. Answers and returns undefined on refusal. */
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
    if (!c.configured) {
      sendPage(res, 503, notConfiguredPage());
      return undefined;
    }
    return { signInId, client };
  };

  const show = (req: Request, res: Response): void => {
    const client = clientAddress(req);
    const locked = lockedFor(client);
    if (locked > 0) return sendLocked(res, locked);
    if (!c.configured) return sendPage(res, 503, notConfiguredPage());
    let signInId = cookiesOf(req)[SIGN_IN_COOKIE];
    if (!signInId) {
      signInId = randomToken();
      res.cookie(SIGN_IN_COOKIE, signInId, c.cookieOptions(SIGN_IN_PATH, SIGN_IN_COOKIE_MS));
    }
    const token = signInToken(signInId);
    sendPage(res, 200, pending.find(signInId) ? codePage(c.hints, token) : passwordPage(c.hints, token));
  };

  const password: RequestHandler = async (req, res) => {
    const step = signInStep(req, res);
    if (!step) return;
    const { client } = step;
    const attempt = idTag(step.signInId);
    const given = typeof req.body?.password === 'string' ? (req.body.password as string) : '';
    if (!sameSecret(given, c.password ?? '')) {
      const locked = passwordFailures.fail(client, now());
      audit.warn({ audit: 'password_failed', client, attempt }, 'operator console: wrong password');
      if (locked) {
        audit.warn({ audit: 'locked', step: 'password', client, attempt }, 'operator console: client locked');
        return sendLocked(res, lockedFor(client));
      }
      return sendPage(
        res,
        401,
        passwordPage(c.hints, signInToken(step.signInId), 'That password is not right.'),
      );
    }
    passwordFailures.succeed(client);
    // A new pre-session id once the password is right: an id planted before sign-in is worth nothing.
    pending.end(step.signInId);
    const signInId = randomToken();
    pending.start(signInId);
    res.cookie(SIGN_IN_COOKIE, signInId, c.cookieOptions(SIGN_IN_PATH, SIGN_IN_COOKIE_MS));
    audit.info({ audit: 'password_ok', client, attempt: idTag(signInId) }, 'operator console: password ok');
    const sent = await (c.secondFactor as SecondFactor).send(c.administratorPhone as string);
    if (!sent.ok) {
      pending.end(signInId);
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
      return sendPage(res, 502, passwordPage(c.hints, signInToken(signInId), message));
    }
    audit.info(
      { audit: 'code_sent', client, attempt: idTag(signInId) },
      'operator console: sign-in code sent',
    );
    res.redirect(303, SIGN_IN_PATH);
  };

  const code: RequestHandler = async (req, res) => {
    const step = signInStep(req, res);
    if (!step) return;
    const { client, signInId } = step;
    const attempt = idTag(signInId);
    const signIn = pending.find(signInId);
    if (!signIn) {
      audit.info({ audit: 'code_without_password', client, attempt }, 'operator console: no pending sign-in');
      return sendPage(
        res,
        400,
        passwordPage(c.hints, signInToken(signInId), 'That sign-in expired. Start again.'),
      );
    }
    const given = typeof req.body?.code === 'string' ? (req.body.code as string).replace(/\s/g, '') : '';
    let result: 'approved' | 'wrong' | 'void';
    try {
      // A malformed code is wrong without costing one of Verify's checks.
      result = CODE.test(given)
        ? await (c.secondFactor as SecondFactor).check(c.administratorPhone as string, given)
        : 'wrong';
    } catch (err) {
      audit.warn(
        { audit: 'code_check_failed', client, attempt, detail: describeError(err) },
        'operator console: the code could not be checked',
      );
      return sendPage(
        res,
        502,
        codePage(
          c.hints,
          signInToken(signInId),
          'The code could not be checked (Twilio Verify failed). Try again.',
        ),
      );
    }
    if (result === 'void') {
      pending.end(signInId);
      audit.warn(
        { audit: 'code_void', client, attempt },
        'operator console: sign-in code expired or used up',
      );
      return sendPage(
        res,
        400,
        passwordPage(c.hints, signInToken(signInId), 'That code has expired. Start again.'),
      );
    }
    if (result === 'wrong') {
      signIn.wrongCodes += 1;
      const locked = codeFailures.fail(client, now());
      audit.warn(
        { audit: 'code_failed', client, attempt, wrongCodes: signIn.wrongCodes },
        'operator console: wrong code',
      );
      if (locked || signIn.wrongCodes >= c.maxCodeFailures) {
        pending.end(signInId);
        codeFailures.lock(client, now());
        audit.warn(
          { audit: 'locked', step: 'code', client, attempt },
          'operator console: client locked, sign-in void',
        );
        return sendLocked(res, lockedFor(client));
      }
      const left = c.maxCodeFailures - signIn.wrongCodes;
      return sendPage(
        res,
        401,
        codePage(
          c.hints,
          signInToken(signInId),
          `That code is not right. ${left} ${left === 1 ? 'try' : 'tries'} left.`,
        ),
      );
    }
    pending.end(signInId);
    passwordFailures.succeed(client);
    codeFailures.succeed(client);
    const { id } = sessions.create(client, now());
    res.clearCookie(SIGN_IN_COOKIE, c.cookieOptions(SIGN_IN_PATH, 0));
    res.cookie(SESSION_COOKIE, id, c.cookieOptions('/', c.sessionMaxMs));
    audit.info({ audit: 'signed_in', client, attempt, session: idTag(id) }, 'operator console: signed in');
    setConsoleHeaders(res);
    res.redirect(303, CONSOLE_PATH);
  };

  const restart: RequestHandler = (req, res) => {
    const step = signInStep(req, res);
    if (!step) return;
    pending.end(step.signInId);
    audit.info(
      { audit: 'sign_in_restarted', client: step.client, attempt: idTag(step.signInId) },
      'operator console: sign-in restarted',
    );
    res.redirect(303, SIGN_IN_PATH);
  };

  return { show, password, code, restart };
}
