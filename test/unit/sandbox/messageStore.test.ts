/**
 * The sandbox message store: an append-only messages.jsonl behind an in-memory index. Appends, status updates in
 * order, the list filters and orders, reload after a restart, a torn last line, stores sharing a directory in one
 * process, and lines another process appends.
 */
import { spawn } from 'node:child_process';
// The module object itself (not a namespace copy), so spies on it reach the store's calls.
import fsPromises, { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  SANDBOX_MESSAGES_FILE,
  SandboxMessageStore,
  type NewSandboxMessage,
  type SandboxMessage,
} from '../../../src/sandbox/messageStore';

type StoreModule = typeof import('../../../src/sandbox/messageStore');

const projectRoot = path.resolve(__dirname, '../../..');
const CLINIC = '+15005550006';
const ANA = '+13035550101';
const BEN = '+13035550102';

let directory: string;
let file: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'sandbox-message-store-'));
  file = path.join(directory, SANDBOX_MESSAGES_FILE);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

const outbound = (to: string, body: string): NewSandboxMessage => ({
  to,
  from: CLINIC,
  body,
  direction: 'outbound-api',
});

/** The store module as a restarted process loads it: nothing in memory, everything read from the file. */
async function restartedModule(): Promise<StoreModule> {
  let loaded: StoreModule | undefined;
  await jest.isolateModulesAsync(async () => {
    loaded = await import('../../../src/sandbox/messageStore');
  });
  if (loaded === undefined) throw new Error('the store module did not load');
  return loaded;
}

async function restartedStore(): Promise<SandboxMessageStore> {
  const { SandboxMessageStore: Restarted } = await restartedModule();
  return new Restarted(directory);
}

const sids = (messages: readonly SandboxMessage[]): string[] => messages.map((message) => message.sid);

/** A message line as the store writes it, for files built by hand. */
function messageLine(sid: string, to: string, createdAt: string): string {
  return JSON.stringify({
    type: 'message',
    sid,
    to,
    from: CLINIC,
    body: `text ${sid}`,
    status: 'queued',
    createdAt,
    updatedAt: createdAt,
    direction: 'outbound-api',
    numSegments: 1,
  });
}

