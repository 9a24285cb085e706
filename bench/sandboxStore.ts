/**
 * `npm run bench:sandbox`: the sandbox message store on the per-text path, at 10k and 50k stored messages. Every
 * text the worker sends in sandbox mode costs a duplicate check (Twilio `messages.list({to, limit: 50})`), a create
 * and two status updates (sent, delivered); this measures those against a store preloaded with N messages, plus the
 * first read after a restart (loading the file), and the EHR callback store's record with N stored callbacks.
 * Numbers are for comparison between commits on the same machine, not pass/fail thresholds.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { SANDBOX_ACCOUNT_SID } from '../src/activities/twilioClient';
import { logger } from '../src/log';
import {
  EhrCallbackStore,
  SANDBOX_EHR_CALLBACKS_FILE,
  type ReceivedEhrCallback,
} from '../src/sandbox/ehrCallbackReceiver';
import { SANDBOX_MESSAGES_FILE, SandboxMessageStore } from '../src/sandbox/messageStore';
import { createTwilioSandboxRouter } from '../src/sandbox/twilioSandbox';

const SIZES = [10_000, 50_000];
/** Each timed loop stops after this many iterations or this long, whichever comes first. */
const MAX_ITERATIONS = 2_000;
const MAX_MS = 4_000;
const MESSAGES_PER_NUMBER = 4;
const FROM = '+15005550006';
const BODY =
  'Valley Clinic: Ana, reminder of your visit with Dr. Smith on Fri Dec 4 at 9:30 AM. Reply 1 to confirm, 2 to cancel.';

const recipient = (i: number): string => `+1720${String(1_000_000 + i).slice(1)}`;

/** A messages.jsonl as the sandbox writes it: each message, then its `sent` and `delivered` status lines. */
async function writeStore(directory: string, count: number): Promise<void> {
  const numbers = Math.ceil(count / MESSAGES_PER_NUMBER);
  const start = Date.now() - count * 1_000;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const sid = `SM${i.toString(16).padStart(32, '0')}`;
    const at = new Date(start + i * 1_000).toISOString();
    const later = new Date(start + i * 1_000 + 500).toISOString();
    lines.push(
      JSON.stringify({
        type: 'message',
        sid,
        to: recipient(i % numbers),
        from: FROM,
        body: BODY,
        status: 'queued',
        createdAt: at,
        updatedAt: at,
        statusCallback: 'http://127.0.0.1:3000/v1/twilio/status?appointmentId=A100',
        direction: 'outbound-api',
        numSegments: 1,
      }),
      JSON.stringify({ type: 'status', sid, status: 'sent', at }),
      JSON.stringify({ type: 'status', sid, status: 'delivered', at: later }),
    );
  }
  await writeFile(path.join(directory, SANDBOX_MESSAGES_FILE), `${lines.join('\n')}\n`);
}

