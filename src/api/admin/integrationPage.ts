/**
 * GET /admin/integration (issue 13.3): what to give the EHR's integration team (endpoint URLs from
 * PUBLIC_BASE_URL, the bearer key requirement, the callback contract and how to verify its
 * signatures, example messages) and what to set in Twilio's console. No secret is ever printed: the
 * page says where each is configured. Example data is fictional, made up here.
 *
 * The copy buttons are progressive enhancement: real `<button>`s, `hidden` until /admin/assets/copy.js
 * (assetsCopy.ts; no inline script under the CSP) shows them; without it every example stays
 * selectable text. Mount after the console's router, which guards everything under /admin. This module
 * serves the page; integration/ has its endpoints, examples, snippets and HTML.
 */
import { Router } from 'express';
import type { AppConfig } from '../../config';
import { copyScriptRouter } from './assetsCopy';
import { sendPage } from './html';
import { integrationBody } from './integration/view';
import { operatorLayout } from './pageParts';
import { INTEGRATION_PATH } from './paths';

export interface IntegrationPageDeps {
  config: AppConfig;
  /** The examples' clock: their appointment is a few days after it. */
  now?: () => Date;
}

/** GET /admin/integration and the copy buttons' script. */
export function integrationRouter(deps: IntegrationPageDeps): Router {
  const router = Router();
  router.use(copyScriptRouter());
  router.get(INTEGRATION_PATH, (_req, res) => {
    const body = integrationBody(deps.config, (deps.now ?? (() => new Date()))());
    sendPage(res, 200, operatorLayout(res, 'Integration', body));
  });
  return router;
}
