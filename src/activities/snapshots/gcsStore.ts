/**
 * Google Cloud Storage `SnapshotStore` (used when `GCS_BUCKET` is set): the keys of `port.ts` are object
 * names in one bucket, each object holds the snapshot's stored JSON (`serializeSnapshot`), with
 * `contentType: application/json` and custom metadata `appointmentId`, `status`, `version` and
 * `schemaVersion` for operators (`gcloud storage objects describe`). The content is the source of truth.
 *
 * Never backwards, with generation preconditions instead of locks:
 * - history: uploaded with `ifGenerationMatch: 0` (create-only). A 412 means the version exists: identical
 *   content is an idempotent retry, different content a `SnapshotConflictError`.
 * - current: read the object's generation `g` and its version (content pinned to `g`); if the new version
 *   is not greater, `stale`; else upload with `ifGenerationMatch: g` (0 when absent). A 412 means another
 *   writer got in between: read again, a bounded number of times.
 * Uploads are single-request (`resumable: false`): resumable uploads do not carry the precondition to the
 * final request everywhere (fake-gcs-server ignores it), and snapshots are small.
 *
 * Errors name keys and ids, never contents. Transport errors (5xx, connection refused) are thrown as they
 * are for the activity's retry; the client library's own retries are safe because every upload is
 * conditional.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bucket, File, SaveOptions, Storage } from '@google-cloud/storage';
import { KeyedSnapshotStore } from './keyedStore';
import {
  type AppointmentSnapshot,
  type SnapshotWriteOutcome,
  checkExistingHistory,
  parseStoredSnapshot,
  prepareSnapshotWrite,
} from './port';

export interface GcsSnapshotStoreOptions {
  bucket: string;
  /** CMEK: Cloud KMS key (`projects/…/locations/…/keyRings/…/cryptoKeys/…`) that encrypts every object written. */
  kmsKeyName?: string;
  /** Read-compare-write rounds on the current object before giving up with a retryable error. Default 16. */
  maxCurrentAttempts?: number;
  /** Objects per listing page (GCS caps it at 1,000). */
  listPageSize?: number;
}

/** The current object kept changing under us for `maxCurrentAttempts` rounds. Retryable. */
export class SnapshotStoreContentionError extends Error {
  override readonly name = 'SnapshotStoreContentionError';
}

const CONTENT_TYPE = 'application/json';

/** What the write loop needs of the current object: its generation and the version it holds. */
type CurrentObject = { generation: number; version: number } | 'absent' | 'moved';

export class GcsSnapshotStore extends KeyedSnapshotStore {
  readonly bucketName: string;
  readonly kmsKeyName: string | undefined;
  private readonly bucket: Bucket;
  private readonly maxCurrentAttempts: number;
  private readonly listPageSize: number;

  constructor(storage: Storage, options: GcsSnapshotStoreOptions) {
    super();
    this.bucketName = options.bucket;
    this.kmsKeyName = options.kmsKeyName || undefined;
    this.bucket = storage.bucket(options.bucket);
    this.maxCurrentAttempts = Math.max(1, options.maxCurrentAttempts ?? 16);
    this.listPageSize = Math.min(1_000, Math.max(1, options.listPageSize ?? 1_000));
  }

  async write(customerCode: string, snapshot: AppointmentSnapshot): Promise<SnapshotWriteOutcome> {
    const { text, currentKey, historyKey } = prepareSnapshotWrite(customerCode, snapshot);
    await this.createHistory(historyKey, text, snapshot);
    return this.replaceCurrentIfNewer(currentKey, text, snapshot);
  }

  // -------------------------------------------------------------------------------------------

