import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createSnapshotActivities, SNAPSHOT_FAILURE_TYPES } from '../../src/activities/snapshots/activity';
import {
  FileSnapshotStore,
  SnapshotStoreBusyError,
  fileSnapshotRoot,
} from '../../src/activities/snapshots/fileStore';
import {
  type AppointmentSnapshot,
  CorruptSnapshotError,
  InvalidSnapshotError,
  SNAPSHOT_SCHEMA_VERSION,
  SnapshotConflictError,
  decodeAppointmentId,
  encodeAppointmentId,
  objectKey,
  parseHistoryFileName,
} from '../../src/activities/snapshots/port';

const CUSTOMER = 'clinic1';
const projectRoot = path.resolve(__dirname, '../..');

/** A fresh temp folder per test holding only the store root, so escapes from the root would show up in it. */
let sandbox: string;
let root: string;
let store: FileSnapshotStore;

beforeEach(() => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'snapshots-test-'));
  root = path.join(sandbox, 'snapshots');
  store = new FileSnapshotStore(root);
});

afterEach(() => {
  rmSync(sandbox, { recursive: true, force: true });
});

function snap(version: number, overrides: Partial<AppointmentSnapshot> = {}): AppointmentSnapshot {
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

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function fileAt(key: string): string {
  return path.join(root, ...key.split('/'));
}

/** Every file under `dir`, relative to it. */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

function claimFiles(): string[] {
  const dir = path.join(root, '.claims');
  return existsSync(dir) ? allFiles(dir) : [];
}

function tempFiles(): string[] {
  const dir = path.join(root, '.tmp');
  return existsSync(dir) ? allFiles(dir) : [];
}

/** Plants a claim as another writer would, for the appointment's current version `current`. */
function plantClaim(appointmentId: string, current: number | 'none', owner: Record<string, unknown>): string {
  const dir = path.join(root, '.claims', CUSTOMER);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${encodeAppointmentId(appointmentId)}.${current}.0.claim`);
  writeFileSync(file, JSON.stringify(owner));
  return file;
}

/** Polls the current version of appt-1 until stopped; returns every version seen, in order. */
function watchCurrentVersions(reader: FileSnapshotStore): { stop: () => Promise<number[]> } {
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

describe('objectKey and id encoding', () => {
  it('lays out current and history keys as in ARCHITECTURE §8, with zero-padded history versions', () => {
    expect(objectKey.current('clinic1', 'A123')).toBe('clinic1/appointments/A123.json');
    expect(objectKey.historyPrefix('clinic1', 'A123')).toBe('clinic1/history/A123/');
    expect(objectKey.history('clinic1', 'A123', 7)).toBe('clinic1/history/A123/0000000007.json');
    expect(objectKey.history('clinic1', 'A123', 12345678901)).toBe('clinic1/history/A123/12345678901.json');
  });

  it('orders zero-padded history names numerically even when sorted as text', () => {
    const names = [2, 10, 1, 100, 9].map((v) => path.posix.basename(objectKey.history('c', 'a', v)));
    expect([...names].sort().map((name) => parseHistoryFileName(name))).toEqual([1, 2, 9, 10, 100]);
  });

  it('reads back only canonical history file names', () => {
    expect(parseHistoryFileName('0000000042.json')).toBe(42);
    expect(parseHistoryFileName('42.json')).toBeUndefined();
    expect(parseHistoryFileName('0000000042.json.tmp')).toBeUndefined();
    expect(parseHistoryFileName('abc.json')).toBeUndefined();
  });

  it.each([
    '..',
    '.',
    '../x',
    'a/b',
    '/etc/passwd',
    'a\\b',
    '..\\..\\x',
    '%2e%2e',
    'a b',
    'é/ü',
    'x\u0000y',
    '~root',
  ])('encodes %j as one safe, reversible segment', (id) => {
    const encoded = encodeAppointmentId(id);
    expect(encoded).toMatch(/^[A-Za-z0-9_%-]+$/);
    expect(encoded).not.toMatch(/^\.+$/);
    expect(decodeAppointmentId(encoded)).toBe(id);
  });

  it('keeps distinct ids distinct (no two ids share a key)', () => {
    const ids = ['a/b', 'a%2Fb', 'a%252Fb', 'a.b', 'a%2Eb', 'A.B'];
    expect(new Set(ids.map(encodeAppointmentId)).size).toBe(ids.length);
  });

  it.each([
    ['an empty appointment id', () => objectKey.current('clinic1', '')],
    ['a lone surrogate in the id', () => objectKey.current('clinic1', 'a\ud800')],
    ['an over-long id', () => objectKey.current('clinic1', 'é'.repeat(40))],
    ['a customer code with path syntax', () => objectKey.current('../clinic', 'a')],
    ['an upper-case customer code', () => objectKey.current('Clinic', 'a')],
    ['a negative version', () => objectKey.history('clinic1', 'a', -1)],
    ['a fractional version', () => objectKey.history('clinic1', 'a', 1.5)],
    ['an unsafe integer version', () => objectKey.history('clinic1', 'a', 2 ** 53)],
  ])('rejects %s', (_label, build) => {
    expect(build).toThrow(InvalidSnapshotError);
  });

  it('puts the filesystem store under <DATA_DIR>/snapshots', () => {
    expect(fileSnapshotRoot('/data')).toBe(path.join('/data', 'snapshots'));
  });
});

describe('FileSnapshotStore', () => {
  it('creates the current object and the history object on the first write', async () => {
    await expect(store.write(CUSTOMER, snap(1))).resolves.toBe('written');

    expect(JSON.parse(readFileSync(fileAt('clinic1/appointments/appt-1.json'), 'utf8'))).toEqual(snap(1));
    expect(JSON.parse(readFileSync(fileAt('clinic1/history/appt-1/0000000001.json'), 'utf8'))).toEqual(
      snap(1),
    );
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(1));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1]);
  });

  it('keeps snapshot files private to the owner and leaves no temp or claim files behind', async () => {
    await store.write(CUSTOMER, snap(1));
    await store.write(CUSTOMER, snap(2));

    expect(statSync(fileAt('clinic1/appointments/appt-1.json')).mode & 0o077).toBe(0);
    expect(statSync(fileAt('clinic1/history/appt-1/0000000002.json')).mode & 0o077).toBe(0);
    expect(tempFiles()).toEqual([]);
    expect(claimFiles()).toEqual([]);
  });

  it('stores only the contract fields, so extra properties never reach storage', async () => {
    const withExtra = { ...snap(1), patientPhone: '+15555550100' };
    await store.write(CUSTOMER, withExtra);

    expect(readFileSync(fileAt('clinic1/appointments/appt-1.json'), 'utf8')).not.toContain('patientPhone');
  });

  it('replaces the current object with a newer version', async () => {
    await store.write(CUSTOMER, snap(1));
    await expect(store.write(CUSTOMER, snap(2))).resolves.toBe('written');

    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(2));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2]);
  });

  it('answers stale to a late older write, leaves current unchanged and still records its history', async () => {
    await store.write(CUSTOMER, snap(1));
    await store.write(CUSTOMER, snap(5));

    await expect(store.write(CUSTOMER, snap(3))).resolves.toBe('stale');

    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(5));
    await expect(store.readVersion(CUSTOMER, 'appt-1', 3)).resolves.toEqual(snap(3));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 3, 5]);
  });

  it('treats a retried identical write as idempotent: stale, nothing changed', async () => {
    await store.write(CUSTOMER, snap(1));
    await store.write(CUSTOMER, snap(2));
    const currentBefore = readFileSync(fileAt('clinic1/appointments/appt-1.json'), 'utf8');

    await expect(store.write(CUSTOMER, snap(2))).resolves.toBe('stale');
    await expect(store.write(CUSTOMER, snap(1))).resolves.toBe('stale');

    expect(readFileSync(fileAt('clinic1/appointments/appt-1.json'), 'utf8')).toBe(currentBefore);
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2]);
  });

  it('completes a write whose earlier attempt recorded history but crashed before replacing current', async () => {
    await store.write(CUSTOMER, snap(1));
    const historyOf2 = fileAt(objectKey.history(CUSTOMER, 'appt-1', 2));
    writeFileSync(historyOf2, JSON.stringify(snap(2)));

    await expect(store.write(CUSTOMER, snap(2))).resolves.toBe('written');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(2));
  });

  it('refuses a second, different snapshot with an existing version and keeps both objects as they were', async () => {
    await store.write(CUSTOMER, snap(1));
    await store.write(CUSTOMER, snap(2));

    await expect(store.write(CUSTOMER, snap(2, { status: 'CANCELED' }))).rejects.toBeInstanceOf(
      SnapshotConflictError,
    );
    await expect(store.readVersion(CUSTOMER, 'appt-1', 2)).resolves.toEqual(snap(2));
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(2));
  });

  it('ends with the highest version current and every version in history after 50 concurrent shuffled writes', async () => {
    const versions = shuffled(range(1, 50));

    const outcomes = await Promise.all(versions.map((v) => store.write(CUSTOMER, snap(v))));

    expect(outcomes).toContain('written');
    expect(outcomes[versions.indexOf(50)]).toBe('written');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(50));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 50));
    for (const v of [1, 17, 50])
      await expect(store.readVersion(CUSTOMER, 'appt-1', v)).resolves.toEqual(snap(v));
    expect(tempFiles()).toEqual([]);
    expect(claimFiles()).toEqual([]);
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

  it('answers undefined and [] for an unknown appointment or version', async () => {
    await store.write(CUSTOMER, snap(1));

    await expect(store.readCurrent(CUSTOMER, 'nope')).resolves.toBeUndefined();
    await expect(store.listHistory(CUSTOMER, 'nope')).resolves.toEqual([]);
    await expect(store.readVersion(CUSTOMER, 'nope', 1)).resolves.toBeUndefined();
    await expect(store.readVersion(CUSTOMER, 'appt-1', 2)).resolves.toBeUndefined();
    await expect(store.readCurrent('other', 'appt-1')).resolves.toBeUndefined();
  });

  it('lists history versions in numeric order and ignores foreign files in the history folder', async () => {
    for (const v of [3, 10, 1, 2, 100]) await store.write(CUSTOMER, snap(v));
    const dir = fileAt(objectKey.historyPrefix(CUSTOMER, 'appt-1'));
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    writeFileSync(path.join(dir, '7.json'), JSON.stringify(snap(7)));

    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2, 3, 10, 100]);
  });

  it.each(['../x', 'a/b', '..', '.', '../../../../etc/passwd', 'a\\..\\..\\b', '/abs'])(
    'keeps the files of appointment id %j inside the store root',
    async (id) => {
      await expect(store.write(CUSTOMER, snap(1, { appointmentId: id }))).resolves.toBe('written');
      await store.write(CUSTOMER, snap(2, { appointmentId: id }));

      expect(readdirSync(root).sort()).toEqual(['.claims', '.tmp', CUSTOMER]);
      expect(readdirSync(path.join(root, CUSTOMER)).sort()).toEqual(['appointments', 'history']);
      expect(readdirSync(path.join(root, CUSTOMER, 'appointments'))).toEqual([
        `${encodeAppointmentId(id)}.json`,
      ]);
      expect(readdirSync(path.join(root, CUSTOMER, 'history'))).toEqual([encodeAppointmentId(id)]);
      expect(readdirSync(sandbox)).toEqual(['snapshots']);
      await expect(store.readCurrent(CUSTOMER, id)).resolves.toEqual(snap(2, { appointmentId: id }));
      await expect(store.listHistory(CUSTOMER, id)).resolves.toEqual([1, 2]);
    },
  );

  it.each<[string, Partial<AppointmentSnapshot>]>([
    ['a negative version', { version: -1 }],
    ['another schema version', { schemaVersion: 2 }],
    ['a writtenAt that is not an ISO instant', { writtenAt: 'yesterday' }],
    ['an empty status', { status: '' }],
    ['a missing state', { state: undefined }],
    ['a state that is not JSON', { state: { n: BigInt(1) } }],
  ])('rejects a snapshot with %s and writes nothing', async (_label, overrides) => {
    await expect(store.write(CUSTOMER, snap(1, overrides))).rejects.toBeInstanceOf(InvalidSnapshotError);
    expect(existsSync(path.join(root, CUSTOMER))).toBe(false);
  });

  it('reports a hand-corrupted current object instead of overwriting it', async () => {
    await store.write(CUSTOMER, snap(1));
    writeFileSync(fileAt('clinic1/appointments/appt-1.json'), '{"truncated');

    await expect(store.readCurrent(CUSTOMER, 'appt-1')).rejects.toBeInstanceOf(CorruptSnapshotError);
    await expect(store.write(CUSTOMER, snap(2))).rejects.toBeInstanceOf(CorruptSnapshotError);
  });

  it('ends with the highest version current when store instances (as separate processes would) race', async () => {
    const stores = [store, ...range(1, 5).map(() => new FileSnapshotStore(root))];
    const watcher = watchCurrentVersions(store);

    // Every instance writes every version (as retries and late duplicates would), each in its own order.
    await Promise.all(stores.flatMap((s) => shuffled(range(1, 40)).map((v) => s.write(CUSTOMER, snap(v)))));
    const seen = await watcher.stop();

    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(40));
    await expect(stores[1]?.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 40));
    // Current never went backwards, not even briefly.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(claimFiles()).toEqual([]);
    expect(tempFiles()).toEqual([]);
  });

  it('ends with the highest version current when real processes race, and current never goes backwards', async () => {
    // Each child starts writing at the same instant, through several store instances at once.
    const script = `
      const { FileSnapshotStore } = require(${JSON.stringify(path.join(projectRoot, 'src/activities/snapshots/fileStore.ts'))});
      const [root, startAt, versionsJson] = process.argv.slice(1);
      const stores = [1, 2, 3].map(() => new FileSnapshotStore(root));
      const versions = JSON.parse(versionsJson);
      const write = (version, i) => stores[i % stores.length].write('clinic1', {
        schemaVersion: 1, appointmentId: 'appt-1', version, status: 'BOOKED',
        writtenAt: '2026-01-01T00:00:00.000Z', state: { version },
      });
      setTimeout(() => {
        Promise.all(versions.map(write)).then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
      }, Math.max(0, Number(startAt) - Date.now()));
    `;
    const startAt = Date.now() + 2_000;
    const run = (versions: number[]) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--require', 'tsx/cjs', '-e', script, root, String(startAt), JSON.stringify(versions)],
          { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] },
        );
        child.on('exit', resolve);
      });
    const watcher = watchCurrentVersions(store);

    const exitCodes = await Promise.all(range(1, 4).map(() => run(shuffled(range(1, 60)))));
    const seen = await watcher.stop();

    expect(exitCodes).toEqual([0, 0, 0, 0]);
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toMatchObject({ version: 60 });
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 60));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(claimFiles()).toEqual([]);
  }, 30_000);

  it('waits while another process holds the claim, then answers stale if that process moved current past it', async () => {
    await store.write(CUSTOMER, snap(1));
    const claim = plantClaim('appt-1', 1, {
      pid: process.ppid,
      hostname: hostname(),
      processToken: 'x',
      createdAt: Date.now(),
    });

    const waiting = store.write(CUSTOMER, snap(2));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(1));
    // The claim holder replaces current with version 3, then releases its claim.
    writeFileSync(fileAt(objectKey.current(CUSTOMER, 'appt-1')), JSON.stringify(snap(3)));
    rmSync(claim);

    await expect(waiting).resolves.toBe('stale');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(3));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2]);
  });

  it('takes over a claim left by a writer process that died', async () => {
    await store.write(CUSTOMER, snap(1));
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const claim = plantClaim('appt-1', 1, {
      pid: dead,
      hostname: hostname(),
      processToken: 'x',
      createdAt: Date.now(),
    });

    await expect(store.write(CUSTOMER, snap(2))).resolves.toBe('written');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(2));
    expect(existsSync(claim)).toBe(false);
  });

  it('takes over a claim older than staleClaimMs even if its process seems alive', async () => {
    const patient = new FileSnapshotStore(root, { staleClaimMs: 1_000 });
    plantClaim('appt-1', 'none', {
      pid: process.ppid,
      hostname: hostname(),
      processToken: 'x',
      createdAt: Date.now() - 5_000,
    });

    await expect(patient.write(CUSTOMER, snap(1))).resolves.toBe('written');
  });

  it('waits for a live claim and gives up with a retryable busy error, leaving current untouched', async () => {
    await store.write(CUSTOMER, snap(1));
    const impatient = new FileSnapshotStore(root, { busyTimeoutMs: 200 });
    const claim = plantClaim('appt-1', 1, {
      pid: process.ppid,
      hostname: hostname(),
      processToken: 'x',
      createdAt: Date.now(),
    });

    await expect(impatient.write(CUSTOMER, snap(2))).rejects.toBeInstanceOf(SnapshotStoreBusyError);
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(1));
    // History is recorded before the swap, so the retry only has the swap left to do.
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2]);

    rmSync(claim);
    await expect(impatient.write(CUSTOMER, snap(2))).resolves.toBe('written');
  });
});

describe('writeSnapshot activity', () => {
  function recordingLogger() {
    const lines: unknown[] = [];
    const log = (obj: unknown, msg?: string) => {
      lines.push({ obj, msg });
    };
    return { lines, logger: { info: log, warn: log } };
  }

  it('writes through the store and logs ids, version and outcome but never the state', async () => {
    const { lines, logger } = recordingLogger();
    const { writeSnapshot } = createSnapshotActivities({ store, customerCode: CUSTOMER, logger });

    await expect(writeSnapshot(snap(2))).resolves.toBe('written');
    await expect(writeSnapshot(snap(1))).resolves.toBe('stale');

    expect(lines).toEqual([
      {
        obj: { customerCode: CUSTOMER, appointmentId: 'appt-1', version: 2, outcome: 'written' },
        msg: 'snapshot write',
      },
      {
        obj: { customerCode: CUSTOMER, appointmentId: 'appt-1', version: 1, outcome: 'stale' },
        msg: 'snapshot write',
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('Ada');
  });

  it('fails non-retryably on a version conflict, without logging the state', async () => {
    const { lines, logger } = recordingLogger();
    const { writeSnapshot } = createSnapshotActivities({ store, customerCode: CUSTOMER, logger });
    await writeSnapshot(snap(1));

    const failure = await writeSnapshot(snap(1, { status: 'CANCELED' })).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: SNAPSHOT_FAILURE_TYPES.conflict, nonRetryable: true });
    expect(JSON.stringify(lines)).not.toContain('Ada');
  });

  it('fails non-retryably on an invalid snapshot', async () => {
    const { logger } = recordingLogger();
    const { writeSnapshot } = createSnapshotActivities({ store, customerCode: CUSTOMER, logger });

    await expect(writeSnapshot(snap(-1))).rejects.toMatchObject({
      type: SNAPSHOT_FAILURE_TYPES.invalid,
      nonRetryable: true,
    });
  });

  it('rethrows storage errors as they are so Temporal retries them', async () => {
    const { logger } = recordingLogger();
    const boom = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    const failing = {
      write: () => Promise.reject(boom),
      readCurrent: () => Promise.resolve(undefined),
      listHistory: () => Promise.resolve([]),
      readVersion: () => Promise.resolve(undefined),
    };
    const { writeSnapshot } = createSnapshotActivities({ store: failing, customerCode: CUSTOMER, logger });

    await expect(writeSnapshot(snap(1))).rejects.toBe(boom);
  });
});
