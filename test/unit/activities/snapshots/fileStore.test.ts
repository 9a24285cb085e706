/**
 * FileSnapshotStore: the snapshot store contract (test/helpers/snapshotStoreContract.ts) on a temp folder,
 * then what only files have: owner-only permissions, ids that must stay inside the store root, temp and
 * claim files, and writers in other store instances and processes.
 */
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
import {
  FileSnapshotStore,
  SnapshotStoreBusyError,
  fileSnapshotRoot,
} from '../../../../src/activities/snapshots/fileStore';
import { encodeAppointmentId, objectKey } from '../../../../src/activities/snapshots/port';
import {
  CUSTOMER,
  describeSnapshotStoreContract,
  range,
  shuffled,
  snap,
  watchCurrentVersions,
} from '../../../helpers/snapshotStoreContract';

const projectRoot = path.resolve(__dirname, '../../../..');

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

describeSnapshotStoreContract('FileSnapshotStore', () => ({
  store,
  openPeer: () => new FileSnapshotStore(root),
  allKeys: async () =>
    existsSync(root)
      ? allFiles(root)
          .map((file) => file.split(path.sep).join('/'))
          .sort()
      : [],
  holdsAnythingFor: async (customerCode) => existsSync(path.join(root, customerCode)),
  readRaw: async (key) => readFileSync(fileAt(key), 'utf8'),
  writeRaw: async (key, text) => {
    mkdirSync(path.dirname(fileAt(key)), { recursive: true });
    writeFileSync(fileAt(key), text);
  },
  revision: async (key) => {
    // The store replaces a file by renaming a new one over it: a rewrite shows as another inode.
    const { ino, mtimeNs } = statSync(fileAt(key), { bigint: true });
    return `${ino}:${mtimeNs}`;
  },
}));

describe('FileSnapshotStore', () => {
  it('puts the filesystem store under <DATA_DIR>/snapshots', () => {
    expect(fileSnapshotRoot('/data')).toBe(path.join('/data', 'snapshots'));
  });

  it('keeps snapshot files private to the owner and leaves no temp or claim files behind', async () => {
    await store.write(CUSTOMER, snap(1));
    await store.write(CUSTOMER, snap(2));

    expect(statSync(fileAt('clinic1/appointments/appt-1.json')).mode & 0o077).toBe(0);
    expect(statSync(fileAt('clinic1/history/appt-1/0000000002.json')).mode & 0o077).toBe(0);
    expect(tempFiles()).toEqual([]);
    expect(claimFiles()).toEqual([]);
  });

  it.each(['../../../x', 'a/b', '..', '.', '../../../../../../etc/passwd', 'a\\..\\..\\b', '/abs'])(
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
