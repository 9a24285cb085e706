/**
 * The `SnapshotStore` contract (src/activities/snapshots/port.ts, ARCHITECTURE §8) as one suite that every
 * adapter's test file runs against a fresh store of its own: test/unit/activities/snapshots/fileStore.test.ts (files)
 * and test/integration/gcsSnapshotStore.test.ts (GCS, on the emulator). What only one adapter has (file
 * claims and permissions; GCS preconditions, listing pages, CMEK) stays in that adapter's file.
 */
import {
  type AppointmentSnapshot,
  CorruptSnapshotError,
  InvalidSnapshotError,
  type ListableSnapshotStore,
  SNAPSHOT_SCHEMA_VERSION,
  SnapshotConflictError,
  objectKey,
  serializeSnapshot,
} from '../../src/activities/snapshots/port';

export const CUSTOMER = 'clinic1';

/** Version `version` of appointment appt-1 (state with a patient name, to check it never leaks). */
export function snap(version: number, overrides: Partial<AppointmentSnapshot> = {}): AppointmentSnapshot {
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    appointmentId: 'appt-1',
    version,
    status: version % 2 === 0 ? 'CONFIRMED' : 'BOOKED',
    writtenAt: new Date(Date.UTC(2026, 0, 1, 0, 0, version)).toISOString(),
    state: { patient_first_name: 'Ada', messages: [{ body: `message ${version}` }], version },
    ...overrides,
  };
}

