/**
 * The operator console's sign-in over HTTP (issue 13.1), against the API's own routers (apiRouters)
 * in sandbox mode: the password, then the code Twilio Verify's emulation texts to the virtual phone,
 * read back from the sandbox store; lock-outs, CSRF, session expiry on a moved clock, sign-out, the
 * guard, the cookie's attributes, and the codec server accepting a console session.
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { apiRouters } from '../../src/composition/api';
import { createGateways } from '../../src/composition/gateways';
import { parseConfig } from '../../src/config';
import { newCodecKeyEntry } from '../../src/config/codecKeys';
import { productionEnv, sandboxEnv } from '../helpers/config';
import { capturingLogger } from '../helpers/logLines';
import { freePort } from '../helpers/ports';
import { ConsoleClient, csrfOf } from '../helpers/consoleClient';

const PASSWORD = 'correct-horse-battery-staple';
const ADMIN_PHONE = '+15005550100';
const MIN = 60_000;
// Never connected: the console answers without Temporal.
const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });

interface Api {
  base: string;
  logs: string[];
  clock: { now: number };
  close(): Promise<void>;
}

const apis: Api[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.close()));
});

async function startApi(overrides: Record<string, string> = {}, production = false): Promise<Api> {
  const port = await freePort();
  const env = production
    ? productionEnv({ PORT: String(port), ...overrides })
    : sandboxEnv({
        PORT: String(port),
        DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'admin-sign-in-')),
        APPLICATION_PASSWORD: PASSWORD,
        ...overrides,
      });
  const config = parseConfig(env);
  const logs: string[] = [];
  const logger = capturingLogger(logs);
  const clock = { now: Date.parse('2026-12-01T12:00:00Z') };
  const app = createApp({
    logger,
    readiness: async () => ({ ready: false, temporal: 'unreachable', worker: 'unknown' }),
    routers: apiRouters(config, createGateways(config, temporal), logger, { now: () => clock.now }),
    trustProxy: config.env.TRUST_PROXY,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const api: Api = {
    base: `http://127.0.0.1:${port}`,
    logs,
    clock,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  apis.push(api);
  return api;
}

async function textsToAdmin(api: Api): Promise<Array<{ body: string }>> {
  const res = await fetch(`${api.base}/v1/sandbox/messages?to=${encodeURIComponent(ADMIN_PHONE)}`);
  return (await res.json()) as Array<{ body: string }>;
}

async function latestCode(api: Api): Promise<string> {
  const texts = await textsToAdmin(api);
  const code = /(\d{6})$/.exec(texts[texts.length - 1]?.body ?? '')?.[1];
  if (!code) throw new Error('no code on the virtual phone');
  return code;
}

/** The password step; answers the POST's response. */
async function submitPassword(browser: ConsoleClient, password = PASSWORD): Promise<Response> {
  const form = await browser.get('/admin/sign-in');
  return browser.post('/admin/sign-in/password', { csrf: csrfOf(await form.text()), password });
}

async function submitCode(browser: ConsoleClient, code: string): Promise<Response> {
  const form = await browser.get('/admin/sign-in');
  const page = await form.text();
  expect(page).toContain('name="code"');
  return browser.post('/admin/sign-in/code', { csrf: csrfOf(page), code });
}

/** Signs in all the way; answers the session's CSRF token (from the landing page). */
async function signIn(api: Api, browser: ConsoleClient): Promise<string> {
  expect((await submitPassword(browser)).status).toBe(303);
  const done = await submitCode(browser, await latestCode(api));
  expect(done.status).toBe(303);
  expect(done.headers.get('location')).toBe('/admin');
  const landing = await browser.get('/admin');
  expect(landing.status).toBe(200);
  return csrfOf(await landing.text());
}

const auditLines = (api: Api): Array<Record<string, unknown>> =>
  api.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.component === 'admin-audit');