  private async createHistory(key: string, text: string, snapshot: AppointmentSnapshot): Promise<void> {
    const file = this.bucket.file(key, { kmsKeyName: this.kmsKeyName });
    // Twice at most: the second round only runs if the object vanished between the 412 and our read.
    for (let round = 0; round < 2; round++) {
      try {
        await file.save(text, this.uploadOptions(snapshot, 0));
        return;
      } catch (error) {
        if (statusOf(error) !== 412) throw error;
      }
      const existing = await this.download(this.bucket.file(key));
      if (existing === undefined) continue;
      checkExistingHistory(existing, text, snapshot);
      return;
    }
    throw new SnapshotStoreContentionError(`history object ${key} was deleted while being written`);
  }

  private async replaceCurrentIfNewer(
    key: string,
    text: string,
    snapshot: AppointmentSnapshot,
  ): Promise<SnapshotWriteOutcome> {
    let delayMs = 5;
    for (let attempt = 1; ; attempt++) {
      const current = await this.readCurrentObject(key, snapshot.appointmentId);
      if (current !== 'moved') {
        if (current !== 'absent' && snapshot.version <= current.version) return 'stale';
        const generation = current === 'absent' ? 0 : current.generation;
        try {
          // A fresh handle per attempt: a File keeps state from its last request.
          await this.bucket
            .file(key, { kmsKeyName: this.kmsKeyName })
            .save(text, this.uploadOptions(snapshot, generation));
          return 'written';
        } catch (error) {
          if (statusOf(error) !== 412) throw error;
        }
      }
      if (attempt >= this.maxCurrentAttempts) {
        throw new SnapshotStoreContentionError(
          `current object ${key} changed during each of ${attempt} compare-and-swap attempts`,
        );
      }
      // Jitter so racing writers (several workers) stop colliding in lockstep.
      await sleep(delayMs / 2 + Math.random() * delayMs);
      delayMs = Math.min(delayMs * 2, 200);
    }
  }

  /** The current object's generation and version; `moved` if it was replaced between the two reads. */
  private async readCurrentObject(key: string, appointmentId: string): Promise<CurrentObject> {
    let generation: number;
    try {
      const [metadata] = await this.bucket.file(key).getMetadata();
      generation = Number(metadata.generation);
    } catch (error) {
      if (statusOf(error) === 404) return 'absent';
      throw error;
    }
    if (!Number.isSafeInteger(generation) || generation <= 0) {
      throw new Error(`object ${key} has no usable generation`);
    }
    // Pinned to the generation just read, so the version compared is the one the precondition guards.
    const text = await this.download(this.bucket.file(key, { generation }));
    if (text === undefined) return 'moved';
    return { generation, version: parseStoredSnapshot(text, key, { appointmentId }).version };
  }

  private uploadOptions(snapshot: AppointmentSnapshot, ifGenerationMatch: number): SaveOptions {
    return {
      resumable: false,
      preconditionOpts: { ifGenerationMatch },
      metadata: {
        contentType: CONTENT_TYPE,
        // Patient data: no shared cache may keep a copy.
        cacheControl: 'no-store',
        metadata: {
          appointmentId: snapshot.appointmentId,
          status: snapshot.status,
          version: String(snapshot.version),
          schemaVersion: String(snapshot.schemaVersion),
        },
      },
    };
  }

  /** The object's text, or `undefined` if it does not exist (or not at the pinned generation). */
  private async download(file: File): Promise<string | undefined> {
    try {
      const [contents] = await file.download();
      return contents.toString('utf8');
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  protected readText(key: string): Promise<string | undefined> {
    return this.download(this.bucket.file(key));
  }

  /** Names of the objects under `prefix`, relative to it, one listing page at a time (memory stays bounded). */
  protected async *namesUnder(prefix: string): AsyncIterable<string> {
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.bucket.getFiles({
        prefix,
        autoPaginate: false,
        maxResults: this.listPageSize,
        pageToken,
        fields: 'items(name),nextPageToken',
      });
      for (const file of files) yield file.name.slice(prefix.length);
      // `null` after the last page, despite the library's type.
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
  }
}

/** HTTP status of a client-library error (`ApiError.code`), if any. */
function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return undefined;
}
