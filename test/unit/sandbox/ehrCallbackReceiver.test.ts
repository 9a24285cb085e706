/**
 * The sandbox EHR's callback store: one line per new Idempotency-Key, duplicates and conflicts answered from the
 * in-memory index, and the same callbacks after a restart, past a torn last line, and across store instances.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  EhrCallbackStore,
  SANDBOX_EHR_CALLBACKS_FILE,
  type ReceivedEhrCallback,
} from '../../../src/sandbox/ehrCallbackReceiver';

type StoreModule = typeof import('../../../src/sandbox/ehrCallbackReceiver');

let directory: string;
let file: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'ehr-callback-store-'));
  file = path.join(directory, SANDBOX_EHR_CALLBACKS_FILE);
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function callback(key: string, replyText = '1'): ReceivedEhrCallback {
  return {
    receivedAt: new Date().toISOString(),
    headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-signature': 'sha256=00' },
    body: {
      event_type: 'CONFIRM',
      appointment_id: 'A100',
      patient_id: 'P1',
      event_datetime_utc: '2026-12-01T15:04:05.000Z',
      reply_text: replyText,
    },
  };
}

/** The store as a restarted process (or another process) has it: nothing in memory, everything from the file. */
async function restartedStore(): Promise<EhrCallbackStore> {
  let loaded: StoreModule | undefined;
  await jest.isolateModulesAsync(async () => {
    loaded = await import('../../../src/sandbox/ehrCallbackReceiver');
  });
  if (loaded === undefined) throw new Error('the store module did not load');
  return new loaded.EhrCallbackStore(directory);
}

const keys = (callbacks: readonly ReceivedEhrCallback[]): string[] =>
  callbacks.map((stored) => stored.headers['idempotency-key']);

describe('EhrCallbackStore', () => {
  test('a new key is stored as one line; the same key again is a duplicate, with another body a conflict', async () => {
    const store = new EhrCallbackStore(directory);
    const first = callback('k1');

    expect(await store.record(first)).toEqual({ outcome: 'stored', stored: first });
    expect(await store.record(callback('k1'))).toEqual({ outcome: 'duplicate', stored: first });
    expect(await store.record(callback('k1', '2'))).toEqual({ outcome: 'conflict', stored: first });
    expect(await store.list()).toEqual([first]);
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  test('callbacks list oldest first, and a restart reads back the same list and still knows every key', async () => {
    const store = new EhrCallbackStore(directory);
    for (const key of ['k1', 'k2', 'k3']) await store.record(callback(key));

    const restarted = await restartedStore();
    expect(await restarted.list()).toEqual(await store.list());
    expect(keys(await restarted.list())).toEqual(['k1', 'k2', 'k3']);
    expect((await restarted.record(callback('k2'))).outcome).toBe('duplicate');
  });

  test('a torn last line is ignored, and the next callback still reads back after another restart', async () => {
    const store = new EhrCallbackStore(directory);
    await store.record(callback('k1'));
    await appendFile(file, '{"type":"callback","receivedAt":"2026-');

    const afterCrash = await restartedStore();
    expect(keys(await afterCrash.list())).toEqual(['k1']);
    await afterCrash.record(callback('k2'));
    expect(keys(await (await restartedStore()).list())).toEqual(['k1', 'k2']);
  });

  test('two stores on one directory share one index: a key stored through one is a duplicate through the other', async () => {
    const a = new EhrCallbackStore(directory);
    const b = new EhrCallbackStore(directory);
    const outcomes = await Promise.all(
      [a, b, a, b].map(async (store) => (await store.record(callback('k1'))).outcome),
    );

    expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'duplicate', 'stored']);
    expect(await b.list()).toEqual(await a.list());
    expect(await a.list()).toHaveLength(1);
  });

  test('callbacks another process stored are listed here once, and its keys are known here', async () => {
    const here = new EhrCallbackStore(directory);
    const there = await restartedStore();

    await here.record(callback('k1'));
    await there.record(callback('k2'));
    await here.record(callback('k3'));

    expect(keys(await here.list())).toEqual(['k1', 'k2', 'k3']);
    expect(keys(await there.list())).toEqual(['k1', 'k2', 'k3']);
    expect((await here.record(callback('k2', 'other'))).outcome).toBe('conflict');
  });
});
