/**
 * Filesystem `SnapshotStore` (the default when `GCS_BUCKET` is unset): objects live under
 * `<DATA_DIR>/snapshots/` (`fileSnapshotRoot`), with the keys of `port.ts` mapped to paths.
 *
 * Files: `<root>/<customerCode>/appointments/<id>.json`, `<root>/<customerCode>/history/<id>/<version>.json`,
 * plus two private folders whose names cannot clash with a customer code (they start with a dot):
 * `<root>/.tmp/` (files being written) and `<root>/.claims/` (see below). Everything is created with
 * owner-only permissions: snapshots contain patient data.
 *
 * Every file is first written and fsynced under `.tmp/`, then moved into place, so no reader ever sees a
 * partial file:
 * - history: `link(temp, history)` — an exclusive create like `open(..., 'wx')`, but atomic with the
 *   content, so a crash can never leave a half-written history file that a retry would then mistake for
 *   a conflicting version. `EEXIST` with identical content is an idempotent retry.
 * - current: `rename(temp, current)` — but only as a compare-and-swap on the current version.
 *
 * Concurrency. Within a process, writes for one appointment run one at a time (a promise chain per key).
 * Across processes on one host (two workers sharing `DATA_DIR`), the compare-and-swap is guarded by a
 * *claim* file, the filesystem analogue of GCS's `ifGenerationMatch`:
 *   1. read the current version `c`; if the new version `v <= c` the write is `stale`;
 *   2. exclusively create `.claims/<customerCode>/<id>.<c>.<k>.claim` (k = 0 normally) — at most one
 *      writer may move current *away from version c*;
 *   3. re-read current: if it is no longer `c`, someone else moved it first: release, go back to 1;
 *   4. otherwise rename the new file over current, then delete the claim.
 * Current versions only ever increase, so "current is still c" under the claim proves no other rename can
 * interleave: a late or retried write never replaces a newer version, not even briefly.
 * A writer that finds the claim taken waits (polling with backoff) and starts again at 1.
 * A claim whose writer died (same host and that process is gone, or older than `staleClaimMs`) is never
 * deleted by others — that would race with a second recoverer — instead the next writer escalates to
 * claim `k + 1`; leftovers are deleted by whoever completes the transition. A writer that held its claim
 * for more than half of `staleClaimMs` (a stalled disk, a suspended process) backs off instead of renaming.
 * This is simple and correct on one host; it is not meant for network filesystems shared between hosts.
 */

import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { KeyedSnapshotStore } from './keyedStore';
import {
  type AppointmentSnapshot,
  type SnapshotWriteOutcome,
  checkExistingHistory,
  encodeAppointmentId,
  prepareSnapshotWrite,
} from './port';

export interface FileSnapshotStoreOptions {
  /** A claim older than this is treated as abandoned by a crashed writer. Default 30 s. */
  staleClaimMs?: number;
  /** Give up waiting for another process's claim after this long; the activity retries. Default 20 s. */
  busyTimeoutMs?: number;
}

/** Where the filesystem store keeps its objects: `<DATA_DIR>/snapshots`. */
export function fileSnapshotRoot(dataDir: string): string {
  return path.join(dataDir, 'snapshots');
}

