/**
 * The sign-in's pages and refusals: the password form, the code form, locked out, not configured, and
 * a form refused for its CSRF token (JSON for JSON callers). No page says which step failed for whom.
 */
import type { Request, Response } from 'express';
import { csrfField, html, layout, sendPage, type SafeHtml } from '../html';
import { errorAlert } from '../pageParts';
import { SIGN_IN_PATH } from '../paths';
import { wantsJson } from './requests';

/** What the sign-in forms say about where the password is and where the code arrives. */
export interface SignInHints {
  /** A line under the password field, e.g. where the sandbox keeps its password. */
  passwordHint?: string;
  /** Where the code arrives, said on the code form ("the virtual phone", "the administrator's phone"). */
  codeHint?: string;
  /** A page showing the code (sandbox: the administrator's virtual phone), linked from the code form. */
  codeLink?: { href: string; label: string };
}

const errorLine = (error: string | undefined): SafeHtml | '' => errorAlert(error, 'sign-in-error');

export function passwordPage(hints: SignInHints, token: string, error?: string): SafeHtml {
  return layout({
    title: 'Sign in',
    body: html`${errorLine(error)}
      <form method="post" action="${SIGN_IN_PATH}/password">
        ${csrfField(token)}
        <label for="password">Application password</label>
        <input
          id="password"
          type="password"
          name="password"
          autocomplete="current-password"
          required
          autofocus${error ? html` aria-describedby="sign-in-error"` : ''}
        />
        ${hints.passwordHint ? html`<p class="hint">${hints.passwordHint}</p>` : ''}
        <button type="submit">Continue</button>
      </form>
      <p class="hint">A 6-digit code is then texted to the administrator’s phone.</p>`,
  });
}

export function codePage(hints: SignInHints, token: string, error?: string): SafeHtml {
  return layout({
    title: 'Enter the code',
    body: html`${errorLine(error)}
      <p>
        A 6-digit code was texted to ${hints.codeHint ?? 'the administrator’s phone'}. It is valid for 10
        minutes.
      </p>
      ${hints.codeLink ? html`<p><a href="${hints.codeLink.href}" target="_blank">${hints.codeLink.label}</a></p>` : ''}
      <form method="post" action="${SIGN_IN_PATH}/code">
        ${csrfField(token)}
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
        ${csrfField(token)}
        <button type="submit" class="secondary">Start again</button>
      </form>`,
  });
}

export function sendLocked(res: Response, ms: number): void {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  res.set('Retry-After', String(Math.ceil(ms / 1000)));
  sendPage(
    res,
    429,
    layout({
      title: 'Sign-in locked',
      body: html`<p class="error" role="alert">
        Too many wrong attempts from this address. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.
      </p>`,
    }),
  );
}

export function refuseCsrf(req: Request, res: Response): void {
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

export function notConfiguredPage(): SafeHtml {
  return layout({
    title: 'Sign-in not configured',
    body: html`<p class="error" role="alert">
      Set APPLICATION_PASSWORD, ADMINISTRATOR_PHONE and TWILIO_VERIFY_SERVICE_SID (README, “Operator
      console”), then restart the API.
    </p>`,
  });
}
