/**
 * The GCS snapshot store against a real fake-gcs-server (the project's pinned emulator) through the real
 * `@google-cloud/storage` client: no mock anywhere. One emulator per file, objects kept in a temp folder
 * so the restart test finds them again; each test writes into its own bucket. The contract every store
 * keeps is test/helpers/snapshotStoreContract.ts; this file adds what only GCS has (the emulator's own
 * behaviour, object metadata, listing pages, CMEK, 412 races, export at scale, a restart).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { Storage } from '@google-cloud/storage';
import { createSnapshotActivities, SNAPSHOT_FAILURE_TYPES } from '../../src/activities/snapshots/activity';
import { FileSnapshotStore } from '../../src/activities/snapshots/fileStore';
import { GcsSnapshotStore, SnapshotStoreContentionError } from '../../src/activities/snapshots/gcsStore';
import { createSnapshotStore } from '../../src/activities/snapshots';
import {
  type AppointmentSnapshot,
  SNAPSHOT_SCHEMA_VERSION,
  SnapshotConflictError,
  objectKey,
  serializeSnapshot,
} from '../../src/activities/snapshots/port';
import { parseConfig } from '../../src/config';
import {
  GCS_EMULATOR,
  createBucket,
  resolveGcsEmulator,
  startGcsEmulator,
  type GcsEmulator,
} from '../../src/temporal/gcsEmulator';
import { exportSnapshots } from '../../src/tools/snapshotExport/exportSnapshots';
import { freePort } from '../helpers/ports';
import { sandboxEnv } from '../helpers/config';
import { type RecordedRequest, type RecordingProxy, recordingProxy } from '../helpers/recordingProxy';
import {
  CUSTOMER,
  describeSnapshotStoreContract,
  range,
  rejectionOf,
  snap,
} from '../helpers/snapshotStoreContract';

const KMS_KEY = 'projects/p/locations/us/keyRings/ring/cryptoKeys/snapshots';

let emulator: GcsEmulator;
let emulatorPort: number;
let emulatorDataDir: string;
let storage: Storage;
let bucket: string;
let store: GcsSnapshotStore;

function client(endpoint = emulator.endpoint): Storage {
  return new Storage({ apiEndpoint: endpoint, projectId: 'test' });
}

beforeAll(async () => {
  emulatorDataDir = mkdtempSync(path.join(tmpdir(), 'gcs-emulator-test-'));
  emulatorPort = await freePort();
  emulator = await startGcsEmulator({ port: emulatorPort, dataDir: emulatorDataDir });
  storage = client();
});

afterAll(async () => {
  await emulator?.stop();
  rmSync(emulatorDataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  bucket = `snapshots-${randomUUID().slice(0, 8)}`;
  await createBucket(emulator.endpoint, bucket);
  store = new GcsSnapshotStore(storage, { bucket });
});

async function objectText(key: string): Promise<string> {
  const [contents] = await storage.bucket(bucket).file(key).download();
  return contents.toString('utf8');
}

async function generationOf(key: string): Promise<string> {
  const [metadata] = await storage.bucket(bucket).file(key).getMetadata();
  return String(metadata.generation);
}

async function allNames(): Promise<string[]> {
  const [files] = await storage.bucket(bucket).getFiles();
  return files.map((f) => f.name).sort();
}

const statusOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;

/** Bounded-concurrency map, so a thousand writes do not open a thousand sockets at once. */
async function inBatches<T>(items: T[], size: number, task: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(task));
}

