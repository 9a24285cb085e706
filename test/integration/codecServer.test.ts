/**
 * The codec server over HTTP (issue 11.2): decodes only for an operator (token or signed-in
 * session), answers browsers from the configured Web UI origins only, and logs who called without
 * logging content.
 */
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createApp } from '../../src/api/app';
import { codecServerRouter, CODEC_SESSION_MS } from '../../src/api/codecServer';
import { AesGcmPayloadCodec } from '../../src/temporal/payloadCodec';
import { capturingLogger } from '../helpers/logLines';

const TOKEN = 'an-operator-token-of-at-least-32-characters';
const UI = 'http://localhost:8233';
const SECRET = { phone: '+13035550166', firstName: 'Zenobia' };

let server: Server;
let base: string;
let clock = Date.parse('2026-12-01T12:00:00Z');
const logLines: string[] = [];
const codec = new AesGcmPayloadCodec([{ id: 'k1', key: randomBytes(32) }]);

beforeAll(async () => {
  const logger = capturingLogger(logLines);
  const app = createApp({
    logger,
    readiness: async () => ({ ready: true }) as never,
    routers: [
      codecServerRouter({
        codec,
        operatorToken: TOKEN,
        allowedOrigins: [UI],
        secureCookies: false,
        logger,
        now: () => clock,
      }),
    ],
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const wire = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

async function encrypted(): Promise<unknown> {
  const [p] = await codec.encode([defaultPayloadConverter.toPayload(SECRET)]);
  return { payloads: [wire(p as Payload)] };
}

function decodeCall(headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(`${base}/codec/decode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
    body: JSON.stringify(body),
  });
}

async function decodedValue(res: Response): Promise<unknown> {
  const json = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
  const [p] = json.payloads;
  return defaultPayloadConverter.fromPayload({
    metadata: Object.fromEntries(
      Object.entries(p?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(p?.data ?? '', 'base64'),
  });
}

describe('codec server', () => {
  test('refuses anyone who is not an operator', async () => {
    expect((await decodeCall({}, await encrypted())).status).toBe(401);
    expect((await decodeCall({ Authorization: 'Bearer wrong' }, await encrypted())).status).toBe(401);
    expect((await decodeCall({ Cookie: 'codec_session=1.forged' }, await encrypted())).status).toBe(401);
    // A malformed cookie is a refusal, not a server error.
    expect((await decodeCall({ Cookie: 'other=%E0%A4%A; codec_session=%' }, await encrypted())).status).toBe(
      401,
    );
  });

  test('decodes for the operator token, and encode/decode round-trip', async () => {
    const res = await decodeCall({ Authorization: `Bearer ${TOKEN}` }, await encrypted());
    expect(res.status).toBe(200);
    expect(await decodedValue(res)).toEqual(SECRET);
    const plain = { payloads: [wire(defaultPayloadConverter.toPayload('hello'))] };
    const enc = await fetch(`${base}/codec/encode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(plain),
    });
    const back = await decodeCall({ Authorization: `Bearer ${TOKEN}` }, await enc.json());
    expect(await decodedValue(back)).toBe('hello');
  });

  test('a malformed body is a 400, a payload under an unknown key a 422', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    expect((await decodeCall(auth, { payloads: 'x' })).status).toBe(400);
    // What the `temporal` CLI sends for a call without input: nothing to decode, not an error.
    const empty = await decodeCall(auth, {});
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({ payloads: [] });
    const [foreign] = await new AesGcmPayloadCodec([{ id: 'other', key: randomBytes(32) }]).encode([
      defaultPayloadConverter.toPayload(1),
    ]);
    expect((await decodeCall(auth, { payloads: [wire(foreign as Payload)] })).status).toBe(422);
  });

  test('CORS: the Web UI origin gets its preflight answered with credentials; any other origin is refused', async () => {
    const preflight = await fetch(`${base}/codec/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI, 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const evil = await fetch(`${base}/codec/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // Even with the token, a browser on another origin gets nothing.
    const cross = await decodeCall(
      { Origin: 'https://evil.example', Authorization: `Bearer ${TOKEN}` },
      await encrypted(),
    );
    expect(cross.status).toBe(403);
  });

  test('sign-in sets a strict HttpOnly session cookie the Web UI’s calls carry, until it expires', async () => {
    const refused = await fetch(`${base}/codec/sign-in`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'token=wrong',
    });
    expect(refused.status).toBe(401);
    const signIn = await fetch(`${base}/codec/sign-in`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(TOKEN)}`,
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/codec/);
    const session = cookie.split(';')[0] as string;
    const res = await decodeCall({ Origin: UI, Cookie: session }, await encrypted());
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(await decodedValue(res)).toEqual(SECRET);
    clock += CODEC_SESSION_MS + 1;
    expect((await decodeCall({ Origin: UI, Cookie: session }, await encrypted())).status).toBe(401);
  });

  test('logs say who decoded how many payloads, never their content', async () => {
    await decodeCall({ Authorization: `Bearer ${TOKEN}` }, await encrypted());
    const calls = logLines.filter((l) => l.includes('"codec call"'));
    expect(calls.length).toBeGreaterThan(0);
    expect(JSON.parse(calls[calls.length - 1] as string)).toMatchObject({
      operator: 'token',
      direction: 'decode',
      payloads: 1,
      namespace: 'default',
    });
    const all = logLines.join('\n');
    for (const value of [...Object.values(SECRET), TOKEN]) expect(all).not.toContain(value);
  });
});
