/**
 * The sandbox message store's `reported` line: which status's callback was last delivered, so the Twilio emulation
 * can tell after a restart which callbacks are still owed. Files without such lines load as before.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SANDBOX_MESSAGES_FILE, SandboxMessageStore } from '../../../src/sandbox/messageStore';

type StoreModule = typeof import('../../../src/sandbox/messageStore');

const CLINIC = '+15005550006';
const ANA = '+13035550101';

let directory: string;
let file: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'sandbox-message-reported-'));
  file = path.join(directory, SANDBOX_MESSAGES_FILE);
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A store as a restarted process opens it: nothing in memory, everything read from the file. */
async function restartedStore(): Promise<SandboxMessageStore> {
  let loaded: StoreModule | undefined;
  await jest.isolateModulesAsync(async () => {
    loaded = await import('../../../src/sandbox/messageStore');
  });
  if (loaded === undefined) throw new Error('the store module did not load');
  return new loaded.SandboxMessageStore(directory);
}

describe('sandbox store: reported status callbacks', () => {
  test('a reported status is one appended line, kept across a restart, and owed again after the next status', async () => {
    const store = new SandboxMessageStore(directory);
    const added = await store.add({ to: ANA, from: CLINIC, body: 'hi', direction: 'outbound-api' });
    expect(added.reportedStatus).toBeUndefined();

    await store.updateStatus(added.sid, 'sent');
    expect(await store.markReported(added.sid, 'sent')).toMatchObject({
      status: 'sent',
      reportedStatus: 'sent',
    });
    await store.updateStatus(added.sid, 'delivered');
    expect(await store.get(added.sid)).toMatchObject({ status: 'delivered', reportedStatus: 'sent' });

    const lastLine = JSON.parse((await readFile(file, 'utf8')).trim().split('\n').at(-1) ?? '') as unknown;
    expect(lastLine).toMatchObject({ type: 'status', sid: added.sid, status: 'delivered' });
    await store.markReported(added.sid, 'delivered');
    const reportedLine = JSON.parse(
      (await readFile(file, 'utf8')).trim().split('\n').at(-1) ?? '',
    ) as unknown;
    expect(reportedLine).toEqual({
      type: 'reported',
      sid: added.sid,
      status: 'delivered',
      at: expect.any(String),
    });

    const restarted = await restartedStore();
    expect(await restarted.get(added.sid)).toMatchObject({
      status: 'delivered',
      reportedStatus: 'delivered',
    });
  });

  test('a late report of an earlier status does not count for the current one; an unknown sid writes nothing', async () => {
    const store = new SandboxMessageStore(directory);
    const added = await store.add({ to: ANA, from: CLINIC, body: 'hi', direction: 'outbound-api' });
    await store.updateStatus(added.sid, 'sent');
    await store.updateStatus(added.sid, 'delivered');

    expect(await store.markReported(added.sid, 'sent')).toMatchObject({ status: 'delivered' });
    expect((await store.get(added.sid))?.reportedStatus).toBeUndefined();
    expect(await store.markReported(`SM${'0'.repeat(32)}`, 'delivered')).toBeUndefined();
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(4);
  });

  test('a file written before `reported` lines existed loads as before; a reported line for an unknown sid is skipped', async () => {
    const at = '2026-01-05T10:00:00.000Z';
    const sid = `SM${'a'.repeat(32)}`;
    await writeFile(
      file,
      [
        {
          type: 'message',
          sid,
          to: ANA,
          from: CLINIC,
          body: 'hi',
          status: 'queued',
          createdAt: at,
          updatedAt: at,
          statusCallback: 'http://127.0.0.1:3000/v1/twilio/status?appointmentId=A1',
          direction: 'outbound-api',
          numSegments: 1,
        },
        { type: 'status', sid, status: 'delivered', at },
        { type: 'reported', sid: `SM${'b'.repeat(32)}`, status: 'delivered', at },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n') + '\n',
    );

    const store = await restartedStore();
    const messages = await store.list();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ sid, status: 'delivered', sentAt: at });
    expect(messages[0]?.reportedStatus).toBeUndefined();
  });
});
