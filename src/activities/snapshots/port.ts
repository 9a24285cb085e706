/**
 * Snapshot port (ARCHITECTURE.md §8): after every state change the appointment workflow writes a
 * JSON snapshot of its state through a `SnapshotStore`. Two adapters implement this contract: files
 * under `DATA_DIR` (`fileStore.ts`) and GCS objects (`gcsStore.ts`); `index.ts` picks one from config.
 *
 * Contract shared by every adapter:
 * - Layout (object keys relative to the store root / bucket):
 *   `<customerCode>/appointments/<id>.json` is the current snapshot,
 *   `<customerCode>/history/<id>/<version>.json` one immutable object per version
 *   (see `objectKey`; `<id>` is `encodeAppointmentId(appointment_id)`, `<version>` is zero-padded).
 * - `write` first records the history object with create-only semantics (GCS: `ifGenerationMatch: 0`);
 *   if that version already exists with identical content it is an idempotent retry, with different
 *   content it is a `SnapshotConflictError` (never overwritten).
 * - Then it replaces the current object only when the new version is strictly greater than the stored
 *   one, as a compare-and-swap (GCS: `ifGenerationMatch: <generation read>`, retried on 412). A retried
 *   or late write never replaces a newer version, not even briefly: it resolves `'stale'`.
 * - Readers see either the old or the new current object, never a partial one.
 */

import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

export const SNAPSHOT_SCHEMA_VERSION = 1;

export interface AppointmentSnapshot {
  /** `SNAPSHOT_SCHEMA_VERSION` at the time of writing. */
  schemaVersion: number;
  appointmentId: string;
  /** Strictly increasing per appointment, set by the workflow; a non-negative safe integer. */
  version: number;
  /** e.g. BOOKED, CONFIRMED, CANCELED... */
  status: string;
  /** ISO 8601 instant. */
  writtenAt: string;
  /** JSON-serialisable workflow state + message log. Contains patient data: never log it. */
  state: unknown;
}

/** `stale`: a newer or equal version is already current (the history object is still recorded if absent). */
export type SnapshotWriteOutcome = 'written' | 'stale';

export interface SnapshotStore {
  write(customerCode: string, snapshot: AppointmentSnapshot): Promise<SnapshotWriteOutcome>;
  readCurrent(customerCode: string, appointmentId: string): Promise<AppointmentSnapshot | undefined>;
  /** Versions with a history object, ascending. */
  listHistory(customerCode: string, appointmentId: string): Promise<number[]>;
  readVersion(
    customerCode: string,
    appointmentId: string,
    version: number,
  ): Promise<AppointmentSnapshot | undefined>;
}

/**
 * A store that can also enumerate appointments (both adapters; `npm run export` needs it, the workflow's
 * activity does not, so `SnapshotStore` stays as small as the activity needs).
 */
export interface ListableSnapshotStore extends SnapshotStore {
  /**
   * Ids of the appointments that have a current object, streamed (a customer can have far more than one
   * listing page), in key order. Objects whose names are not canonical keys are skipped.
   */
  listAppointments(customerCode: string): AsyncIterable<string>;
}

// ---------------------------------------------------------------------------------------------
// Errors (shared by adapters so the activity can classify them)

/** The snapshot, customer code, appointment id or version can never be stored as given. Not retryable. */
export class InvalidSnapshotError extends Error {
  override readonly name = 'InvalidSnapshotError';
}

/** The same version already exists with different content. Not retryable: retrying cannot change it. */
export class SnapshotConflictError extends Error {
  override readonly name = 'SnapshotConflictError';
  constructor(
    readonly appointmentId: string,
    readonly version: number,
  ) {
    super(
      `snapshot version ${version} of appointment ${JSON.stringify(appointmentId)} already exists with different content`,
    );
  }
}

/** A stored object is not a valid snapshot (hand-edited, truncated by a foreign tool...). */
export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError';
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`stored snapshot ${key} is not a valid snapshot`, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Keys

/** Same rule as the CUSTOMER_CODE env var: it names storage folders. */
const CUSTOMER_CODE_PATTERN = /^[a-z0-9]+$/;

/**
 * Longest encoded appointment id accepted. Keeps every file name derived from it (`<id>.json`, lock and
 * temp names) under the usual 255-byte file-name limit and far below GCS's 1,024-byte object names.
 */
export const MAX_ENCODED_APPOINTMENT_ID_LENGTH = 200;

/** History file names are zero-padded so a lexicographic listing (GCS, `ls`) is also numeric order. */
export const HISTORY_VERSION_DIGITS = 10;

/**
 * Encodes an EHR appointment id as one safe path segment / object-name segment: percent-encoding of the
 * UTF-8 bytes of everything except `A-Z a-z 0-9 - _`. So `/`, `\`, `.` (hence `.` and `..`), `%`,
 * whitespace and control characters can never act as path syntax, and the encoding is reversible and
 * injective (distinct ids never share a key). Note: ids differing only in letter case collide on
 * case-insensitive filesystems (macOS/Windows defaults); Linux filesystems and GCS are case-sensitive.
 */
