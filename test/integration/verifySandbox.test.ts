/**
 * The Twilio Verify v2 emulation driven by the real `twilio` SDK (through the sandbox client): codes
 * land on the virtual phone, and Twilio's answers and error codes come back as the SDK reports them.
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { createSandboxTwilioClient, type Twilio } from '../../src/activities/twilioClient';
import { logger } from '../../src/log';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { createVerifySandboxRouter, SANDBOX_VERIFY_SERVICE_SID } from '../../src/sandbox/verifySandbox';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';

const ADMIN = '+15005550100';
let clock = Date.parse('2026-12-01T12:00:00Z');
let server: Server;
let base: string;
let store: SandboxMessageStore;
let client: Twilio;

beforeAll(async () => {
  store = new SandboxMessageStore(mkdtempSync(path.join(os.tmpdir(), 'verify-sandbox-')));
  const app = express();
  app.use(
    createVerifySandboxRouter({
      store,
      authToken: SANDBOX_TEST_AUTH_TOKEN,
      serviceSid: SANDBOX_VERIFY_SERVICE_SID,
      friendlyName: 'Test clinic',
      logger: logger.child({}, { level: 'silent' }),
      now: () => clock,
    }),
  );
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/sandbox/twilio`;
  client = createSandboxTwilioClient(base, SANDBOX_TEST_AUTH_TOKEN);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const service = (sid = SANDBOX_VERIFY_SERVICE_SID) => client.verify.v2.services(sid);

async function lastCode(to: string): Promise<string> {
  const messages = await store.list({ to });
  const body = messages[messages.length - 1]?.body ?? '';
  const code = /verification code is: (\d{6})$/.exec(body)?.[1];
  if (!code) throw new Error(`no code in "${body}"`);
  return code;
}

async function twilioError(promise: Promise<unknown>): Promise<{ status: number; code: number }> {
  try {
    await promise;
  } catch (err) {
    const { status, code } = err as { status: number; code: number };
    return { status, code };
  }
  throw new Error('expected a Twilio error');
}

test('a code is texted to the virtual phone, a wrong one stays pending, the right one approves once', async () => {
  const to = '+15005550111';
  const verification = await service().verifications.create({ to, channel: 'sms' });
  expect(verification).toMatchObject({ status: 'pending', to, channel: 'sms', valid: false });
  expect(verification.sid).toMatch(/^VE[0-9a-f]{32}$/);
  expect(verification.serviceSid).toBe(SANDBOX_VERIFY_SERVICE_SID);
  expect(verification.sendCodeAttempts).toHaveLength(1);
  const code = await lastCode(to);
  expect((await store.list({ to }))[0]?.body).toBe(`Your Test clinic verification code is: ${code}`);

  const wrong = code === '000000' ? '111111' : '000000';
  expect(await service().verificationChecks.create({ to, code: wrong })).toMatchObject({
    status: 'pending',
    valid: false,
  });
  expect(await service().verificationChecks.create({ to, code })).toMatchObject({
    status: 'approved',
    valid: true,
    sid: verification.sid,
  });
  // Approved is final.
  expect(await twilioError(service().verificationChecks.create({ to, code }))).toEqual({
    status: 404,
    code: 20404,
  });
});

test('sending again while pending resends the same code, up to 5 sends (then 60203)', async () => {
  const to = '+15005550112';
  await service().verifications.create({ to, channel: 'sms' });
  const code = await lastCode(to);
  for (let i = 2; i <= 5; i++) {
    const again = await service().verifications.create({ to, channel: 'sms' });
    expect(again.sendCodeAttempts).toHaveLength(i);
    expect(await lastCode(to)).toBe(code);
  }
  expect(await twilioError(service().verifications.create({ to, channel: 'sms' }))).toEqual({
    status: 429,
    code: 60203,
  });
});

test('5 checks at most (then 60202 and the verification is gone)', async () => {
  const to = '+15005550113';
  await service().verifications.create({ to, channel: 'sms' });
  const code = await lastCode(to);
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) await service().verificationChecks.create({ to, code: wrong });
  expect(await twilioError(service().verificationChecks.create({ to, code }))).toEqual({
    status: 429,
    code: 60202,
  });
  expect(await twilioError(service().verificationChecks.create({ to, code }))).toEqual({
    status: 404,
    code: 20404,
  });
});

test('a code is valid 10 minutes', async () => {
  const to = '+15005550114';
  await service().verifications.create({ to, channel: 'sms' });
  const code = await lastCode(to);
  clock += 10 * 60_000;
  expect(await twilioError(service().verificationChecks.create({ to, code }))).toEqual({
    status: 404,
    code: 20404,
  });
  // A new verification after expiry carries a new code and works.
  await service().verifications.create({ to, channel: 'sms' });
  expect(await service().verificationChecks.create({ to, code: await lastCode(to) })).toMatchObject({
    status: 'approved',
  });
});

test('bad parameters are 60200, an unknown service 20404, and a check with nothing pending 20404', async () => {
  expect(await twilioError(service().verifications.create({ to: '303-555', channel: 'sms' }))).toEqual({
    status: 400,
    code: 60200,
  });
  expect(
    await twilioError(service().verifications.create({ to: '+15005550115', channel: 'pigeon' })),
  ).toEqual({
    status: 400,
    code: 60200,
  });
  expect(await twilioError(service().verificationChecks.create({ to: '+15005550115' }))).toEqual({
    status: 400,
    code: 60200,
  });
  expect(
    await twilioError(service(`VA${'1'.repeat(32)}`).verifications.create({ to: ADMIN, channel: 'sms' })),
  ).toEqual({ status: 404, code: 20404 });
  expect(
    await twilioError(service().verificationChecks.create({ to: '+15005550116', code: '123456' })),
  ).toEqual({
    status: 404,
    code: 20404,
  });
});

test('only the sandbox account is answered (401 / 20003), as with the Messages emulation', async () => {
  const stranger = createSandboxTwilioClient(base, 'not-the-token');
  expect(
    await twilioError(
      stranger.verify.v2
        .services(SANDBOX_VERIFY_SERVICE_SID)
        .verifications.create({ to: ADMIN, channel: 'sms' }),
    ),
  ).toEqual({ status: 401, code: 20003 });
  expect(await store.list({ to: ADMIN })).toEqual([]);
});
