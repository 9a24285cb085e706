/**
 * `GET /sandbox/administrator-phone`: the sandbox administrator's virtual phone, read-only, so a new
 * operator can read the sign-in code before there is a session (the console's own virtual phone is
 * behind sign-in). Sandbox mode only and loopback-only like every sandbox route; it shows only texts
 * to the administrator's number (Verify codes), never a patient's.
 */
import { Router } from 'express';
import { html, layout, sendPage } from './html';
import type { SandboxMessageStore } from '../../sandbox/messageStore';
import { SIGN_IN_PATH } from './paths';

export const ADMINISTRATOR_PHONE_PATH = '/sandbox/administrator-phone';

export function administratorPhoneRouter(deps: {
  store: SandboxMessageStore;
  administratorPhone: string;
}): Router {
  return Router().get(ADMINISTRATOR_PHONE_PATH, async (_req, res) => {
    const texts = (await deps.store.list({ to: deps.administratorPhone })).slice(-10).reverse();
    const body = html`<p>
        Texts to the administrator’s number ${deps.administratorPhone} on this machine’s virtual phone, newest
        first (sandbox mode).
      </p>
      ${
        texts.length === 0
          ? html`<p>No text yet: ask for a code at <a href="${SIGN_IN_PATH}">sign-in</a>.</p>`
          : html`<ol class="plain" aria-live="polite">
              ${texts.map((t) => html`<li><time datetime="${t.createdAt}">${t.createdAt}</time>: ${t.body}</li>`)}
            </ol>`
      }
      <p><a href="${SIGN_IN_PATH}">Back to sign-in</a></p>`;
    sendPage(res, 200, layout({ title: 'Administrator’s virtual phone', body }));
  });
}
