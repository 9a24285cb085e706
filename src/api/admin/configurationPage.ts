/**
 * GET /admin/configuration (issue 13.2): every setting of src/config/schema.ts with its value (secrets
 * masked), where it came from and what is wrong or risky, plus the live checks (liveChecks.ts), run on
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
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { parse as parseDotenv } from 'dotenv';
import { Router } from 'express';
import { SANDBOX_FROM_NUMBER } from '../../activities/twilioClient';
import { ConfigError, parseConfig, type AppConfig } from '../../config';
import {
  sandboxAdminPasswordFile,
  sandboxCodecKeysFile,
  sandboxOperatorTokenFile,
  sandboxPhoneIdKeyFile,
  sandboxTwilioTokenFile,
} from '../../config/sandboxSecrets';
import { envFields } from '../../config/schema';
import { projectRoot } from '../../paths';
import { SANDBOX_ADMINISTRATOR_PHONE, SANDBOX_VERIFY_SERVICE_SID } from '../../sandbox/verifySandbox';
import { html, layout, sendPage, type SafeHtml } from './html';
import { LIVE_CHECK_TIMEOUT_MS, liveChecksOf, type CheckOutcome, type LiveCheckResult } from './liveChecks';
import type { OperatorLocals } from './operatorConsole';

export const CONFIGURATION_PATH = '/admin/configuration';

export interface ConfigurationPageDeps {
  /** The configuration the API runs with (loaded at start-up). */
  config: AppConfig;
  /** The process's environment as the API sees it (`process.env`, into which `.env` was loaded). */
  environment: Readonly<Record<string, string | undefined>>;
  /** The `.env` file's own variables, read now; undefined when there is no such file. */
  readDotenvFile: () => Readonly<Record<string, string>> | undefined;
  /** Runs the live checks (liveChecksOf). */
  liveChecks: () => Promise<readonly LiveCheckResult[]>;
}

/** The deps for a running API: process.env, the project's `.env`, and live checks through its Temporal client. */
export function configurationPageDepsOf(config: AppConfig, client: Client): ConfigurationPageDeps {
  return {
    config,
    environment: process.env,
    readDotenvFile: () => readDotenvFile(path.join(projectRoot, '.env')),
    liveChecks: liveChecksOf(config, client),
  };
}

export function readDotenvFile(file: string): Record<string, string> | undefined {
  try {
    return parseDotenv(readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Names shown masked, as parseConfig masks them in its problems. */
export const SECRET_NAME = /TOKEN|SECRET|PASSWORD|KEY/;

export type FindingLevel = 'problem' | 'risk' | 'note';

export interface Finding {
  readonly name: string;
  readonly level: FindingLevel;
  readonly message: string;
}

export interface SettingRow {
  readonly name: string;
  readonly secret: boolean;
  /** What to show: the value, "set (n characters)" / "not set" for secrets. */
  readonly value: string;
  readonly source: string;
  readonly findings: readonly Finding[];
}

const SANDBOX_GENERATED: Readonly<Record<string, (config: AppConfig) => string>> = {
  PAYLOAD_CODEC_KEYS_FILE: sandboxCodecKeysFile,
  OPERATOR_TOKEN: sandboxOperatorTokenFile,
  PHONE_ID_KEY: sandboxPhoneIdKeyFile,
  SANDBOX_TWILIO_AUTH_TOKEN: sandboxTwilioTokenFile,
  APPLICATION_PASSWORD: sandboxAdminPasswordFile,
};

/** What an unset variable falls back to, when that is not the schema's own default. */
const USED_INSTEAD: Readonly<Record<string, (config: AppConfig) => string | undefined>> = {
  PUBLIC_BASE_URL: (c) => c.publicBaseUrl,
  API_HOST: (c) => c.apiHost ?? 'every interface',
  DEFAULT_TIMEZONE: (c) => c.defaultTimezone,
  TEMPORAL_ADDRESS: (c) =>
    c.embeddedTemporal ? `${c.temporalAddress} (the embedded dev server)` : undefined,
  API_INTERNAL_URL: (c) => c.apiInternalUrl,
  CODEC_CORS_ORIGINS: (c) => (c.codecCorsOrigins.length > 0 ? c.codecCorsOrigins.join(', ') : 'none'),
  EHR_CALLBACK_URL: (c) => (c.sandbox ? 'the built-in sandbox receiver' : undefined),
  ADMINISTRATOR_PHONE: (c) => (c.sandbox ? `${SANDBOX_ADMINISTRATOR_PHONE} (the virtual phone)` : undefined),
  TWILIO_VERIFY_SERVICE_SID: (c) => (c.sandbox ? `${SANDBOX_VERIFY_SERVICE_SID} (the emulation)` : undefined),
  TWILIO_PHONE_NUMBER: (c) => (c.sandbox ? `${SANDBOX_FROM_NUMBER} (the sandbox’s)` : undefined),
  EHR_API_KEYS: (c) => (c.sandbox ? 'the sandbox’s key (README, “Sending appointment events”)' : undefined),
  HL7_MLLP_PORT: () => 'off',
  HL7_TEXT_TEST_MESSAGES: () => 'false',
  GCS_BUCKET: (c) => `files under ${c.dataDir}`,
};

const blank = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v;

function present(value: unknown): boolean {
  return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => shown(v)).join(', ');
  if (typeof value === 'string') return withoutUrlPassword(value);
  return String(value);
}

/** A URL's password (`https://user:pw@host`) is a secret whatever the variable's name. */
function withoutUrlPassword(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) return value;
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return value;
  }
}

