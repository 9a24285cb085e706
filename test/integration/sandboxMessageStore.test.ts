/** The sandbox's message store (messages.jsonl): persistence across stores, concurrent appends, listing. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type twilio from 'twilio';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import type { TwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import {
  FROM,
  nextNumber,
  startTwilioSandboxServer,
  type TwilioSandboxServer,
} from '../helpers/twilioSandboxServer';

let running: TwilioSandboxServer | undefined;
let dataDir: string;
let sandbox: TwilioSandboxRouter;
let client: twilio.Twilio;

beforeAll(async () => {
  running = await startTwilioSandboxServer();
  ({ dataDir, sandbox, client } = running);
});

afterAll(() => running?.close());

describe('SandboxMessageStore', () => {
  test('messages persist: a new store on the same directory reads them with their latest status', async () => {
    const created = await client.messages.create({ to: nextNumber(), from: FROM, body: 'persisted' });
    await sandbox.deliveriesSettled();

    const reopened = SandboxMessageStore.inDataDir(dataDir);
    expect(reopened.file).toBe(path.join(dataDir, 'sandbox', 'messages.jsonl'));
    const message = await reopened.get(created.sid);
    expect(message).toMatchObject({
      sid: created.sid,
      body: 'persisted',
      status: 'delivered',
      numSegments: 1,
    });
    expect(message?.sentAt).toBeDefined();
  });

  test('concurrent appends from one process each land as a whole line', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'sandbox-store-'));
    try {
      const a = new SandboxMessageStore(directory);
      const b = new SandboxMessageStore(directory);
      const added = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? a : b).add({
            to: '+15550000000',
            from: FROM,
            body: `m${i} ${'x'.repeat(500)}`,
            direction: 'outbound-api',
          }),
        ),
      );
      await Promise.all(added.map((message) => a.updateStatus(message.sid, 'sent')));

      const lines = (await readFile(a.file, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(80);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      const listed = await b.list();
      expect(listed).toHaveLength(40);
      expect(listed.every((message) => message.status === 'sent')).toBe(true);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test('list filters by to, from and creation time; inbound messages default to received', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'sandbox-store-'));
    try {
      const local = new SandboxMessageStore(directory);
      expect(await local.list()).toEqual([]);
      const outbound = await local.add({
        to: '+15550000001',
        from: FROM,
        body: 'out',
        direction: 'outbound-api',
      });
      const inbound = await local.add({ to: FROM, from: '+15550000001', body: '1', direction: 'inbound' });
      expect(outbound.status).toBe('queued');
      expect(inbound.status).toBe('received');
      expect(inbound.sid).toMatch(/^SM[0-9a-f]{32}$/);

      expect((await local.list({ to: '+15550000001' })).map((m) => m.sid)).toEqual([outbound.sid]);
      expect((await local.list({ from: '+15550000001' })).map((m) => m.sid)).toEqual([inbound.sid]);
      expect(await local.list({ createdAfter: new Date(Date.now() + 60_000) })).toEqual([]);
      expect(await local.updateStatus(`SM${'0'.repeat(32)}`, 'sent')).toBeUndefined();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