describe('SandboxMessageStore', () => {
  test('an added message is one appended line, found by sid and listed', async () => {
    const store = new SandboxMessageStore(directory);
    const added = await store.add(outbound(ANA, 'Your visit is tomorrow'));

    expect(added).toMatchObject({ to: ANA, from: CLINIC, status: 'queued', numSegments: 1 });
    expect(await store.get(added.sid)).toEqual(added);
    expect(await store.list()).toEqual([added]);
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines).toHaveLength(2); // one line and the final newline
    expect(JSON.parse(lines[0] ?? '')).toEqual({ type: 'message', ...added });
  });

  test('status updates apply in the order they were made: queued → sent → delivered', async () => {
    const store = new SandboxMessageStore(directory);
    const added = await store.add(outbound(ANA, 'hi'));

    const sent = await store.updateStatus(added.sid, 'sent');
    const delivered = await store.updateStatus(added.sid, 'delivered');

    expect(sent).toMatchObject({ status: 'sent', sentAt: sent?.updatedAt });
    expect(delivered).toMatchObject({ status: 'delivered', sentAt: sent?.sentAt });
    expect(await store.get(added.sid)).toEqual(delivered);
    expect((await store.list({ to: ANA }))[0]).toEqual(delivered);
    const statuses = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { status: string }).status);
    expect(statuses).toEqual(['queued', 'sent', 'delivered']);
  });

  test('an undelivered report keeps its error code; an unknown sid writes nothing', async () => {
    const store = new SandboxMessageStore(directory);
    const added = await store.add(outbound(ANA, 'hi'));

    expect(await store.updateStatus(added.sid, 'undelivered', 30003)).toMatchObject({
      status: 'undelivered',
      errorCode: 30003,
    });
    expect(await store.updateStatus(`SM${'0'.repeat(32)}`, 'sent')).toBeUndefined();
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  test('list filters by to, from and creation time, oldest first', async () => {
    const store = new SandboxMessageStore(directory);
    const first = await store.add(outbound(ANA, 'one'));
    const toBen = await store.add(outbound(BEN, 'two'));
    const reply = await store.add({ to: CLINIC, from: ANA, body: '1', direction: 'inbound' });
    const second = await store.add(outbound(ANA, 'three'));

    expect(sids(await store.list())).toEqual(sids([first, toBen, reply, second]));
    expect(sids(await store.list({ to: ANA }))).toEqual(sids([first, second]));
    expect(sids(await store.list({ from: ANA }))).toEqual(sids([reply]));
    expect(sids(await store.list({ to: CLINIC, from: ANA }))).toEqual(sids([reply]));
    expect(await store.list({ to: BEN, from: ANA })).toEqual([]);
    expect(await store.list({ to: '+19995550000' })).toEqual([]);
    expect(sids(await store.list({ to: ANA, createdAfter: new Date(second.createdAt) }))).toContain(
      second.sid,
    );
    expect(await store.list({ createdAfter: new Date(Date.now() + 60_000) })).toEqual([]);
    expect(sids(await store.list({ createdAfter: new Date(0) }))).toHaveLength(4);
  });

  test('createdAfter is exact even when the file is not in time order (a clock stepped back)', async () => {
    await writeFile(
      file,
      [
        messageLine('SM-b', ANA, '2026-01-01T10:00:02.000Z'),
        messageLine('SM-a', ANA, '2026-01-01T10:00:01.000Z'),
        messageLine('SM-c', ANA, '2026-01-01T10:00:03.000Z'),
        messageLine('SM-d', BEN, '2026-01-01T10:00:00.000Z'),
        '',
      ].join('\n'),
    );
    const store = new SandboxMessageStore(directory);
    const after = new Date('2026-01-01T10:00:01.500Z');

    expect(sids(await store.list({ createdAfter: after }))).toEqual(['SM-b', 'SM-c']);
    expect(sids(await store.list({ to: ANA, createdAfter: after }))).toEqual(['SM-b', 'SM-c']);
    expect(sids(await store.list({ to: BEN, createdAfter: new Date('2026-01-01T10:00:00.000Z') }))).toEqual([
      'SM-d',
    ]);
  });

  test('listNewestFirst pages newest first and says whether more match', async () => {
    const store = new SandboxMessageStore(directory);
    const added: SandboxMessage[] = [];
    for (let i = 0; i < 5; i++) added.push(await store.add(outbound(ANA, `m${i}`)));
    await store.add(outbound(BEN, 'other'));
    const newest = sids(added).reverse();

    expect(await store.listNewestFirst({ to: ANA }, { skip: 0, limit: 2 })).toEqual({
      messages: [added[4], added[3]],
      hasMore: true,
    });
    expect(sids((await store.listNewestFirst({ to: ANA }, { skip: 2, limit: 2 })).messages)).toEqual(
      newest.slice(2, 4),
    );
    expect(await store.listNewestFirst({ to: ANA }, { skip: 4, limit: 2 })).toEqual({
      messages: [added[0]],
      hasMore: false,
    });
    expect(await store.listNewestFirst({ to: ANA }, { skip: 1, limit: 4 })).toMatchObject({ hasMore: false });
    expect(await store.listNewestFirst({ to: ANA }, { skip: 9, limit: 2 })).toEqual({
      messages: [],
      hasMore: false,
    });
    const even = await store.listNewestFirst(
      { to: ANA },
      { skip: 0, limit: 50, where: (message) => Number(message.body.slice(1)) % 2 === 0 },
    );
    expect(even).toEqual({ messages: [added[4], added[2], added[0]], hasMore: false });
  });

  test('after a restart the store reads back exactly what it held, latest statuses included', async () => {
    const store = new SandboxMessageStore(directory);
    for (let i = 0; i < 30; i++) {
      const message = await store.add(outbound(i % 3 === 0 ? BEN : ANA, `m${i} ${'é'.repeat(i)}`));
      if (i % 2 === 0) await store.updateStatus(message.sid, 'sent');
      if (i % 4 === 0) await store.updateStatus(message.sid, 'delivered');
    }
    await store.add({ to: CLINIC, from: ANA, body: 'C', direction: 'inbound' });

    const restarted = await restartedStore();
    expect(await restarted.list()).toEqual(await store.list());
    expect(await restarted.list({ to: ANA })).toEqual(await store.list({ to: ANA }));
    expect(await restarted.list({ from: ANA })).toEqual(await store.list({ from: ANA }));
  });

  test('a torn last line (a crash mid-write) is ignored, and the next message still reads back whole', async () => {
    const store = new SandboxMessageStore(directory);
    const kept = await store.add(outbound(ANA, 'kept'));
    const torn = messageLine('SM-torn', ANA, new Date().toISOString()).slice(0, 60);
    await fsPromises.appendFile(file, torn);

    const restarted = await restartedStore();
    expect(sids(await restarted.list())).toEqual([kept.sid]);
    const after = await restarted.add(outbound(ANA, 'after the crash'));

    expect(sids(await (await restartedStore()).list())).toEqual([kept.sid, after.sid]);
    expect((await readFile(file, 'utf8')).split('\n')[1]).toBe(torn);
  });

  test('two stores on one directory in one process share the messages and never interleave lines', async () => {
    const a = new SandboxMessageStore(directory);
    const b = new SandboxMessageStore(directory);
    const added = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).add(outbound(ANA, `m${i} ${'x'.repeat(300)}`)),
      ),
    );
    await Promise.all(added.map((message, i) => (i % 2 === 0 ? b : a).updateStatus(message.sid, 'sent')));

    expect(sids(await a.list())).toEqual(sids(added));
    expect(await b.list()).toEqual(await a.list());
    expect((await a.list()).every((message) => message.status === 'sent')).toBe(true);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(40);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  test('after the first read, appends and reads neither reread the file nor create its directory again', async () => {
    const store = new SandboxMessageStore(directory);
    await store.add(outbound(BEN, 'first'));
    await store.list();
    const opened = jest.spyOn(fsPromises, 'open');
    const readWhole = jest.spyOn(fsPromises, 'readFile');
    const madeDirectory = jest.spyOn(fsPromises, 'mkdir');

    for (let i = 0; i < 20; i++) {
      const message = await store.add(outbound(ANA, `m${i}`));
      await store.updateStatus(message.sid, 'sent');
      await store.list({ to: ANA });
      await store.get(message.sid);
    }

    expect(opened).not.toHaveBeenCalled();
    expect(readWhole).not.toHaveBeenCalled();
    expect(madeDirectory).not.toHaveBeenCalled();
    expect(await store.list({ to: ANA })).toHaveLength(20);
  });

  test('lines another store module appended (as another process would) are picked up, each applied once', async () => {
    const here = new SandboxMessageStore(directory);
    const there = await restartedStore();
    const mine = await here.add(outbound(ANA, 'from here'));

    expect(await there.get(mine.sid)).toEqual(mine);
    const theirs = await there.add(outbound(ANA, 'from there'));
    await there.updateStatus(mine.sid, 'sent');
    await here.updateStatus(theirs.sid, 'sent');
    await here.updateStatus(mine.sid, 'delivered');

    expect(sids(await here.list({ to: ANA }))).toEqual([mine.sid, theirs.sid]);
    expect(await there.list()).toEqual(await here.list());
    expect((await here.get(mine.sid))?.status).toBe('delivered');
    expect(await (await restartedStore()).list()).toEqual(await here.list());
  });

  test('messages another process adds while this one runs are listed here', async () => {
    const store = new SandboxMessageStore(directory);
    const mine = await store.add(outbound(ANA, 'mine'));
    const script = `
      const { SandboxMessageStore } = require('./src/sandbox/messageStore');
      (async () => {
        const store = new SandboxMessageStore(process.argv[1]);
        for (let i = 0; i < 3; i++) {
          const message = await store.add({ to: '${ANA}', from: '${CLINIC}', body: 'other ' + i, direction: 'outbound-api' });
          await store.updateStatus(message.sid, 'delivered');
        }
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script, directory], {
        cwd: projectRoot,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.on('exit', resolve);
    });

    expect(exitCode).toBe(0);
    const listed = await store.list({ to: ANA });
    expect(listed.map((message) => message.body)).toEqual(['mine', 'other 0', 'other 1', 'other 2']);
    expect(listed.slice(1).every((message) => message.status === 'delivered')).toBe(true);
    expect(await store.updateStatus(mine.sid, 'sent')).toMatchObject({ status: 'sent' });
    expect(await (await restartedStore()).list()).toEqual(await store.list());
  });

  test('deleting the file empties the store; the next message creates it again', async () => {
    const store = new SandboxMessageStore(directory);
    await store.add(outbound(ANA, 'old'));
    await rm(directory, { recursive: true, force: true });

    expect(await store.list()).toEqual([]);
    const fresh = await store.add(outbound(ANA, 'new'));
    expect(sids(await store.list())).toEqual([fresh.sid]);
    expect(sids(await (await restartedStore()).list())).toEqual([fresh.sid]);
  });
});
