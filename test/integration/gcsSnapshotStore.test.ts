/**
 * The GCS snapshot store against a real fake-gcs-server (the project's pinned emulator) through the real
 * `@google-cloud/storage` client: no mock anywhere. One emulator per file, objects kept in a temp folder
 * so the restart test finds them again; each test writes into its own bucket.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
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
  CorruptSnapshotError,
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
import { exportSnapshots } from '../../src/tools/export';
import { freePort } from '../helpers/ports';
import { sandboxEnv } from '../helpers/config';

const CUSTOMER = 'clinic1';
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

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

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

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
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

describe('GcsSnapshotStore', () => {
  it('creates the current and the history object on the first write: JSON, content type and metadata', async () => {
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
      expect(JSON.parse(await objectText(key))).toEqual(snap(1));
    }
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(1));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1]);
    await expect(store.readVersion(CUSTOMER, 'appt-1', 1)).resolves.toEqual(snap(1));
  });

  it('replaces the current object with a newer version and keeps every version in history', async () => {
    for (const v of [1, 2, 3]) await expect(store.write(CUSTOMER, snap(v))).resolves.toBe('written');

    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(3));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([1, 2, 3]);
    await expect(store.readVersion(CUSTOMER, 'appt-1', 2)).resolves.toEqual(snap(2));
    const [metadata] = await storage.bucket(bucket).file(objectKey.current(CUSTOMER, 'appt-1')).getMetadata();
    expect(metadata.metadata).toMatchObject({ version: '3', status: 'BOOKED' });
  });

  it('answers stale to a late older write, leaves current untouched and still records its history', async () => {
    await store.write(CUSTOMER, snap(5));
    const currentKey = objectKey.current(CUSTOMER, 'appt-1');
    const generation = await generationOf(currentKey);

    await expect(store.write(CUSTOMER, snap(3))).resolves.toBe('stale');

    expect(await generationOf(currentKey)).toBe(generation);
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(5));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual([3, 5]);
  });

  it('treats a retried identical write as idempotent: stale, and no object rewritten', async () => {
    await store.write(CUSTOMER, snap(1));
    const keys = await allNames();
    const generations = await Promise.all(keys.map(generationOf));

    await expect(store.write(CUSTOMER, snap(1))).resolves.toBe('stale');

    expect(await allNames()).toEqual(keys);
    expect(await Promise.all(keys.map(generationOf))).toEqual(generations);
  });

  it('completes a write whose earlier attempt recorded history but failed before replacing current', async () => {
    await store.write(CUSTOMER, snap(1));
    // What a crash between the two uploads leaves: version 2 in history only.
    await storage
      .bucket(bucket)
      .file(objectKey.history(CUSTOMER, 'appt-1', 2))
      .save(`${JSON.stringify(snap(2), null, 2)}\n`, { resumable: false });

    await expect(store.write(CUSTOMER, snap(2))).resolves.toBe('written');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(2));
  });

  it('refuses a different snapshot under an existing version and leaves both objects as they were', async () => {
    await store.write(CUSTOMER, snap(1));
    const keys = await allNames();
    const generations = await Promise.all(keys.map(generationOf));
    const different = snap(1, { status: 'CANCELED', state: { other: true } });

    const error = await rejectionOf(store.write(CUSTOMER, different));

    expect(error).toBeInstanceOf(SnapshotConflictError);
    expect(String(error)).not.toContain('Ada');
    expect(await Promise.all(keys.map(generationOf))).toEqual(generations);
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(1));
  });

  it('ends with the highest version current and every version in history after racing shuffled writes from several workers, and current never goes backwards', async () => {
    // One client per "worker": the preconditions, not an in-process queue, keep the order.
    const workers = range(1, 4).map(() => new GcsSnapshotStore(client(), { bucket }));
    const versions = shuffled(range(1, 30));
    const seen: number[] = [];
    let writing = true;
    const watcher = (async () => {
      while (writing) {
        const current = await store.readCurrent(CUSTOMER, 'appt-1');
        if (current) seen.push(current.version);
      }
    })();

    const outcomes = await Promise.all(
      versions.map((v, i) => (workers[i % workers.length] as GcsSnapshotStore).write(CUSTOMER, snap(v))),
    );
    writing = false;
    await watcher;

    expect(outcomes).toContain('written');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(30));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 30));
    for (const v of range(1, 30))
      await expect(store.readVersion(CUSTOMER, 'appt-1', v)).resolves.toEqual(snap(v));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('ends with every version present when the same shuffled versions are also retried concurrently', async () => {
    const versions = shuffled([...range(1, 15), ...range(1, 15)]);
    const outcomes = await Promise.all(versions.map((v) => store.write(CUSTOMER, snap(v))));

    expect(outcomes.filter((o) => o === 'written').length).toBeGreaterThanOrEqual(1);
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).resolves.toEqual(snap(15));
    await expect(store.listHistory(CUSTOMER, 'appt-1')).resolves.toEqual(range(1, 15));
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
    expect(await allNames()).toContain('clinic1/appointments/A%2F1.json');
  });

  it('answers undefined and [] for an unknown appointment or version', async () => {
    await store.write(CUSTOMER, snap(1));
    await expect(store.readCurrent(CUSTOMER, 'nope')).resolves.toBeUndefined();
    await expect(store.listHistory(CUSTOMER, 'nope')).resolves.toEqual([]);
    await expect(store.readVersion(CUSTOMER, 'appt-1', 9)).resolves.toBeUndefined();
  });

  it('reports a corrupt current object instead of overwriting it', async () => {
    const currentKey = objectKey.current(CUSTOMER, 'appt-1');
    await storage.bucket(bucket).file(currentKey).save('not json', { resumable: false });

    await expect(store.write(CUSTOMER, snap(1))).rejects.toBeInstanceOf(CorruptSnapshotError);
    expect(await objectText(currentKey)).toBe('not json');
    await expect(store.readCurrent(CUSTOMER, 'appt-1')).rejects.toBeInstanceOf(CorruptSnapshotError);
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

interface RecordedRequest {
  method: string;
  url: URL;
}

interface Hold {
  /** Resolves when a matching request has reached the relay (and is being held). */
  arrived: Promise<void>;
  release: () => void;
}

interface RecordingProxy {
  endpoint: string;
  requests: RecordedRequest[];
  /** Holds the next request matching `match` until `release()`: a way to interleave two writers exactly. */
  holdNext: (match: (request: RecordedRequest) => boolean) => Hold;
  close: () => Promise<void>;
}

/**
 * A plain HTTP relay in front of the emulator that notes each request line (to see what the client sends)
 * and can hold one request back, to put another writer's whole write in between.
 */
async function recordingProxy(target: string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const holds: Array<{
    match: (request: RecordedRequest) => boolean;
    arrive: () => void;
    released: Promise<void>;
  }> = [];
  const targetUrl = new URL(target);
  const server = http.createServer((req, res) => {
    const recorded = { method: req.method ?? '', url: new URL(req.url ?? '/', target) };
    requests.push(recorded);
    const holdIndex = holds.findIndex((h) => h.match(recorded));
    const hold = holdIndex >= 0 ? holds.splice(holdIndex, 1)[0] : undefined;
    hold?.arrive();
    void (hold?.released ?? Promise.resolve()).then(() => forward(req, res));
  });
  const forward = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const upstream = http.request(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: targetUrl.host },
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    holdNext(match) {
      let arrive = (): void => undefined;
      let release = (): void => undefined;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ match, arrive, released });
      return { arrived, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