describe('signing in', () => {
  test('password, then the code from the virtual phone, gives a session on a hardened cookie', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);

    const form = await browser.get('/admin/sign-in');
    expect(form.status).toBe(200);
    const formPage = await form.text();
    expect(formPage).toContain('type="password"');
    expect(formPage).toContain('admin-password'); // where the sandbox keeps its password
    expect(form.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(form.headers.get('cache-control')).toBe('no-store');

    const password = await browser.post('/admin/sign-in/password', {
      csrf: csrfOf(formPage),
      password: PASSWORD,
    });
    expect(password.status).toBe(303);
    expect(password.headers.get('location')).toBe('/admin/sign-in');
    const texts = await textsToAdmin(api);
    expect(texts).toHaveLength(1);
    expect(texts[0]?.body).toMatch(/^Your Appointment messaging verification code is: \d{6}$/);

    const code = await latestCode(api);
    const done = await submitCode(browser, code);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/admin');

    const sessionCookie = browser.setCookies.find((c) => c.startsWith('admin_session='));
    expect(sessionCookie).toBeDefined();
    const attributes = (sessionCookie ?? '').split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    expect(attributes).not.toContain('secure'); // PUBLIC_BASE_URL is http://localhost here
    expect(sessionCookie).toMatch(/^admin_session=[A-Za-z0-9_-]{43};/);
    // The pre-session cookie is dropped once signed in.
    expect(browser.cookies.has('admin_signin')).toBe(false);

    const landing = await browser.get('/admin');
    expect(landing.status).toBe(200);
    const page = await landing.text();
    for (const section of ['Configuration', 'Integration', 'Simulation', 'Virtual phone', 'Appointments']) {
      expect(page).toContain(section);
    }
    expect(page).toContain('action="/admin/sign-out"');
    // Signed in, the sign-in page sends the operator on.
    expect((await browser.get('/admin/sign-in')).headers.get('location')).toBe('/admin');

    const audit = auditLines(api);
    expect(audit.map((line) => line.audit)).toEqual(['password_ok', 'code_sent', 'signed_in']);
    for (const line of audit) {
      expect(line.client).toBe('127.0.0.1');
      expect(typeof line.time).toBe('number');
    }
    expect(audit[2]?.session).toMatch(/^[0-9a-f]{12}$/);
    const everything = api.logs.join('\n');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(code);
    expect(everything).not.toContain(ADMIN_PHONE);
  });

  test('the cookies are Secure when PUBLIC_BASE_URL is https', async () => {
    const api = await startApi({ PUBLIC_BASE_URL: 'https://console.example.org' });
    const browser = new ConsoleClient(api.base);
    await signIn(api, browser);
    const session = browser.setCookies.find((c) => c.startsWith('admin_session='));
    expect(session?.toLowerCase()).toContain('; secure');
    const signInCookie = browser.setCookies.find((c) => c.startsWith('admin_signin='));
    expect(signInCookie?.toLowerCase()).toContain('; secure');
  });

  test('without a session /admin redirects browsers to the sign-in and answers JSON callers 401', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    for (const route of ['/admin', '/admin/', '/admin/appointments', '/admin/anything/else']) {
      const page = await browser.get(route);
      expect([route, page.status, page.headers.get('location')]).toEqual([route, 303, '/admin/sign-in']);
      const json = await browser.get(route, { Accept: 'application/json' });
      expect([route, json.status]).toEqual([route, 401]);
      expect(await json.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    // The stylesheet is public (the sign-in page uses it).
    expect((await browser.get('/admin/assets/console.css')).status).toBe(200);
  });
});