/** Exact heap figures need `--expose-gc` (the npm script passes it); without it they include garbage. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function timed(body: (i: number) => Promise<unknown>): Promise<{ perSecond: number; msPerOp: number }> {
  const started = performance.now();
  let i = 0;
  while (i < MAX_ITERATIONS && (i < 3 || performance.now() - started < MAX_MS)) await body(i++);
  const ms = performance.now() - started;
  return { perSecond: (i / ms) * 1000, msPerOp: ms / i };
}

function report(name: string, result: { perSecond: number; msPerOp: number }): void {
  const latency =
    result.msPerOp >= 1
      ? `${result.msPerOp.toFixed(1)} ms/op`
      : `${(result.msPerOp * 1000).toFixed(0)} µs/op`;
  console.log(
    `  ${name.padEnd(48)} ${Math.round(result.perSecond).toLocaleString('en-US').padStart(9)} ops/s  (${latency})`,
  );
}

async function benchSize(count: number): Promise<void> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'bench-sandbox-'));
  const sandboxDir = path.join(directory, 'sandbox');
  await mkdir(sandboxDir);
  await writeStore(sandboxDir, count);
  const numbers = Math.ceil(count / MESSAGES_PER_NUMBER);
  console.log(`${count.toLocaleString('en-US')} stored messages (${MESSAGES_PER_NUMBER} per number):`);

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const store = SandboxMessageStore.inDataDir(directory);
  const loadStarted = performance.now();
  await store.list({ to: recipient(0) });
  const loadMs = performance.now() - loadStarted;
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    `  first read after a restart (load)                ${loadMs.toFixed(0)} ms, heap +${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB`,
  );

  const sids: string[] = [];
  report(
    'add (append one message)',
    await timed(async (i) => {
      const message = await store.add({
        to: recipient(i % numbers),
        from: FROM,
        body: BODY,
        direction: 'outbound-api',
      });
      sids.push(message.sid);
    }),
  );
  report('updateStatus (sent)', await timed((i) => store.updateStatus(sids[i % sids.length] ?? '', 'sent')));
  report('get(sid)', await timed((i) => store.get(sids[i % sids.length] ?? '')));
  report('list({to})', await timed((i) => store.list({ to: recipient(i % numbers) })));
  const recent = new Date(Date.now() - 60_000);
  report(
    'list({to, createdAfter})',
    await timed((i) => store.list({ to: recipient(i % numbers), createdAfter: recent })),
  );

  // The Twilio emulation over HTTP, as the sendSms activity's duplicate check calls it.
  const app = express();
  const authToken = randomBytes(16).toString('hex');
  const sandbox = createTwilioSandboxRouter({
    store,
    authToken,
    logger: logger.child({}, { level: 'silent' }),
    deliveryDelaysMs: { sent: 0, delivered: 0 },
  });
  app.use(sandbox);
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const messagesUrl = `http://127.0.0.1:${port}/sandbox/twilio/2010-04-01/Accounts/${SANDBOX_ACCOUNT_SID}/Messages.json`;
  const headers = {
    Authorization: `Basic ${Buffer.from(`${SANDBOX_ACCOUNT_SID}:${authToken}`).toString('base64')}`,
  };
  report(
    'HTTP GET Messages.json?To=…&PageSize=50',
    await timed(async (i) => {
      const response = await fetch(
        `${messagesUrl}?To=${encodeURIComponent(recipient(i % numbers))}&PageSize=50`,
        { headers },
      );
      await response.arrayBuffer();
    }),
  );
  // One whole text as the sandbox serves it: duplicate check, create, then sent and delivered.
  report(
    'per text: list(50) + create + sent + delivered',
    await timed(async (i) => {
      const to = recipient(i % numbers);
      const listed = await fetch(`${messagesUrl}?To=${encodeURIComponent(to)}&PageSize=50`, { headers });
      await listed.arrayBuffer();
      const created = await fetch(messagesUrl, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ To: to, From: FROM, Body: BODY }),
      });
      await created.arrayBuffer();
      if (created.status !== 201) throw new Error(`create answered ${created.status}`);
      await sandbox.deliveriesSettled();
    }),
  );
  await new Promise((resolve) => server.close(resolve));

  // The sandbox EHR: each callback checks its Idempotency-Key against every stored one, then appends.
  await writeCallbacks(sandboxDir, count);
  const callbacks = EhrCallbackStore.inDataDir(directory);
  await callbacks.list();
  report(
    `EHR callback record (new key, ${count.toLocaleString('en-US')} stored)`,
    await timed((i) => callbacks.record(callback(`bench-${i}`))),
  );
  await rm(directory, { recursive: true, force: true });
}

function callback(key: string): ReceivedEhrCallback {
  return {
    receivedAt: new Date().toISOString(),
    headers: {
      'content-type': 'application/json',
      'idempotency-key': key,
      'x-signature': `sha256=${'ab'.repeat(32)}`,
    },
    body: {
      event_type: 'CONFIRM',
      appointment_id: 'A100',
      patient_id: 'P1',
      event_datetime_utc: '2026-12-01T15:04:05.000Z',
      reply_text: '1',
    },
  };
}

async function writeCallbacks(directory: string, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ type: 'callback', ...callback(`A${i}:SM${i.toString(16).padStart(32, '0')}:CONFIRM`) }),
  );
  await writeFile(path.join(directory, SANDBOX_EHR_CALLBACKS_FILE), `${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  for (const count of SIZES) await benchSize(count);
  const used = process.memoryUsage();
  console.log(`heap used ${(used.heapUsed / 1e6).toFixed(1)} MB, rss ${(used.rss / 1e6).toFixed(1)} MB`);
}

void main();
