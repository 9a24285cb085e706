/**
 * The Twilio client the service sends with: an ordinary client with credentials, or one whose requests
 * go to the sandbox, and the sandbox's limit on status callbacks.
 */
import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import {
  SandboxRequestClient,
  createSandboxTwilioClient,
  createTwilioClient,
  redirectToSandbox,
  sandboxTwilioBaseUrl,
} from '../../src/activities/twilioClient';
import { parseConfig } from '../../src/config';
import { productionEnv, SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { createTwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import { freePort } from '../helpers/ports';
import {
  FROM,
  nextNumber,
  quiet,
  startTwilioSandboxServer,
  type TwilioSandboxServer,
} from '../helpers/twilioSandboxServer';

let running: TwilioSandboxServer | undefined;
let origin: string;

beforeAll(async () => {
  running = await startTwilioSandboxServer();
  ({ origin } = running);
});

afterAll(() => running?.close());

describe('Twilio client', () => {
  test('with credentials it is an ordinary Twilio client for that account', () => {
    const config = parseConfig(
      productionEnv({ TWILIO_ACCOUNT_SID: `AC${'2'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'real-token' }),
    );
    const real = createTwilioClient(config, 'http://127.0.0.1:1/sandbox/twilio');
    expect(real.accountSid).toBe(`AC${'2'.repeat(32)}`);
    expect(real.httpClient).not.toBeInstanceOf(SandboxRequestClient);
    expect(createSandboxTwilioClient(origin, SANDBOX_TEST_AUTH_TOKEN).httpClient).toBeInstanceOf(
      SandboxRequestClient,
    );
  });

  test('the sandbox client rewrites Twilio hosts onto the sandbox and refuses any other host', () => {
    const base = 'http://127.0.0.1:3000/sandbox/twilio/';
    expect(
      redirectToSandbox('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B1', base),
    ).toBe('http://127.0.0.1:3000/sandbox/twilio/2010-04-01/Accounts/AC1/Messages.json?To=%2B1');
    expect(redirectToSandbox('https://api.sydney.us1.twilio.com/x', base)).toBe(
      'http://127.0.0.1:3000/sandbox/twilio/x',
    );
    expect(() => redirectToSandbox('https://example.com/2010-04-01', base)).toThrow(/not a Twilio API host/);
  });

  describe('sandbox status callbacks limited to our own webhook', () => {
    test('a StatusCallback outside the allowed prefix is refused and nothing is stored or POSTed', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'twilio-sandbox-prefix-'));
      const limitedStore = SandboxMessageStore.inDataDir(dir);
      const app = express();
      app.use(
        createTwilioSandboxRouter({
          authToken: SANDBOX_TEST_AUTH_TOKEN,
          store: limitedStore,
          logger: quiet,
          deliveryDelaysMs: { sent: 0, delivered: 0 },
          statusCallbackPrefix: 'http://127.0.0.1:9/v1/twilio/status',
        }),
      );
      const port = await freePort();
      const limitedServer = await new Promise<Server>((resolve) => {
        const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
      });
      try {
        const limited = createSandboxTwilioClient(
          sandboxTwilioBaseUrl(`http://127.0.0.1:${port}`),
          SANDBOX_TEST_AUTH_TOKEN,
        );
        await expect(
          limited.messages.create({
            to: nextNumber(),
            from: FROM,
            body: 'x',
            statusCallback: 'http://169.254.169.254/latest',
          }),
        ).rejects.toMatchObject({ code: 21609 });
        expect(await limitedStore.list()).toEqual([]);
        const ok = await limited.messages.create({
          to: nextNumber(),
          from: FROM,
          body: 'x',
          statusCallback: 'http://127.0.0.1:9/v1/twilio/status?appointmentId=A1',
        });
        expect(ok.sid).toMatch(/^SM/);
      } finally {
        await new Promise<void>((resolve) => limitedServer.close(() => resolve()));
      }
    });
  });
});