describe('attempt limits', () => {
  test('5 wrong passwords lock this client for 15 minutes; no code is sent meanwhile', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    for (let i = 1; i <= 4; i++) {
      const wrong = await submitPassword(browser, `wrong-${i}`);
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('That password is not right.');
    }
    const fifth = await submitPassword(browser, 'wrong-5');
    expect(fifth.status).toBe(429);
    expect(fifth.headers.get('retry-after')).toBe(String(15 * 60));
    // Locked: even the right password is refused, and the form is not offered.
    expect((await browser.get('/admin/sign-in')).status).toBe(429);
    const csrfFree = await browser.post('/admin/sign-in/password', { csrf: 'x', password: PASSWORD });
    expect(csrfFree.status).toBe(429);
    expect(await textsToAdmin(api)).toEqual([]);
    expect(auditLines(api).map((l) => l.audit)).toEqual([
      ...Array<string>(5).fill('password_failed'),
      'locked',
      'sign_in_refused_locked',
    ]);

    api.clock.now += 15 * MIN;
    await signIn(api, browser);
  });

  test('a forged X-Forwarded-For does not dodge the lock-out; behind a proxy named in TRUST_PROXY it names the client', async () => {
    const direct = await startApi();
    const attacker = new ConsoleClient(direct.base);
    for (let i = 1; i <= 5; i++) await submitPassword(attacker, `wrong-${i}`);
    // A new "address" each time changes nothing: the socket's address is the client's.
    const form = await attacker.get('/admin/sign-in', { 'X-Forwarded-For': '203.0.113.77' });
    expect(form.status).toBe(429);

    // Behind a proxy on loopback (TRUST_PROXY=loopback) the address it saw is the client.
    const proxied = await startApi({ TRUST_PROXY: 'loopback' });
    const someone = new ConsoleClient(proxied.base);
    const asFirst = { 'X-Forwarded-For': '203.0.113.1' };
    for (let i = 1; i <= 5; i++) {
      const page = await someone.get('/admin/sign-in', asFirst);
      if (page.status === 429) break;
      await someone.post(
        '/admin/sign-in/password',
        { csrf: csrfOf(await page.text()), password: `wrong-${i}` },
        asFirst,
      );
    }
    expect((await someone.get('/admin/sign-in', asFirst)).status).toBe(429);
    expect((await someone.get('/admin/sign-in', { 'X-Forwarded-For': '203.0.113.2' })).status).toBe(200);
  });

  test('5 wrong codes void the pending sign-in and lock the client for 15 minutes', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    expect((await submitPassword(browser)).status).toBe(303);
    const code = await latestCode(api);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) {
      const res = await submitCode(browser, wrong);
      expect(res.status).toBe(401);
      expect(await res.text()).toContain(`${5 - i} ${5 - i === 1 ? 'try' : 'tries'} left`);
    }
    const fifth = await browser.post('/admin/sign-in/code', {
      csrf: csrfOf(await (await browser.get('/admin/sign-in')).text()),
      code: wrong,
    });
    expect(fifth.status).toBe(429);
    expect(auditLines(api).filter((l) => l.audit === 'locked')).toEqual([
      expect.objectContaining({ step: 'code', client: '127.0.0.1' }),
    ]);

    // After the lock the pending sign-in is gone: the right code is no use, the password comes first again.
    api.clock.now += 15 * MIN;
    const form = await browser.get('/admin/sign-in');
    expect(form.status).toBe(200);
    const page = await form.text();
    expect(page).toContain('type="password"');
    const late = await browser.post('/admin/sign-in/code', { csrf: csrfOf(page), code });
    expect(late.status).toBe(400);
    expect((await browser.get('/admin')).status).toBe(303);
  });
});

describe('CSRF', () => {
  test('a sign-in form without its token, or with a wrong one, is refused (403) and changes nothing', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    await browser.get('/admin/sign-in'); // the pre-session cookie
    const missing = await browser.post('/admin/sign-in/password', { password: PASSWORD });
    expect(missing.status).toBe(403);
    const wrong = await browser.post('/admin/sign-in/password', { csrf: 'forged', password: PASSWORD });
    expect(wrong.status).toBe(403);
    // Another browser's token does not fit this browser's pre-session.
    const other = new ConsoleClient(api.base);
    const otherToken = csrfOf(await (await other.get('/admin/sign-in')).text());
    expect(
      (await browser.post('/admin/sign-in/password', { csrf: otherToken, password: PASSWORD })).status,
    ).toBe(403);
    // Nothing was sent, and the forged attempts did not count as wrong passwords.
    expect(await textsToAdmin(api)).toEqual([]);
    expect(auditLines(api).map((l) => l.audit)).toEqual(['csrf_refused', 'csrf_refused', 'csrf_refused']);
    await signIn(api, browser);
  });

  test('a signed-in POST without the session token, or with a wrong one, is refused (403) and changes nothing', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    const token = await signIn(api, browser);
    expect((await browser.post('/admin/sign-out', {})).status).toBe(403);
    expect((await browser.post('/admin/sign-out', { csrf: `${token}x` })).status).toBe(403);
    const json = await browser.post('/admin/sign-out', {}, { Accept: 'application/json' });
    expect(json.status).toBe(403);
    expect(await json.json()).toMatchObject({ error: { code: 'csrf' } });
    // Still signed in.
    expect((await browser.get('/admin')).status).toBe(200);
    // The token also works as a header (for fetch from console pages).
    const out = await browser.post('/admin/sign-out', {}, { 'X-CSRF-Token': token });
    expect(out.status).toBe(303);
  });
});

