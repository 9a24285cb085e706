/**
 * The Twilio sandbox on a loopback port with its public pages and a status-callback receiver, and a
 * real `twilio` SDK client for it: what the sandbox's integration tests share.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type twilio from 'twilio';
import { createTwilioClient, sandboxTwilioBaseUrl } from '../../src/activities/twilioClient';
import { parseConfig } from '../../src/config';
import { logger } from '../../src/log';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import {
  createSandboxPublicRouter,
  createTwilioSandboxRouter,
  type TwilioSandboxRouter,
} from '../../src/sandbox/twilioSandbox';
import { SANDBOX_TEST_AUTH_TOKEN, sandboxEnv } from './config';
import { freePort } from './ports';

export interface ReceivedCallback {
  signature: string | undefined;
  params: Record<string, string>;
}

export const quiet = logger.child({}, { level: 'silent' });
export const FROM = '+15005550006';
let numberCounter = 0;
/** A fresh recipient per test, so tests sharing the store never see each other's messages. */
export const nextNumber = (): string => `+1555010${String(1000 + numberCounter++).padStart(4, '0')}`;

export interface TwilioSandboxServer {
  dataDir: string;
  store: SandboxMessageStore;
  sandbox: TwilioSandboxRouter;
  origin: string;
  /** POSTs here land in `callbacks`. */
  callbackUrl: string;
  /** The real SDK, configured as the service configures it in sandbox mode. */
  client: twilio.Twilio;
  callbacks: ReceivedCallback[];
  /** Waits for the simulated deliveries, stops the server and removes the data folder. */
  close(): Promise<void>;
}

/** Instant delivery simulation (sent, then delivered) in a fresh data folder. */
export async function startTwilioSandboxServer(): Promise<TwilioSandboxServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'twilio-sandbox-'));
  const store = SandboxMessageStore.inDataDir(dataDir);
  const callbacks: ReceivedCallback[] = [];
  const sandbox = createTwilioSandboxRouter({
    store,
    authToken: SANDBOX_TEST_AUTH_TOKEN,
    logger: quiet,
    deliveryDelaysMs: { sent: 0, delivered: 0 },
  });
  const app = express();
  app.use(sandbox);
  app.use(createSandboxPublicRouter(store));
  app.post('/status-callback', express.urlencoded({ extended: false }), (req, res) => {
    callbacks.push({
      signature: req.header('x-twilio-signature'),
      params: req.body as Record<string, string>,
    });
    res.status(204).end();
  });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  return {
    dataDir,
    store,
    sandbox,
    origin,
    callbackUrl: `${origin}/status-callback`,
    client: createTwilioClient(parseConfig(sandboxEnv({ DATA_DIR: dataDir })), sandboxTwilioBaseUrl(origin)),
    callbacks,
    async close() {
      await sandbox.deliveriesSettled();
      await new Promise((resolve) => server.close(resolve));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
