/**
 * GET /admin/configuration and GET /admin/integration over HTTP, mounted after the console's sign-in
 * as the API mounts console pages: a sandbox through the API's own routers (signed in with the code
 * the Verify emulation texts to the virtual phone, live checks real), and a risky production
 * configuration behind the same console with a stand-in second factor (our own SecondFactor interface;
 * production's is Twilio Verify) and stand-in live check results (our own interface; the checks
 * themselves are tested in adminLiveChecks.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Router } from 'express';
import pino from 'pino';
import { configurationRouter } from '../../src/api/admin/configurationPage';
import { integrationRouter } from '../../src/api/admin/integrationPage';
import type { LiveCheckResult } from '../../src/api/admin/checks/runner';
import { createOperatorConsole } from '../../src/api/admin/operatorConsole';
import type { SecondFactor } from '../../src/api/admin/secondFactor';
import { createApp } from '../../src/api/app';
import { apiRouters } from '../../src/composition/api';
import { createGateways } from '../../src/composition/gateways';
import { parseConfig, type AppConfig } from '../../src/config';
import { withSandboxSecrets } from '../../src/config/sandboxSecrets';
import { envFields } from '../../src/config/schema';
import { productionEnv, sandboxEnv } from '../helpers/config';
import { freePort } from '../helpers/ports';
import { ConsoleClient, signInToConsole } from '../helpers/consoleClient';

const PASSWORD = 'correct-horse-battery-staple';
const ADMIN_PHONE = '+15005550100';
const logger = pino({ level: 'silent' });

interface Api {
  base: string;
  close(): Promise<void>;
}
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(routers: Router[]): Promise<Api> {
  const port = await freePort();
  const app = createApp({
    logger,
    readiness: async () => ({ ready: false, temporal: 'unreachable', worker: 'unknown' }),
    routers,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const api = {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  cleanups.push(() => api.close());
  return api;
}

async function signIn(browser: ConsoleClient, code: () => Promise<string>): Promise<void> {
  await signInToConsole(browser, PASSWORD, code);
}

function sandboxConfig(overrides: Record<string, string> = {}): {
  config: AppConfig;
  env: Record<string, string>;
} {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'config-pages-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = sandboxEnv({ DATA_DIR: dataDir, APPLICATION_PASSWORD: PASSWORD, ...overrides });
  const parsed = parseConfig(env);
  return { config: parseConfig(withSandboxSecrets(parsed, env)), env };
}

/** The sandbox API (apiRouters, the console's pages included), and live checks for real. */
async function startSandbox(overrides: Record<string, string> = {}) {
  const port = await freePort();
  const { config, env } = sandboxConfig({ PORT: String(port), ...overrides });
  const temporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
  const app = createApp({
    logger,
    readiness: async () => ({ ready: false, temporal: 'unreachable', worker: 'unknown' }),
    // apiRouters mounts both pages behind the sign-in, their live checks on this (unreachable) client.
    routers: apiRouters(config, createGateways(config, temporal), logger),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const api: Api = {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  // The test setup defers every close past the client's retry backoff (test/helpers/quietRuntime.ts).
  cleanups.push(() => temporal.connection.close());
  cleanups.push(() => api.close());
  const code = async (): Promise<string> => {
    const res = await fetch(`${api.base}/v1/sandbox/messages?to=${encodeURIComponent(ADMIN_PHONE)}`);
    const texts = (await res.json()) as Array<{ body: string }>;
    return /(\d{6})$/.exec(texts[texts.length - 1]?.body ?? '')?.[1] ?? '';
  };
  return { api, config, env, code };
}

/** A production configuration behind the console with a stand-in second factor and live check results. */
async function startProduction(
  env: Record<string, string>,
  dotenv: Record<string, string>,
  checks: LiveCheckResult[],
) {
  const config = parseConfig(env);
  const secondFactor: SecondFactor = {
    send: async () => ({ ok: true }),
    check: async (_to, code) => (code === '246810' ? 'approved' : 'wrong'),
  };
  const console = createOperatorConsole({
    password: PASSWORD,
    administratorPhone: ADMIN_PHONE,
    secondFactor,
    sessionLimits: { idleMs: 30 * 60_000, maxMs: 8 * 3_600_000 },
    secureCookies: false,
    logger,
  });
  const api = await serve([
    console.router,
    configurationRouter({
      config,
      environment: env,
      readDotenvFile: () => dotenv,
      liveChecks: async () => checks,
    }),
    integrationRouter({ config }),
  ]);
  return { api, config, code: async () => '246810' };
}

/** No inline script or style, nothing from another origin. */
function expectSelfContained(page: string): void {
  expect(page).not.toMatch(/<script(?![^>]*\ssrc="\/admin\/assets\/)/);
  expect(page).not.toMatch(/\sstyle=/);
  expect(page).not.toMatch(/\s(src|href)="(https?:)?\/\//);
  expect(page).not.toMatch(/\son[a-z]+=/);
}

/** Headings go down one level at a time (h1, then h2, h3 under it). */
function expectHeadingsInOrder(page: string): void {
  const levels = [...page.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
  expect(levels[0]).toBe(1);
  levels.forEach((level, i) => {
    if (i > 0) expect(level).toBeLessThanOrEqual((levels[i - 1] ?? 1) + 1);
  });
}

describe('without a session', () => {
  test('both pages and the copy script send browsers to the sign-in', async () => {
    const { api } = await startSandbox();
    const browser = new ConsoleClient(api.base);
    for (const route of ['/admin/configuration', '/admin/integration', '/admin/assets/copy.js']) {
      const res = await browser.get(route);
      expect([route, res.status, res.headers.get('location')]).toEqual([route, 303, '/admin/sign-in']);
      expect((await browser.get(route, { Accept: 'application/json' })).status).toBe(401);
    }
  });
});

describe('sandbox, signed in with the code from the virtual phone', () => {
  test('the configuration page: every setting, secrets masked, sources, the live checks', async () => {
    const { api, config, env, code } = await startSandbox();
    const browser = new ConsoleClient(api.base);
    await signIn(browser, code);
    const res = await browser.get('/admin/configuration');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await res.text();

    for (const name of Object.keys(envFields.shape)) expect(page).toContain(`<code>${name}</code>`);
    for (const secret of [
      PASSWORD,
      env.SANDBOX_TWILIO_AUTH_TOKEN ?? '',
      config.phoneIdKey,
      config.env.OPERATOR_TOKEN ?? '',
    ]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(page).not.toContain(secret);
    }
    expect(page).toContain(`set (${PASSWORD.length} characters)`);
    expect(page).toContain('.env file'); // CUSTOMER_NAME: same value in .env and the environment
    expect(page).toContain('generated for sandbox in DATA_DIR');
    expect(page).toMatch(
      /<th scope="row">Temporal reachable<\/th>\s*<td><span class="badge badge-failed">Failed/,
    );
    expect(page).toMatch(
      /<th scope="row">Twilio credentials and sender<\/th>\s*<td><span class="badge badge-sandbox">/,
    );
    expect(page).toMatch(
      /<th scope="row">Snapshot store writable<\/th>\s*<td><span class="badge badge-ok">OK/,
    );
    expect(page).toContain('sandbox mode is on');
    expect(page).toContain('<th scope="col" role="columnheader">Setting</th>');
    expect(page).toContain('action="/admin/sign-out"');
    expectSelfContained(page);
    expectHeadingsInOrder(page);
  });

  test('the integration page: URLs, callback contract, copy buttons that need no inline script', async () => {
    const { api, code } = await startSandbox({ PUBLIC_BASE_URL: 'http://localhost:3000' });
    const browser = new ConsoleClient(api.base);
    await signIn(browser, code);
    const page = await (await browser.get('/admin/integration')).text();
    for (const url of [
      'http://localhost:3000/v1/ehr/events',
      'http://localhost:3000/v1/ehr/hl7v2',
      'http://localhost:3000/v1/ehr/fhir',
      'http://localhost:3000/v1/ehr/fhir/notifications',
      'http://localhost:3000/v1/appointments/{appointment_id}',
      'http://localhost:3000/v1/twilio/inbound',
      'http://localhost:3000/v1/twilio/status',
    ]) {
      expect(page).toContain(url);
    }
    expect(page).not.toContain('sandbox-key'); // the key itself is never printed
    expect(page).not.toContain('sandbox-callback-secret');
    for (const header of [
      'Idempotency-Key',
      'X-Signature',
      'X-Signature-Timestamp',
      'X-Timestamp-Signature',
    ]) {
      expect(page).toContain(`<code>${header}</code>`);
    }
    const buttons = [...page.matchAll(/<button\s[^>]*class="copy"[^>]*>/g)].map((m) => m[0]);
    expect(buttons.length).toBeGreaterThanOrEqual(5);
    for (const button of buttons) {
      expect(button).toMatch(/type="button"/);
      expect(button).toMatch(/aria-label="Copy [^"]+"/);
      expect(button).toMatch(/\shidden/); // shown by the script; without it the text is still there
      const target = /data-copy="([^"]+)"/.exec(button)?.[1];
      expect(page).toContain(`<pre id="${target}"`);
    }
    expect(page).toContain('SIU^S12^SIU_S12');
    expect(page).toContain('&quot;resourceType&quot;: &quot;Appointment&quot;');
    expect(page).toContain('<script src="/admin/assets/copy.js" defer></script>');
    expectSelfContained(page);
    expectHeadingsInOrder(page);

    const script = await browser.get('/admin/assets/copy.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await script.text()).toContain('navigator.clipboard');
  });
});

describe('a risky production configuration', () => {
  const env = productionEnv({
    TWILIO_AUTH_TOKEN: 'twilio-auth-token-0123456789abcdef',
    HL7_MLLP_PORT: '2575',
    HL7_MLLP_HOST: '0.0.0.0',
    HL7_TEXT_TEST_MESSAGES: 'true',
    TEMPORAL_ADDRESS: 'temporal.example.org:7233',
  });
  const checks: LiveCheckResult[] = [
    { name: 'Temporal reachable', outcome: 'ok', reason: 'answered', ms: 3 },
    {
      name: 'Twilio credentials and sender',
      outcome: 'failed',
      reason: 'Twilio 401 / 20003: TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN were refused',
      ms: 120,
    },
  ];

  test('problems and risks are shown, and no secret’s value appears', async () => {
    const { api, code } = await startProduction(env, { REMINDER_OUTREACH_START: '9am' }, checks);
    const browser = new ConsoleClient(api.base);
    await signIn(browser, code);
    const page = await (await browser.get('/admin/configuration')).text();
    for (const [name, value] of Object.entries(env)) {
      if (/TOKEN|SECRET|PASSWORD|KEY/.test(name)) {
        for (const part of value.split(',')) expect([name, page.includes(part)]).toEqual([name, false]);
      }
    }
    expect(page).toContain('would stop the next start-up');
    expect(page).toContain('must be a time of day HHMM between 0000 and 2400 (got &quot;9am&quot;)');
    expect(page).toContain('MLLP listens on 0.0.0.0 with no allow-list');
    expect(page).toContain('training or debugging (MSH-11 T/D) text real patients');
    expect(page).toContain('the connection to Temporal at temporal.example.org:7233 is not TLS');
    expect(page).toMatch(
      /<span class="badge badge-failed">Failed<\/span><\/td>\s*<td>\s*Twilio 401 \/ 20003/,
    );
    expect(page).toContain('1 live check failed');
  });

  test('the integration page names the public host for MLLP and never a key', async () => {
    const { api, code } = await startProduction(env, {}, checks);
    const browser = new ConsoleClient(api.base);
    await signIn(browser, code);
    const page = await (await browser.get('/admin/integration')).text();
    expect(page).toContain('https://sms.example.org/v1/ehr/events');
    expect(page).toContain('<code>sms.example.org:2575</code>');
    expect(page).toContain('https://sms.example.org/v1/twilio/inbound');
    expect(page).toContain('<code>+15005550006</code>'); // the number to configure in Twilio
    expect(page).toContain('https://ehr.example.org/sms-replies');
    expect(page).toContain('1 key configured');
    for (const name of ['EHR_API_KEYS', 'EHR_CALLBACK_SECRET', 'TWILIO_AUTH_TOKEN']) {
      expect(page).not.toContain(env[name] ?? '-');
    }
  });
});
