/**
 * GET /admin/configuration (issue 13.2): every setting of src/config/schema.ts with its value (secrets
 * masked), where it came from and what is wrong or risky, plus the live checks (composition/liveChecks.ts), run on
 * each load. Mount after the console's router, which guards everything under /admin.
 *
 * Where a value came from is worked out from what the API can observe, and said as plainly:
 * - set in the process's environment and the `.env` file (read again at each page load) has the same
 *   value → `.env file` (dotenv never overrides a real variable, so an identical real variable looks
 *   the same; the page says so);
 * - set in the environment, `.env` has another or none → `environment`;
 * - unset, and sandbox mode filled it from its file under DATA_DIR → `generated for sandbox`;
 * - SANDBOX_MODE unset while sandbox mode is on → `npm start’s embedded default`;
 * - unset with a value → `default` (the schema's), else `not set` (with what is used instead, if anything).
 *
 * This module reads the page's inputs and serves it; configuration/ has the rows, findings and HTML.
 */
import { readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { Router } from 'express';
import type { AppConfig } from '../../config';
import type { LiveCheckResult } from './checks/runner';
import { configurationProblems, configurationRisks } from './configuration/findings';
import { settingRows } from './configuration/settingRows';
import { configurationBody } from './configuration/view';
import { sendPage, type SafeHtml } from './html';
import { operatorLayout } from './pageParts';
import { CONFIGURATION_PATH } from './paths';

export interface ConfigurationPageDeps {
  /** The configuration the API runs with (loaded at start-up). */
  config: AppConfig;
  /** The process's environment as the API sees it (`process.env`, into which `.env` was loaded). */
  environment: Readonly<Record<string, string | undefined>>;
  /** The `.env` file's own variables, read now; undefined when there is no such file. */
  readDotenvFile: () => Readonly<Record<string, string>> | undefined;
  /** Runs the live checks (composition/liveChecks.ts). */
  liveChecks: () => Promise<readonly LiveCheckResult[]>;
}

export function readDotenvFile(file: string): Record<string, string> | undefined {
  try {
    return parseDotenv(readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The page's body for the checks' results: the `.env` file read again, findings worked out now. */
function pageBody(deps: ConfigurationPageDeps, checks: readonly LiveCheckResult[]): SafeHtml {
  const dotenvFile = deps.readDotenvFile();
  const problems = configurationProblems(deps.config, deps.environment, dotenvFile);
  const findings = [...problems, ...configurationRisks(deps.config)];
  const rows = settingRows(deps.config, deps.environment, dotenvFile, findings);
  return configurationBody({ sandbox: deps.config.sandbox, checks, problems, findings, rows });
}

/** GET /admin/configuration. */
export function configurationRouter(deps: ConfigurationPageDeps): Router {
  return Router().get(CONFIGURATION_PATH, async (_req, res) => {
    const checks = await deps.liveChecks();
    sendPage(res, 200, operatorLayout(res, 'Configuration', pageBody(deps, checks)));
  });
}