export function encodeAppointmentId(appointmentId: string): string {
  if (appointmentId.length === 0) throw new InvalidSnapshotError('appointment id is empty');
  let encoded: string;
  try {
    encoded = encodeURIComponent(appointmentId);
  } catch (error) {
    // Lone UTF-16 surrogates have no UTF-8 encoding.
    throw new InvalidSnapshotError('appointment id is not valid Unicode text', { cause: error });
  }
  encoded = encoded.replace(/[!'()*.~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (encoded.length > MAX_ENCODED_APPOINTMENT_ID_LENGTH) {
    throw new InvalidSnapshotError(
      `appointment id is too long (${encoded.length} encoded characters, at most ${MAX_ENCODED_APPOINTMENT_ID_LENGTH})`,
    );
  }
  return encoded;
}

export function decodeAppointmentId(encoded: string): string {
  return decodeURIComponent(encoded);
}

export function assertCustomerCode(customerCode: string): void {
  if (!CUSTOMER_CODE_PATTERN.test(customerCode)) {
    throw new InvalidSnapshotError('customer code must be lowercase letters and digits only');
  }
}

export function assertSnapshotVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new InvalidSnapshotError(`snapshot version must be a non-negative safe integer, got ${version}`);
  }
}

/** `42` → `0000000042.json` (wider versions keep all their digits). */
export function historyFileName(version: number): string {
  assertSnapshotVersion(version);
  return `${String(version).padStart(HISTORY_VERSION_DIGITS, '0')}.json`;
}

/** Inverse of `historyFileName`; `undefined` for any other name (temp files, foreign files). */
export function parseHistoryFileName(name: string): number | undefined {
  const match = /^(\d+)\.json$/.exec(name);
  if (match === null) return undefined;
  const version = Number(match[1]);
  if (!Number.isSafeInteger(version) || historyFileName(version) !== name) return undefined;
  return version;
}

/**
 * The versions among the names of the objects under `objectKey.historyPrefix` (relative to it),
 * ascending; any other name (temp files, foreign files) is skipped.
 */
export async function historyVersions(names: AsyncIterable<string> | Iterable<string>): Promise<number[]> {
  const versions: number[] = [];
  for await (const name of names) {
    const version = parseHistoryFileName(name);
    if (version !== undefined) versions.push(version);
  }
  return versions.sort((a, b) => a - b);
}

/**
 * The appointment ids among the names of the objects under `objectKey.currentPrefix` (relative to it),
 * in the order given; any other name is skipped.
 */
export async function* appointmentIdsOf(
  names: AsyncIterable<string> | Iterable<string>,
): AsyncIterable<string> {
  for await (const name of names) {
    const appointmentId = parseCurrentObjectName(name);
    if (appointmentId !== undefined) yield appointmentId;
  }
}

/**
 * Inverse of the last segment of `objectKey.current`: `<id>.json` → the appointment id; `undefined` for
 * any other name (temp files, foreign files, non-canonical encodings that no write would produce).
 */