function masked(value: unknown): string {
  if (!present(value)) return 'not set';
  const text = Array.isArray(value) ? value.join(',') : String(value);
  return `set (${text.length} characters)`;
}

/** Every setting's row: value (masked), source and its own problems and risks. */
export function settingRows(
  config: AppConfig,
  environment: Readonly<Record<string, string | undefined>>,
  dotenvFile: Readonly<Record<string, string>> | undefined,
  findings: readonly Finding[],
): SettingRow[] {
  const values = config.env as unknown as Readonly<Record<string, unknown>>;
  return Object.keys(envFields.shape).map((name) => {
    const secret = SECRET_NAME.test(name);
    const value = values[name];
    const fromEnv = blank(environment[name]);
    const fromFile = blank(dotenvFile?.[name]);
    const own: Finding[] = findings.filter((f) => f.name === name);
    let source: string;
    if (fromEnv !== undefined) {
      if (fromFile === fromEnv) source = '.env file';
      else {
        source = 'environment';
        if (fromFile !== undefined) {
          own.push({
            name,
            level: 'note',
            message:
              'the .env file has another value: the real environment variable wins (or the file changed since start-up; restart to apply it)',
          });
        }
      }
    } else {
      if (fromFile !== undefined) {
        own.push({
          name,
          level: 'note',
          message: 'the .env file sets it, but the API started without it: restart to apply',
        });
      }
      const generated = SANDBOX_GENERATED[name];
      if (name === 'SANDBOX_MODE' && config.sandbox) {
        source = 'npm start’s embedded default (no TEMPORAL_ADDRESS, no Twilio credentials)';
      } else if (config.sandbox && generated && present(value)) {
        source = `generated for sandbox in DATA_DIR (${generated(config)})`;
      } else if (present(value)) {
        source = 'default';
      } else {
        source = 'not set';
      }
    }
    let display = secret ? masked(value) : present(value) ? shown(value) : 'not set';
    if (!present(value)) {
      const instead = USED_INSTEAD[name]?.(config);
      if (instead !== undefined) display = `not set; uses ${instead}`;
    }
    return { name, secret, value: display, source, findings: own };
  });
}

/**
 * What parseConfig refuses in the variables as they are now (the environment over the `.env` file,
 * as dotenv loads them): what the next start would stop on. Messages mask secrets as parseConfig does.
 */