/** Another process kept the appointment's claim for longer than `busyTimeoutMs`. Retryable. */
export class SnapshotStoreBusyError extends Error {
  override readonly name = 'SnapshotStoreBusyError';
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** Distinguishes this process from an earlier one that had the same pid (e.g. pid 1 in a restarted container). */
const PROCESS_TOKEN = randomUUID();
const HOSTNAME = hostname();

const claimOwnerSchema = z.object({
  pid: z.number().int(),
  hostname: z.string(),
  processToken: z.string(),
  createdAt: z.number(),
});
type ClaimOwner = z.infer<typeof claimOwnerSchema>;

type ClaimResult = 'written' | 'retry' | 'busy';

export class FileSnapshotStore extends KeyedSnapshotStore {
  readonly rootDir: string;
  private readonly staleClaimMs: number;
  private readonly busyTimeoutMs: number;
  /** Tail of the queue of writes per current-object key (in this store instance). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(rootDir: string, options: FileSnapshotStoreOptions = {}) {
    super();
    this.rootDir = path.resolve(rootDir);
    this.staleClaimMs = options.staleClaimMs ?? 30_000;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 20_000;
  }

  async write(customerCode: string, snapshot: AppointmentSnapshot): Promise<SnapshotWriteOutcome> {
    const { text, currentKey, historyKey } = prepareSnapshotWrite(customerCode, snapshot);
    const { appointmentId, version } = snapshot;
    return this.oneAtATime(currentKey, async () => {
      await this.createHistory(historyKey, text, snapshot);
      return this.replaceCurrentIfNewer(customerCode, appointmentId, currentKey, text, version);
    });
  }

  // -------------------------------------------------------------------------------------------

  /** Runs `task` after every earlier task queued under `key` has settled. */
  private async oneAtATime<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    }
  }

  private async createHistory(key: string, text: string, snapshot: AppointmentSnapshot): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true, mode: DIR_MODE });
    const temp = await this.writeTemp(text);
    try {
      await link(temp, target);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      checkExistingHistory(await readFile(target, 'utf8'), text, snapshot);
    } finally {
      await rm(temp, { force: true });
    }
  }

  private async replaceCurrentIfNewer(
    customerCode: string,
    appointmentId: string,
    currentKey: string,
    text: string,
    version: number,
  ): Promise<SnapshotWriteOutcome> {
    const target = this.pathOf(currentKey);
    await mkdir(path.dirname(target), { recursive: true, mode: DIR_MODE });
    const claimDir = path.join(this.rootDir, '.claims', customerCode);
    await mkdir(claimDir, { recursive: true, mode: DIR_MODE });
    const claimStem = path.join(claimDir, encodeAppointmentId(appointmentId));

    const deadline = Date.now() + this.busyTimeoutMs;
    let delayMs = 2;
    for (;;) {
      const current = await this.readCurrentVersion(currentKey, appointmentId);
      if (current !== undefined && version <= current) return 'stale';
      const result = await this.swapUnderClaim(claimStem, current, currentKey, appointmentId, target, text);
      if (result === 'written') return 'written';
      if (result === 'busy') {
        if (Date.now() > deadline) {
          throw new SnapshotStoreBusyError(`another writer holds the snapshot claim for ${currentKey}`);
        }
        await sleep(delayMs + Math.random() * delayMs);
        delayMs = Math.min(delayMs * 2, 50);
      }
    }
  }

  /** Steps 2-4 of the protocol for the current version `current` (`undefined`: no current object yet). */
  private async swapUnderClaim(
    claimStem: string,
    current: number | undefined,
    currentKey: string,
    appointmentId: string,
    target: string,
    text: string,
  ): Promise<ClaimResult> {
    const claimPath = (k: number) => `${claimStem}.${current ?? 'none'}.${k}.claim`;
    // Written before claiming so the claim is held only for a read and a rename.
    const temp = await this.writeTemp(text);
    try {
      for (let k = 0; ; k++) {
        const claimedAt = Date.now();
        if (await this.createClaim(claimPath(k), claimedAt)) {
          try {
            const now = await this.readCurrentVersion(currentKey, appointmentId);
            if (now !== current) return 'retry';
            // Held too long: a waiter may already treat the claim as abandoned.
            if (Date.now() - claimedAt > this.staleClaimMs / 2) return 'busy';
            await rename(temp, target);
            // Claims abandoned by crashed writers for the version just replaced are garbage now.
            for (let j = 0; j < k; j++) await rm(claimPath(j), { force: true });
            return 'written';
          } finally {
            await rm(claimPath(k), { force: true });
          }
        }
        const owner = await this.readClaimOwner(claimPath(k));
        if (owner === undefined) return 'retry'; // released meanwhile: current has probably moved on
        if (!this.isAbandoned(owner)) return 'busy';
      }
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Exclusive, atomic creation of a claim file; false if it already exists. */
  private async createClaim(claimPath: string, createdAt: number): Promise<boolean> {
    const owner: ClaimOwner = {
      pid: process.pid,
      hostname: HOSTNAME,
      processToken: PROCESS_TOKEN,
      createdAt,
    };
    const temp = await this.writeTemp(JSON.stringify(owner));
    try {
      await link(temp, claimPath);
      return true;
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** `undefined` when the claim no longer exists. An unreadable claim counts as old as its file. */
  private async readClaimOwner(claimPath: string): Promise<ClaimOwner | undefined> {
    try {
      const parsed = claimOwnerSchema.safeParse(safeJsonParse(await readFile(claimPath, 'utf8')));
      if (parsed.success) return parsed.data;
      const { mtimeMs } = await stat(claimPath);
      return { pid: -1, hostname: '', processToken: '', createdAt: mtimeMs };
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  private isAbandoned(owner: ClaimOwner): boolean {
    if (Date.now() - owner.createdAt > this.staleClaimMs) return true;
    if (owner.hostname !== HOSTNAME) return false;
    if (owner.pid === process.pid) return owner.processToken !== PROCESS_TOKEN;
    return !isProcessAlive(owner.pid);
  }

  private async readCurrentVersion(currentKey: string, appointmentId: string): Promise<number | undefined> {
    return (await this.readSnapshot(currentKey, { appointmentId }))?.version;
  }

  protected async readText(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Names of the entries in the folder of `prefix`, sorted like a GCS listing (so both stores export in one order). */
  protected async namesUnder(prefix: string): Promise<string[]> {
    try {
      return (await readdir(this.pathOf(prefix))).sort();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
  }

  /** Writes `text` to a new fsynced file under `<root>/.tmp/` and returns its path. */
  private async writeTemp(text: string): Promise<string> {
    const dir = path.join(this.rootDir, '.tmp');
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const temp = path.join(dir, `${process.pid}-${randomUUID()}.tmp`);
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    return temp;
  }

  /** Maps an object key (validated, `/`-separated, encoded segments) to a path that must stay inside the root. */
  private pathOf(key: string): string {
    const resolved = path.resolve(this.rootDir, ...key.split('/'));
    const relative = path.relative(this.rootDir, resolved);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new Error(`snapshot key escapes the store root: ${key}`);
    }
    return resolved;
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return errorCode(error) === 'EPERM';
  }
}