describe('fake-gcs-server (the pinned emulator)', () => {
  it('answers 412 to a create-only upload of an existing object and to a stale generation', async () => {
    const file = storage.bucket(bucket).file('probe.json');
    await file.save('{"a":1}', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const generation = Number(await generationOf('probe.json'));

    const again = file.save('{"a":2}', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    expect(statusOf(await rejectionOf(again))).toBe(412);

    await file.save('{"a":3}', { resumable: false, preconditionOpts: { ifGenerationMatch: generation } });
    const stale = file.save('{"a":4}', {
      resumable: false,
      preconditionOpts: { ifGenerationMatch: generation },
    });
    expect(statusOf(await rejectionOf(stale))).toBe(412);
    expect(await objectText('probe.json')).toBe('{"a":3}');
  });

  it('lets exactly one of many racing uploads with the same generation precondition win', async () => {
    const file = storage.bucket(bucket).file('race.json');
    const results = await Promise.allSettled(
      range(1, 20).map((i) =>
        file.save(`{"i":${i}}`, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(losers.map((r) => statusOf(r.reason))).toEqual(losers.map(() => 412));
  });

  it('refuses a GCS_EMULATOR_PATH that is not an executable file', () => {
    const saved = process.env.GCS_EMULATOR_PATH;
    process.env.GCS_EMULATOR_PATH = path.join(emulatorDataDir, 'no-such-binary');
    try {
      expect(() => resolveGcsEmulator({ install: false })).toThrow(
        /GCS_EMULATOR_PATH=.* is not an executable/,
      );
    } finally {
      process.env.GCS_EMULATOR_PATH = saved;
    }
    expect(GCS_EMULATOR.version).toBe('1.54.0');
  });
});

describeSnapshotStoreContract('GcsSnapshotStore', () => ({
  store,
  openPeer: () => new GcsSnapshotStore(client(), { bucket }),
  allKeys: allNames,
  holdsAnythingFor: async (customerCode) => {
    const [files] = await storage.bucket(bucket).getFiles({ prefix: `${customerCode}/` });
    return files.length > 0;
  },
  readRaw: objectText,
  writeRaw: async (key, text) => {
    await storage.bucket(bucket).file(key).save(text, { resumable: false });
  },
  revision: generationOf,
}));

describe('GcsSnapshotStore', () => {
  it('labels every object as JSON with the metadata operators read, kept up to date on the current object', async () => {
    await expect(store.write(CUSTOMER, snap(1))).resolves.toBe('written');

    expect(await allNames()).toEqual([
      'clinic1/appointments/appt-1.json',
      'clinic1/history/appt-1/0000000001.json',
    ]);
    for (const key of await allNames()) {
      const [metadata] = await storage.bucket(bucket).file(key).getMetadata();
      expect(metadata.contentType).toBe('application/json');
      expect(metadata.metadata).toEqual({
        appointmentId: 'appt-1',
        status: 'BOOKED',
        version: '1',
        schemaVersion: String(SNAPSHOT_SCHEMA_VERSION),
      });
    }

    for (const v of [2, 3]) await expect(store.write(CUSTOMER, snap(v))).resolves.toBe('written');
    const [metadata] = await storage.bucket(bucket).file(objectKey.current(CUSTOMER, 'appt-1')).getMetadata();
    expect(metadata.metadata).toMatchObject({ version: '3', status: 'BOOKED' });
  });

  it('lists history and appointments across listing pages', async () => {
    const paged = new GcsSnapshotStore(storage, { bucket, listPageSize: 3 });
    await inBatches(range(1, 10), 5, (v) => paged.write(CUSTOMER, snap(v)));
    await inBatches(range(1, 8), 4, (i) => paged.write(CUSTOMER, snap(1, { appointmentId: `p-${i}` })));
    // A foreign object in the folder is not an appointment.
    await storage.bucket(bucket).file(`${CUSTOMER}/appointments/notes.txt`).save('x', { resumable: false });

    await expect(paged.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 10));
    const ids: string[] = [];
    for await (const id of paged.listAppointments(CUSTOMER)) ids.push(id);
    expect(ids).toEqual(['appt-1', ...range(1, 8).map((i) => `p-${i}`)]);
  });

  it('passes the CMEK key name with every upload (the emulator accepts it; real GCS encrypts with it)', async () => {
    const recorder = await recordingProxy(emulator.endpoint);
    try {
      const cmek = new GcsSnapshotStore(client(recorder.endpoint), { bucket, kmsKeyName: KMS_KEY });
      await expect(cmek.write(CUSTOMER, snap(1))).resolves.toBe('written');
      await expect(cmek.write(CUSTOMER, snap(2))).resolves.toBe('written');

      const uploads = recorder.requests.filter(
        (r) => r.method === 'POST' && r.url.pathname.startsWith('/upload/'),
      );
      expect(uploads).toHaveLength(4);
      for (const upload of uploads) {
        expect(upload.url.searchParams.get('kmsKeyName')).toBe(KMS_KEY);
        expect(upload.url.searchParams.get('ifGenerationMatch')).toMatch(/^\d+$/);
      }
      // History uploads are create-only; the second current upload names the generation it replaces.
      expect(uploads.map((u) => u.url.searchParams.get('ifGenerationMatch') === '0')).toEqual([
        true,
        true,
        true,
        false,
      ]);
      await expect(cmek.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(2));
    } finally {
      await recorder.close();
    }
  });

  describe('when another writer replaces current between our read and our upload', () => {
    const isCurrentUpload = (r: RecordedRequest): boolean =>
      r.method === 'POST' &&
      r.url.pathname.startsWith('/upload/') &&
      r.url.searchParams.get('name') === objectKey.current(CUSTOMER, 'appt-1');

    async function interleave(
      ours: AppointmentSnapshot,
      theirs: AppointmentSnapshot,
      options: { maxCurrentAttempts?: number } = {},
    ): Promise<{ outcome: Promise<unknown>; proxy: RecordingProxy }> {
      const proxy = await recordingProxy(emulator.endpoint);
      const slow = new GcsSnapshotStore(client(proxy.endpoint), { bucket, ...options });
      const hold = proxy.holdNext(isCurrentUpload);
      const outcome = slow.write(CUSTOMER, ours);
      outcome.catch(() => undefined);
      await hold.arrived; // we read current and sent our conditional upload; it waits in the relay
      await expect(store.write(CUSTOMER, theirs)).resolves.toBe('written');
      hold.release();
      return { outcome, proxy };
    }

    it('gets 412, reads again and answers stale when the other version is newer: current never goes back', async () => {
      await store.write(CUSTOMER, snap(1));
      const { outcome, proxy } = await interleave(snap(2), snap(3));
      try {
        await expect(outcome).resolves.toBe('stale');
        await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(3));
        await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2, 3]);
        expect(proxy.requests.filter(isCurrentUpload)).toHaveLength(1);
      } finally {
        await proxy.close();
      }
    });

    it('gets 412, reads again and replaces current when its own version is still the newest', async () => {
      await store.write(CUSTOMER, snap(1));
      const { outcome, proxy } = await interleave(snap(5), snap(3));
      try {
        await expect(outcome).resolves.toBe('written');
        await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(5));
        const uploads = proxy.requests.filter(isCurrentUpload);
        expect(uploads).toHaveLength(2);
        expect(uploads[0]?.url.searchParams.get('ifGenerationMatch')).not.toBe(
          uploads[1]?.url.searchParams.get('ifGenerationMatch'),
        );
      } finally {
        await proxy.close();
      }
    });

    it('gives up with a retryable contention error after maxCurrentAttempts, leaving the newer current', async () => {
      await store.write(CUSTOMER, snap(1));
      const { outcome, proxy } = await interleave(snap(5), snap(3), { maxCurrentAttempts: 1 });
      try {
        await expect(outcome).rejects.toBeInstanceOf(SnapshotStoreContentionError);
        await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(3));
        // A later retry (the activity's) completes it.
        await expect(store.write(CUSTOMER, snap(5))).resolves.toBe('written');
      } finally {
        await proxy.close();
      }
    });
  });

  it('fails non-retryably through the writeSnapshot activity on a conflict, retryably when GCS is unreachable', async () => {
    const warnings: unknown[] = [];
    const logger = { info: () => undefined, warn: (fields: unknown) => void warnings.push(fields) };
    const { writeSnapshot } = createSnapshotActivities({ store, customerCode: CUSTOMER, logger });
    await writeSnapshot(snap(1));

    const conflict = await rejectionOf(writeSnapshot(snap(1, { state: { other: true } })));
    expect(conflict).toBeInstanceOf(ApplicationFailure);
    expect((conflict as ApplicationFailure).type).toBe(SNAPSHOT_FAILURE_TYPES.conflict);
    expect((conflict as ApplicationFailure).nonRetryable).toBe(true);

    const unreachable = new GcsSnapshotStore(client(`http://127.0.0.1:${await freePort()}`), { bucket });
    const down = createSnapshotActivities({ store: unreachable, customerCode: CUSTOMER, logger });
    const error = await rejectionOf(down.writeSnapshot(snap(2)));
    expect(error).not.toBeInstanceOf(ApplicationFailure);
    expect(JSON.stringify(warnings)).not.toContain('Ada');
  });

  it('is what createSnapshotStore builds when GCS_BUCKET is set (no credentials needed against the emulator)', async () => {
    const gcs = createSnapshotStore(
      parseConfig(sandboxEnv({ GCS_BUCKET: bucket, GCS_API_ENDPOINT: emulator.endpoint })),
    );
    expect(gcs).toBeInstanceOf(GcsSnapshotStore);
    await expect(gcs.write(CUSTOMER, snap(1))).resolves.toBe('written');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(1));

    const dataDir = mkdtempSync(path.join(tmpdir(), 'snapshot-factory-'));
    try {
      expect(createSnapshotStore(parseConfig(sandboxEnv({ DATA_DIR: dataDir })))).toBeInstanceOf(
        FileSnapshotStore,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exports more than 1,000 appointments (more than one GCS listing page) within a start range', async () => {
    const starts = (i: number): string => new Date(Date.UTC(2026, 11, 1 + (i % 40), 15)).toISOString();
    const ids = range(0, 1_004).map((i) => `bulk-${String(i).padStart(4, '0')}`);
    // Stored as the store stores them, one upload each (the write path is covered above).
    await inBatches(ids, 50, (id) => {
      const snapshot = snap(1, {
        appointmentId: id,
        state: { details: { start: starts(Number(id.slice(5))) } },
      });
      return storage
        .bucket(bucket)
        .file(objectKey.current(CUSTOMER, id))
        .save(serializeSnapshot(snapshot), { resumable: false });
    });

    let listed = 0;
    for await (const _ of store.listAppointments(CUSTOMER)) listed++;
    expect(listed).toBe(1_005);

    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const summary = await exportSnapshots(
      store,
      CUSTOMER,
      { from: '2026-12-01', to: '2026-12-31', format: 'jsonl', history: false },
      out,
    );
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    // Days 1..31 of each 40-day cycle fall in December.
    const expected = ids.filter((_, i) => i % 40 < 31);
    expect(summary).toMatchObject({ appointments: expected.length, rows: expected.length, unreadable: [] });
    expect(lines.map((line) => (JSON.parse(line) as AppointmentSnapshot).appointmentId)).toEqual(expected);
  });
});

// Last in the file: it stops and restarts the file's emulator.
describe('GcsSnapshotStore across an emulator restart', () => {
  it('fails while the emulator is down, then a retry after its restart succeeds and nothing is lost', async () => {
    await store.write(CUSTOMER, snap(1));
    await store.write(CUSTOMER, snap(2));
    await emulator.stop();

    const failure = await rejectionOf(store.write(CUSTOMER, snap(3)));
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(SnapshotConflictError);

    emulator = await startGcsEmulator({ port: emulatorPort, dataDir: emulatorDataDir });
    await expect(store.write(CUSTOMER, snap(3))).resolves.toBe('written');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(3));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2, 3]);
    for (const v of [1, 2, 3])
      await expect(store.readVersion(CUSTOMER, 'appt-1', v)).resolves.toEqual(snap(v));
  });
});