export function configurationProblems(
  config: AppConfig,
  environment: Readonly<Record<string, string | undefined>>,
  dotenvFile: Readonly<Record<string, string>> | undefined,
): Finding[] {
  const source: Record<string, string | undefined> = { ...dotenvFile, ...environment };
  if (config.sandbox && blank(source.SANDBOX_MODE) === undefined) source.SANDBOX_MODE = 'true';
  try {
    parseConfig(source);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((line) => {
      const colon = line.indexOf(': ');
      return colon > 0
        ? { name: line.slice(0, colon), level: 'problem', message: line.slice(colon + 2) }
        : { name: '', level: 'problem', message: line };
    });
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || host.startsWith('127.');

/** Settings that start fine but are risky, or worth knowing about. Pure. */
export function configurationRisks(config: AppConfig): Finding[] {
  const { env } = config;
  const out: Finding[] = [];
  const risk = (name: string, message: string): void => {
    out.push({ name, level: 'risk', message });
  };
  const note = (name: string, message: string): void => {
    out.push({ name, level: 'note', message });
  };

  if (config.sandbox) {
    risk(
      'SANDBOX_MODE',
      'sandbox mode is on: no text reaches a patient and Twilio is not used. Right for trying the service, never for a clinic.',
    );
    if (config.apiHost !== undefined && !isLoopback(config.apiHost)) {
      risk(
        'API_HOST',
        `the sandbox listens on ${config.apiHost}, not loopback only: this console and the EHR endpoints (with the sandbox’s well-known key) are reachable from other machines`,
      );
    }
  }

  const base = new URL(config.publicBaseUrl);
  if (base.protocol === 'http:') {
    if (!isLoopback(base.hostname)) {
      risk(
        'PUBLIC_BASE_URL',
        'plain http to another host: webhooks and the console’s session cookie (not Secure) travel unencrypted',
      );
    } else if (!config.sandbox) {
      risk('PUBLIC_BASE_URL', 'Twilio cannot reach localhost: replies and delivery reports will not arrive');
    } else {
      note(
        'PUBLIC_BASE_URL',
        'plain http on this machine: fine for the sandbox; the session cookie is not Secure',
      );
    }
  }

  if (env.HL7_MLLP_PORT !== undefined && !isLoopback(env.HL7_MLLP_HOST)) {
    if (env.HL7_MLLP_ALLOWED_CLIENTS.length === 0) {
      risk(
        'HL7_MLLP_ALLOWED_CLIENTS',
        `MLLP listens on ${env.HL7_MLLP_HOST} with no allow-list: MLLP has no authentication, so anyone who reaches port ${env.HL7_MLLP_PORT} can send appointments`,
      );
    }
    if (!env.HL7_MLLP_TLS_CERT_PATH) {
      note(
        'HL7_MLLP_TLS_CERT_PATH',
        'MLLP is plain TCP: patient data crosses the network unencrypted unless it is a private link (HL7_MLLP_TLS_*)',
      );
    }
  }

  if (env.HL7_TEXT_TEST_MESSAGES === 'true') {
    risk(
      'HL7_TEXT_TEST_MESSAGES',
      'HL7 messages marked training or debugging (MSH-11 T/D) text real patients',
    );
  }

  if (env.TEMPORAL_ADDRESS) {
    const host = env.TEMPORAL_ADDRESS.slice(0, env.TEMPORAL_ADDRESS.lastIndexOf(':'));
    const secured = Boolean(
      env.TEMPORAL_TLS === 'true' ||
      env.TEMPORAL_API_KEY ||
      env.TEMPORAL_TLS_CLIENT_CERT_PATH ||
      env.TEMPORAL_TLS_SERVER_CA_CERT_PATH ||
      env.TEMPORAL_CONFIG_FILE ||
      env.TEMPORAL_PROFILE,
    );
    if (!isLoopback(host) && !secured) {
      risk(
        'TEMPORAL_TLS',
        `the connection to Temporal at ${env.TEMPORAL_ADDRESS} is not TLS (payloads are encrypted by the codec; ids, timers and search attributes are not)`,
      );
    }
  }

  if (env.GCS_BUCKET && env.GCS_API_ENDPOINT && !config.sandbox) {
    risk(
      'GCS_API_ENDPOINT',
      'snapshots go to a custom endpoint (an emulator has no authentication), not Google Cloud Storage',
    );
  }
  if (!env.GCS_BUCKET && !config.sandbox) {
    note(
      'GCS_BUCKET',
      `snapshots are files on this machine’s disk (${config.dataDir}); set GCS_BUCKET for more than one machine`,
    );
  }
  if (config.fhir && !config.fhir.smart) {
    note(
      'FHIR_CLIENT_ID',
      'FHIR references are read from the EHR without authorisation (open test servers only)',
    );
  }
  if (env.REMINDER_OUTREACH_START === '0000' && env.REMINDER_OUTREACH_FINISH === '2400') {
    note(
      'REMINDER_OUTREACH_START',
      'the outreach window is the whole day (0000–2400): reminders may be texted at night in the patient’s zone',
    );
  }
  if (env.MAX_REMINDERS_PER_PHONE_PER_DAY === 0) {
    note('MAX_REMINDERS_PER_PHONE_PER_DAY', '0: no reminders are sent at all');
  }
  if (env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace') {
    note('LOG_LEVEL', `${env.LOG_LEVEL} logs are verbose; use info in production`);
  }
  return out;
}

const OUTCOME_LABEL: Readonly<Record<CheckOutcome, string>> = {
  ok: 'OK',
  warning: 'Warning',
  failed: 'Failed',
  sandbox: 'Sandbox',
};
const LEVEL_LABEL: Readonly<Record<FindingLevel, string>> = {
  problem: 'Problem',
  risk: 'Risk',
  note: 'Note',
};

function findingLine(finding: Finding, withName: boolean): SafeHtml {
  return html`<li>
    <span class="badge badge-${finding.level}">${LEVEL_LABEL[finding.level]}</span>
    ${withName && finding.name ? html`<code>${finding.name}</code>: ` : ''}${finding.message}
  </li>`;
}

export function configurationPage(
  deps: ConfigurationPageDeps,
  checks: readonly LiveCheckResult[],
  csrfToken: string,
): SafeHtml {
  const dotenvFile = deps.readDotenvFile();
  const problems = configurationProblems(deps.config, deps.environment, dotenvFile);
  const findings = [...problems, ...configurationRisks(deps.config)];
  const rows = settingRows(deps.config, deps.environment, dotenvFile, findings);
  const failed = checks.filter((c) => c.outcome === 'failed').length;
  const counts = {
    problem: findings.filter((f) => f.level === 'problem').length,
    risk: findings.filter((f) => f.level === 'risk').length,
  };
  const body = html`<p>
      The settings this API process runs with (loaded at start-up; change them in the environment or
      <code>.env</code> and restart), checked live each time this page loads.
      ${deps.config.sandbox ? html`<strong>Sandbox mode is on.</strong>` : ''}
    </p>
    <p>
      ${failed === 0 ? 'No live check failed' : `${failed} live check${failed === 1 ? '' : 's'} failed`};
      ${counts.problem} problem${counts.problem === 1 ? '' : 's'}, ${counts.risk}
      risk${counts.risk === 1 ? '' : 's'}.
    </p>
    <nav aria-label="On this page">
      <ul>
        <li><a href="#live-checks">Live checks</a></li>
        <li><a href="#findings">Problems and risks</a></li>
        <li><a href="#settings">Settings</a></li>
        <li><a href="#sources">How the source is worked out</a></li>
      </ul>
    </nav>

    <h2 id="live-checks">Live checks</h2>
    <p class="hint">
      Run in parallel when this page loads, each given ${LIVE_CHECK_TIMEOUT_MS / 1000} s. Reload to run them
      again.
    </p>
    <div class="table-scroll" role="region" aria-labelledby="live-checks" tabindex="0">
      <table>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Result</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          ${checks.map(
            (check) =>
              html`<tr>
                <th scope="row">${check.name}</th>
                <td><span class="badge badge-${check.outcome}">${OUTCOME_LABEL[check.outcome]}</span></td>
                <td>${check.reason} <span class="hint">(${check.ms} ms)</span></td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>

    <h2 id="findings">Problems and risks</h2>
    ${
      findings.length === 0
        ? html`<p>None found.</p>`
        : html`${
              problems.length > 0
                ? html`<p class="error" role="alert">
                    The variables as they are now would stop the next start-up (problems below).
                  </p>`
                : ''
            }
            <ul class="findings">
              ${findings.map((f) => findingLine(f, true))}
            </ul>`
    }

    <h2 id="settings">Settings</h2>
    <p class="hint">
      ${rows.length} settings. Secrets (names with TOKEN, SECRET, PASSWORD or KEY) show only whether they are
      set and their length.
    </p>
    <div class="table-scroll" role="region" aria-labelledby="settings" tabindex="0">
      <table class="settings stack" role="table">
        <thead role="rowgroup">
          <tr role="row">
            <th scope="col" role="columnheader">Setting</th>
            <th scope="col" role="columnheader">Value</th>
            <th scope="col" role="columnheader">Source</th>
            <th scope="col" role="columnheader">Problems and risks</th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          ${rows.map(
            (row) =>
              html`<tr role="row" id="setting-${row.name}">
                <th scope="row" role="rowheader">
                  <code>${row.name}</code>${row.secret ? html` <span class="hint">(secret)</span>` : ''}
                </th>
                <td role="cell" class="value" data-label="Value">${row.value}</td>
                <td role="cell" data-label="Source">${row.source}</td>
                ${
                  row.findings.length > 0
                    ? html`<td role="cell" data-label="Problems and risks">
                        <ul class="findings">
                          ${row.findings.map((f) => findingLine(f, false))}
                        </ul>
                      </td>`
                    : html`<td role="cell"></td>`
                }
              </tr>`,
          )}
        </tbody>
      </table>
    </div>

    <h2 id="sources">How the source is worked out</h2>
    <ul>
      <li>
        <strong>.env file</strong>: the variable is set and <code>.env</code> (read again now) has the same
        value. <code>.env</code> never overrides a real environment variable, so a real variable with the same
        value looks the same.
      </li>
      <li><strong>environment</strong>: set, and <code>.env</code> has another value or none.</li>
      <li>
        <strong>generated for sandbox</strong>: unset; sandbox mode created it once in its file under DATA_DIR
        (owner-only).
      </li>
      <li>
        <strong>default</strong>: unset; the schema’s default applies. <strong>not set</strong>: unset without
        a default (what is used instead is named).
      </li>
    </ul>`;
  return layout({ title: 'Configuration', body, signedIn: { csrfToken } });
}

/** GET /admin/configuration. */
export function configurationRouter(deps: ConfigurationPageDeps): Router {
  return Router().get(CONFIGURATION_PATH, async (_req, res) => {
    const operator = res.locals.operator as OperatorLocals;
    const checks = await deps.liveChecks();
    sendPage(res, 200, configurationPage(deps, checks, operator.csrfToken));
  });
}