describe('sessions end', () => {
  test('after 30 idle minutes (ADMIN_SESSION_IDLE_MINUTES), not while in use', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    await signIn(api, browser);
    api.clock.now += 29 * MIN;
    expect((await browser.get('/admin')).status).toBe(200);
    api.clock.now += 29 * MIN;
    expect((await browser.get('/admin')).status).toBe(200);
    api.clock.now += 30 * MIN;
    const ended = await browser.get('/admin');
    expect(ended.status).toBe(303);
    expect(ended.headers.get('location')).toBe('/admin/sign-in');
    expect(auditLines(api).filter((l) => l.audit === 'session_expired')).toEqual([
      expect.objectContaining({ why: 'idle' }),
    ]);
  });

  test('ADMIN_SESSION_MAX_HOURS after sign-in (2 h here), however active', async () => {
    const api = await startApi({ ADMIN_SESSION_MAX_HOURS: '2' });
    const browser = new ConsoleClient(api.base);
    await signIn(api, browser);
    for (let elapsed = 25; elapsed < 120; elapsed += 25) {
      api.clock.now += 25 * MIN;
      expect((await browser.get('/admin')).status).toBe(200);
    }
    api.clock.now += 20 * MIN; // 120 minutes after sign-in
    expect((await browser.get('/admin', { Accept: 'application/json' })).status).toBe(401);
    expect(auditLines(api).filter((l) => l.audit === 'session_expired')).toEqual([
      expect.objectContaining({ why: 'absolute' }),
    ]);
  });

  test('at sign-out; the old cookie is refused afterwards', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    const token = await signIn(api, browser);
    const cookie = browser.cookies.get('admin_session') as string;
    const out = await browser.post('/admin/sign-out', { csrf: token });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/admin/sign-in');
    expect(browser.cookies.has('admin_session')).toBe(false);
    // Replaying the old cookie gets nothing.
    const replay = await fetch(`${api.base}/admin`, {
      headers: { Cookie: `admin_session=${cookie}` },
      redirect: 'manual',
    });
    expect(replay.status).toBe(303);
    const replayJson = await fetch(`${api.base}/admin`, {
      headers: { Cookie: `admin_session=${cookie}`, Accept: 'application/json' },
    });
    expect(replayJson.status).toBe(401);
    expect(auditLines(api).map((l) => l.audit)).toContain('signed_out');
  });
});

describe('console forms', () => {
  // consoleForms (src/api/admin/pageParts.ts) reads the console's forms with a 16 KB limit; the app-wide
  // parser (256 KB) leaves /admin to it (src/api/app.ts).
  const padding = (bytes: number): string => 'x'.repeat(bytes);

  test('a sign-in form over 16 KB is refused (413); one under it is read', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    const form = await browser.get('/admin/sign-in');
    const csrf = csrfOf(await form.text());
    const tooLarge = await browser.post('/admin/sign-in/password', {
      csrf,
      password: PASSWORD,
      padding: padding(17 * 1024),
    });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    const read = await browser.post('/admin/sign-in/password', {
      csrf,
      password: PASSWORD,
      padding: padding(8 * 1024),
    });
    expect(read.status).toBe(303);
    expect(read.headers.get('location')).toBe('/admin/sign-in');
  });

  test('a signed-in console form over 16 KB is refused (413); a normal one still works', async () => {
    const api = await startApi();
    const browser = new ConsoleClient(api.base);
    const token = await signIn(api, browser);
    for (const route of ['/admin/simulation/appointments', '/admin/phone/reply', '/admin/sign-out']) {
      const res = await browser.post(route, { csrf: token, padding: padding(17 * 1024) });
      expect({ route, status: res.status }).toEqual({ route, status: 413 });
    }
    // Still signed in; a form of ordinary size is read (its CSRF field included).
    expect((await browser.get('/admin')).status).toBe(200);
    const out = await browser.post('/admin/sign-out', { csrf: token, padding: padding(1024) });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/admin/sign-in');
  });
});

test('the codec server answers a signed-in console operator, and nobody else without its token', async () => {
  const api = await startApi({ PAYLOAD_CODEC_KEYS: newCodecKeyEntry('k1') });
  const browser = new ConsoleClient(api.base);
  const decode = (cookie?: string) =>
    fetch(`${api.base}/codec/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) },
      body: JSON.stringify({ payloads: [] }),
    });
  expect((await decode()).status).toBe(401);
  await signIn(api, browser);
  expect((await decode(`admin_session=${browser.cookies.get('admin_session') ?? ''}`)).status).toBe(200);
});

test('outside sandbox mode /admin needs a session too, and no Verify emulation exists', async () => {
  const api = await startApi({}, true);
  const browser = new ConsoleClient(api.base);
  expect((await browser.get('/admin')).status).toBe(303);
  const form = await browser.get('/admin/sign-in');
  expect(form.status).toBe(200);
  expect(await form.text()).not.toContain('admin-password');
  const verify = await fetch(`${api.base}/sandbox/twilio/v2/Services/VA${'0'.repeat(32)}/Verifications`, {
    method: 'POST',
  });
  expect(verify.status).toBe(404);
});