export function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Polls the current version of appt-1 until stopped; returns every version seen, in order. */
export function watchCurrentVersions(reader: ListableSnapshotStore): { stop: () => Promise<number[]> } {
  const seen: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const current = await reader.readCurrent(CUSTOMER, 'appt-1');
      if (current !== undefined && current.version !== seen[seen.length - 1]) seen.push(current.version);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

/**
 * A fresh, empty store and a way under it to its storage (as an operator, another tool or a crash would
 * reach it). Keys are `port.ts` object keys, `/`-separated, relative to the store root or bucket.
 */
export interface StoreUnderTest {
  store: ListableSnapshotStore;
  /** Another store over the same storage, as a second worker process would open it. */
  openPeer(): ListableSnapshotStore;
  /** Every object in the storage, the store's own scratch objects included (files: `.tmp/`, `.claims/`), sorted. */
  allKeys(): Promise<string[]>;
  /** Whether anything at all exists under `<customerCode>/` (files: even an empty folder). */
  holdsAnythingFor(customerCode: string): Promise<boolean>;
  readRaw(key: string): Promise<string>;
  /** Stores `text` under `key` past the store (creating folders as needed). */
  writeRaw(key: string, text: string): Promise<void>;
  /** Changes whenever the object under `key` is written again (GCS: generation; files: inode and mtime). */
  revision(key: string): Promise<string>;
}

const CURRENT = objectKey.current(CUSTOMER, 'appt-1');

/** The keys a store holds for appt-1 after writing `versions`, and nothing else, sorted. */
function keysOf(versions: number[]): string[] {
  return [CURRENT, ...versions.map((v) => objectKey.history(CUSTOMER, 'appt-1', v))].sort();
}

/** Declares the contract's tests for the store that `open` returns (called in a `beforeEach`). */
export function describeSnapshotStoreContract(
  name: string,
  open: () => StoreUnderTest | Promise<StoreUnderTest>,
): void {
  describe(`${name}: the snapshot store contract`, () => {
    let t: StoreUnderTest;
    let store: ListableSnapshotStore;

    beforeEach(async () => {
      t = await open();
      store = t.store;
    });

    const revisions = (keys: string[]): Promise<string[]> => Promise.all(keys.map((key) => t.revision(key)));

    it('creates the current object and the history object on the first write', async () => {
      await expect(store.write(CUSTOMER, snap(1))).resolves.toBe('written');

      expect(await t.allKeys()).toEqual([
        'clinic1/appointments/appt-1.json',
        'clinic1/history/appt-1/0000000001.json',
      ]);
      for (const key of await t.allKeys()) expect(JSON.parse(await t.readRaw(key))).toEqual(snap(1));
      await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(1));
      await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1]);
      await expect(store.readVersion(CUSTOMER, 'appt-1', 1)).resolves.toEqual(snap(1));
    });

    it('stores only the contract fields, so extra properties never reach storage', async () => {
      const withExtra = { ...snap(1), patientPhone: '+15555550100' };
      await store.write(CUSTOMER, withExtra);

      expect(await t.readRaw(CURRENT)).not.toContain('patientPhone');
      expect(await t.readRaw(objectKey.history(CUSTOMER, 'appt-1', 1))).not.toContain('patientPhone');
    });

    it('replaces the current object with a newer version and keeps every version in history', async () => {
      for (const v of [1, 2, 3]) await expect(store.write(CUSTOMER, snap(v))).resolves.toBe('written');

      await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(3));
      await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2, 3]);
      await expect(store.readVersion(CUSTOMER, 'appt-1', 2)).resolves.toEqual(snap(2));
    });

    it.each<[string, { written: number[]; history: number[] }]>([
      ['after versions 1 and 5', { written: [1, 5], history: [1, 3, 5] }],
      ['when version 5 was the first write', { written: [5], history: [3, 5] }],
    ])(
      'answers stale to a late older write (%s), leaves current untouched and still records its history',
      async (_label, { written, history }) => {
        for (const v of written) await store.write(CUSTOMER, snap(v));
        const revision = await t.revision(CURRENT);

        await expect(store.write(CUSTOMER, snap(3))).resolves.toBe('stale');

        expect(await t.revision(CURRENT)).toBe(revision);
        await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(5));
        await expect(store.readVersion(CUSTOMER, 'appt-1', 3)).resolves.toEqual(snap(3));
        await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(history);
      },
    );

    it('treats a retried identical write as idempotent: stale, and no object rewritten', async () => {
      await store.write(CUSTOMER, snap(1));
      await store.write(CUSTOMER, snap(2));
      const keys = await t.allKeys();
      const before = await revisions(keys);
      const currentBefore = await t.readRaw(CURRENT);

      await expect(store.write(CUSTOMER, snap(2))).resolves.toBe('stale');
      await expect(store.write(CUSTOMER, snap(1))).resolves.toBe('stale');

      expect(await t.readRaw(CURRENT)).toBe(currentBefore);
      expect(await t.allKeys()).toEqual(keys);
      expect(await revisions(keys)).toEqual(before);
      await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2]);
    });

    it.each<[string, (snapshot: AppointmentSnapshot) => string]>([
      ['as the store writes it', serializeSnapshot],
      ['in another JSON layout', (snapshot) => JSON.stringify(snapshot)],
    ])(
      'completes a write whose earlier attempt recorded history (%s) but crashed before replacing current',
      async (_layout, storedForm) => {
        await store.write(CUSTOMER, snap(1));
        // What a crash between the two steps leaves: version 2 in history only.
        await t.writeRaw(objectKey.history(CUSTOMER, 'appt-1', 2), storedForm(snap(2)));

        await expect(store.write(CUSTOMER, snap(2))).resolves.toBe('written');
        await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(2));
      },
    );

    it.each<[string, { written: number[]; different: AppointmentSnapshot }]>([
      [
        'another status under version 2 (after versions 1 and 2)',
        { written: [1, 2], different: snap(2, { status: 'CANCELED' }) },
      ],
      [
        'another status and state under version 1 (the only one written)',
        { written: [1], different: snap(1, { status: 'CANCELED', state: { other: true } }) },
      ],
    ])(
      'refuses a snapshot with %s, and leaves every object as it was',
      async (_label, { written, different }) => {
        for (const v of written) await store.write(CUSTOMER, snap(v));
        const keys = await t.allKeys();
        const before = await revisions(keys);

        const error = await rejectionOf(store.write(CUSTOMER, different));

        expect(error).toBeInstanceOf(SnapshotConflictError);
        expect(String(error)).not.toContain('Ada');
        expect(await t.allKeys()).toEqual(keys);
        expect(await revisions(keys)).toEqual(before);
        const { version } = different;
        await expect(store.readVersion(CUSTOMER, 'appt-1', version)).resolves.toEqual(snap(version));
        await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(version));
      },
    );

    it('ends with the highest version current and every version in history after 50 concurrent shuffled writes', async () => {
      const versions = shuffled(range(1, 50));

      const outcomes = await Promise.all(versions.map((v) => store.write(CUSTOMER, snap(v))));

      expect(outcomes).toContain('written');
      expect(outcomes[versions.indexOf(50)]).toBe('written');
      await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(50));
      await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 50));
      for (const v of range(1, 50))
        await expect(store.readVersion(CUSTOMER, 'appt-1', v)).resolves.toEqual(snap(v));
      // Nothing else: no temp or claim file, no stray object.
      expect(await t.allKeys()).toEqual(keysOf(range(1, 50)));
    });

    it('ends with the highest version current and every version in history when several workers race, and current never goes backwards', async () => {
      // One store per "worker": the storage (preconditions, claims), not an in-process queue, keeps the order.
      const workers = range(1, 4).map(() => t.openPeer());
      const versions = shuffled(range(1, 30));
      const watcher = watchCurrentVersions(store);

      const outcomes = await Promise.all(
        versions.map((v, i) =>
          (workers[i % workers.length] as ListableSnapshotStore).write(CUSTOMER, snap(v)),
        ),
      );
      const seen = await watcher.stop();

      expect(outcomes).toContain('written');
      await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(30));
      await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 30));
      for (const v of range(1, 30))
        await expect(store.readVersion(CUSTOMER, 'appt-1', v)).resolves.toEqual(snap(v));
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(await t.allKeys()).toEqual(keysOf(range(1, 30)));
    });

    it('ends with the highest version current when every worker writes every version, and current never goes backwards', async () => {
      const stores = [store, ...range(1, 5).map(() => t.openPeer())];
      const watcher = watchCurrentVersions(store);

      // Every instance writes every version (as retries and late duplicates would), each in its own order.
      await Promise.all(stores.flatMap((s) => shuffled(range(1, 40)).map((v) => s.write(CUSTOMER, snap(v)))));
      const seen = await watcher.stop();

      await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(40));
      await expect(stores[1]?.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 40));
      // Current never went backwards, not even briefly.
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      // No claim or temp file left, no stray object.
      expect(await t.allKeys()).toEqual(keysOf(range(1, 40)));
    });

    it('ends with every version present when the same shuffled versions are also retried concurrently', async () => {
      const versions = shuffled([...range(1, 15), ...range(1, 15)]);
      const outcomes = await Promise.all(versions.map((v) => store.write(CUSTOMER, snap(v))));

      expect(outcomes.filter((o) => o === 'written').length).toBeGreaterThanOrEqual(1);
      await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(15));
      await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 15));
    });

    it('keeps appointments independent when written concurrently', async () => {
      const writes = shuffled(
        ['a', 'b', 'c'].flatMap((id) =>
          range(1, 10).map((v) => () => store.write(CUSTOMER, snap(v, { appointmentId: id }))),
        ),
      );
      await Promise.all(writes.map((write) => write()));

      for (const id of ['a', 'b', 'c']) {
        await expect(store.readCurrent(CUSTOMER, id)).resolves.toEqual(snap(10, { appointmentId: id }));
        await expect(store.listHistory(CUSTOMER, id)).resolves.toEqual(range(1, 10));
      }
    });

    it('keeps appointments and customers apart', async () => {
      await Promise.all([
        store.write(CUSTOMER, snap(2, { appointmentId: 'A/1' })),
        store.write(CUSTOMER, snap(7, { appointmentId: 'b.2' })),
        store.write('other', snap(1, { appointmentId: 'A/1' })),
      ]);

      await expect(store.readCurrent(CUSTOMER, 'A/1')).resolves.toMatchObject({ version: 2 });
      await expect(store.readCurrent(CUSTOMER, 'b.2')).resolves.toMatchObject({ version: 7 });
      await expect(store.readCurrent('other', 'A/1')).resolves.toMatchObject({ version: 1 });
      expect(await t.allKeys()).toContain('clinic1/appointments/A%2F1.json');
    });

    it('answers undefined and [] for an unknown appointment, version or customer', async () => {
      await store.write(CUSTOMER, snap(1));

      await expect(store.readCurrent(CUSTOMER, 'nope')).resolves.toBeUndefined();
      await expect(store.listHistory(CUSTOMER, 'nope')).resolves.toEqual([]);
      await expect(store.readVersion(CUSTOMER, 'nope', 1)).resolves.toBeUndefined();
      await expect(store.readVersion(CUSTOMER, 'appt-1', 2)).resolves.toBeUndefined();
      await expect(store.readVersion(CUSTOMER, 'appt-1', 9)).resolves.toBeUndefined();
      await expect(store.readCurrent('other', 'appt-1')).resolves.toBeUndefined();
    });

    it('lists history versions in numeric order and ignores foreign objects in the history folder', async () => {
      for (const v of [3, 10, 1, 2, 100]) await store.write(CUSTOMER, snap(v));
      const folder = objectKey.historyPrefix(CUSTOMER, 'appt-1');
      await t.writeRaw(`${folder}notes.txt`, 'x');
      await t.writeRaw(`${folder}7.json`, JSON.stringify(snap(7)));

      await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2, 3, 10, 100]);
    });

    it('lists the appointments that have a current object in key order, and nothing else', async () => {
      for (const id of ['b', 'a/1', 'c', '~phone-1'])
        await store.write(CUSTOMER, snap(1, { appointmentId: id }));
      // A foreign object in the folder is not an appointment; a phone record (`~`) never is one.
      await t.writeRaw(`${objectKey.currentPrefix(CUSTOMER)}notes.txt`, 'x');

      const ids: string[] = [];
      for await (const id of store.listAppointments(CUSTOMER)) ids.push(id);
      expect(ids).toEqual(['a/1', 'b', 'c']);
      const others: string[] = [];
      for await (const id of store.listAppointments('other')) others.push(id);
      expect(others).toEqual([]);
    });

    it.each<[string, Partial<AppointmentSnapshot>]>([
      ['a negative version', { version: -1 }],
      ['another schema version', { schemaVersion: 2 }],
      ['a writtenAt that is not an ISO instant', { writtenAt: 'yesterday' }],
      ['an empty status', { status: '' }],
      ['a missing state', { state: undefined }],
      ['a state that is not JSON', { state: { n: BigInt(1) } }],
    ])('rejects a snapshot with %s and writes nothing', async (_label, overrides) => {
      await expect(store.write(CUSTOMER, snap(1, overrides))).rejects.toBeInstanceOf(InvalidSnapshotError);
      expect(await t.holdsAnythingFor(CUSTOMER)).toBe(false);
      expect(await t.allKeys()).toEqual([]);
    });

    it.each<[string, { written: number[]; corrupt: string; next: number }]>([
      ['truncated after a write', { written: [1], corrupt: '{"truncated', next: 2 }],
      ['put there by another tool before any write', { written: [], corrupt: 'not json', next: 1 }],
    ])('reports a corrupt current object (%s) instead of overwriting it', async (_label, scenario) => {
      for (const v of scenario.written) await store.write(CUSTOMER, snap(v));
      await t.writeRaw(CURRENT, scenario.corrupt);
      const revision = await t.revision(CURRENT);

      await expect(store.readCurrent(CUSTOMER, 'appt-1')).rejects.toBeInstanceOf(CorruptSnapshotError);
      await expect(store.write(CUSTOMER, snap(scenario.next))).rejects.toBeInstanceOf(CorruptSnapshotError);
      expect(await t.readRaw(CURRENT)).toBe(scenario.corrupt);
      expect(await t.revision(CURRENT)).toBe(revision);
      await expect(store.readCurrent(CUSTOMER, 'appt-1')).rejects.toBeInstanceOf(CorruptSnapshotError);
    });
  });
}