export function parseCurrentObjectName(name: string): string | undefined {
  const match = /^([A-Za-z0-9_%-]+)\.json$/.exec(name);
  if (match === null) return undefined;
  const encoded = match[1] as string;
  try {
    const appointmentId = decodeAppointmentId(encoded);
    return encodeAppointmentId(appointmentId) === encoded ? appointmentId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ids of phone records (a phone conversation's opt-out state, kept when the conversation ends): `~`
 * followed by the phone workflow id. EHR ids never contain `~`, so the two can never collide; phone
 * records live in folders of their own (`phones/`, `phone-history/`) and are never listed as appointments.
 */
export const PHONE_RECORD_ID_PREFIX = '~';

/** `appointments`/`history`, or `phones`/`phone-history` for a phone record, and the id to encode. */
function folderOf(id: string): { current: string; history: string; name: string } {
  return id.startsWith(PHONE_RECORD_ID_PREFIX)
    ? { current: 'phones', history: 'phone-history', name: id.slice(PHONE_RECORD_ID_PREFIX.length) }
    : { current: 'appointments', history: 'history', name: id };
}

/** Object keys (always `/`-separated; the file adapter maps them to paths). Inputs are validated. */
export const objectKey = {
  /** `<customerCode>/appointments/<id>.json` (a phone record: `<customerCode>/phones/<workflow id>.json`) */
  current(customerCode: string, appointmentId: string): string {
    const folder = folderOf(appointmentId);
    if (folder.current !== 'appointments') {
      assertCustomerCode(customerCode);
      return `${customerCode}/${folder.current}/${encodeAppointmentId(folder.name)}.json`;
    }
    return `${objectKey.currentPrefix(customerCode)}${encodeAppointmentId(appointmentId)}.json`;
  },
  /** `<customerCode>/appointments/` — every current object of one customer starts with it. */
  currentPrefix(customerCode: string): string {
    assertCustomerCode(customerCode);
    return `${customerCode}/appointments/`;
  },
  /** `<customerCode>/history/<id>/` — every history object of one appointment starts with it. */
  historyPrefix(customerCode: string, appointmentId: string): string {
    assertCustomerCode(customerCode);
    const folder = folderOf(appointmentId);
    return `${customerCode}/${folder.history}/${encodeAppointmentId(folder.name)}/`;
  },
  /** `<customerCode>/history/<id>/<version, zero-padded>.json` */
  history(customerCode: string, appointmentId: string, version: number): string {
    return `${objectKey.historyPrefix(customerCode, appointmentId)}${historyFileName(version)}`;
  },
};

// ---------------------------------------------------------------------------------------------
// Serialisation

const storedSnapshotSchema = z.object({
  schemaVersion: z.number().int().positive(),
  appointmentId: z.string().min(1),
  version: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  status: z.string().min(1),
  writtenAt: z.iso.datetime({ offset: true }),
  state: z.unknown(),
});

function pick(snapshot: z.infer<typeof storedSnapshotSchema>): AppointmentSnapshot {
  return {
    schemaVersion: snapshot.schemaVersion,
    appointmentId: snapshot.appointmentId,
    version: snapshot.version,
    status: snapshot.status,
    writtenAt: snapshot.writtenAt,
    state: snapshot.state,
  };
}

/**
 * Validates a snapshot about to be written and returns its stored form: only the contract's fields, in a
 * fixed order, JSON with two-space indentation (operators read these files). Throws `InvalidSnapshotError`.
 */
export function serializeSnapshot(snapshot: AppointmentSnapshot): string {
  const parsed = storedSnapshotSchema.safeParse(snapshot);
  if (!parsed.success) {
    // Issue paths and codes only: messages could quote values.
    const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`);
    throw new InvalidSnapshotError(`invalid snapshot (${where.join('; ')})`);
  }
  if (snapshot.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) {
    throw new InvalidSnapshotError(`snapshot schemaVersion must be ${SNAPSHOT_SCHEMA_VERSION}`);
  }
  const stateType = typeof snapshot.state;
  if (stateType === 'undefined' || stateType === 'function' || stateType === 'symbol') {
    throw new InvalidSnapshotError('snapshot state is missing');
  }
  let text: string;
  try {
    text = JSON.stringify(pick(parsed.data), null, 2);
  } catch (error) {
    throw new InvalidSnapshotError('snapshot state is not JSON-serialisable', { cause: error });
  }
  return `${text}\n`;
}

/**
 * What a write stores and where: the stored form (`serializeSnapshot`) and the current and history keys.
 * Validates everything (throws `InvalidSnapshotError`) before an adapter touches storage.
 */
export function prepareSnapshotWrite(
  customerCode: string,
  snapshot: AppointmentSnapshot,
): { text: string; currentKey: string; historyKey: string } {
  const text = serializeSnapshot(snapshot);
  const currentKey = objectKey.current(customerCode, snapshot.appointmentId);
  const historyKey = objectKey.history(customerCode, snapshot.appointmentId, snapshot.version);
  return { text, currentKey, historyKey };
}

/**
 * Parses the object stored under `key`, which must hold the snapshot of `expected.appointmentId` (and, for
 * a history object, of `expected.version`); throws `CorruptSnapshotError` naming only the key. Another id
 * inside also catches two ids that differ only in case on a case-insensitive filesystem.
 */
export function parseStoredSnapshot(
  text: string,
  key: string,
  expected: { appointmentId: string; version?: number },
): AppointmentSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CorruptSnapshotError(key, { cause: error });
  }
  const parsed = storedSnapshotSchema.safeParse(json);
  if (!parsed.success || !('state' in (json as object))) throw new CorruptSnapshotError(key);
  const snapshot = pick(parsed.data);
  if (snapshot.appointmentId !== expected.appointmentId) throw new CorruptSnapshotError(key);
  if (expected.version !== undefined && snapshot.version !== expected.version) {
    throw new CorruptSnapshotError(key);
  }
  return snapshot;
}

/**
 * The rule for a history object that already exists when `text` is written to it: the same snapshot is an
 * idempotent retry (nothing to do), another one a `SnapshotConflictError` (history is never overwritten).
 */
export function checkExistingHistory(
  existing: string,
  text: string,
  snapshot: Pick<AppointmentSnapshot, 'appointmentId' | 'version'>,
): void {
  if (!sameStoredSnapshot(existing, text)) {
    throw new SnapshotConflictError(snapshot.appointmentId, snapshot.version);
  }
}

/** Whether two stored forms hold the same snapshot (JSON value equality; key order and spacing ignored). */
function sameStoredSnapshot(a: string, b: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
}
