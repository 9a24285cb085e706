/**
 * The export itself: lists the customer's appointments in the store, reads their current snapshots
 * a batch at a time, keeps those starting within the dates, and streams them (or every stored version
 * of each) to the output in key order. Damaged objects are skipped and reported; store errors thrown.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import {
  type AppointmentSnapshot,
  CorruptSnapshotError,
  type ListableSnapshotStore,
} from '../../activities/snapshots/port';
import { ExportUsageError, utcDayStart } from './args';
import { CSV_COLUMNS, csvRow } from './csv';
import { stateOf } from './exportedState';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportRequest {
  /** First day, `YYYY-MM-DD`, UTC, inclusive. */
  from: string;
  /** Last day, `YYYY-MM-DD`, UTC, inclusive. */
  to: string;
  format: ExportFormat;
  /** Every stored version of each chosen appointment instead of the current one only. */
  history: boolean;
}

export interface ExportSummary {
  /** Appointments whose current snapshot starts in the range. */
  appointments: number;
  /** Lines written (excluding the CSV header). */
  rows: number;
  /** Appointments listed but without a readable start (no details yet, or an unparseable time). */
  withoutStart: number;
  /** Keys that could not be read (corrupt objects); the export is incomplete when non-empty. */
  unreadable: string[];
}

/** How many store reads are in flight at once (GCS round trips dominate an export). */
const READ_CONCURRENCY = 16;

/** How far an export has got; passed to `onProgress` as it moves (the same object, updated). */
export interface ExportCounts {
  /** Snapshot objects read from the store (current and history versions, damaged ones included). */
  objectsRead: number;
  /** Lines written so far (excluding the CSV header). */
  rows: number;
}

export interface ExportOptions {
  /** Called after each batch of reads and each row written; throttle in the callback (ExportProgress). */
  onProgress?: (counts: Readonly<ExportCounts>) => void;
}

/**
 * Streams the chosen snapshots to `out` in the requested format, in key order. Unreadable objects are
 * skipped and reported in the summary; store errors (network, permissions) are thrown.
 */
export async function exportSnapshots(
  store: ListableSnapshotStore,
  customerCode: string,
  request: ExportRequest,
  out: Writable,
  options: ExportOptions = {},
): Promise<ExportSummary> {
  const fromMs = utcDayStart(request.from);
  const toMs = utcDayStart(request.to);
  if (fromMs === undefined || toMs === undefined) throw new ExportUsageError('from/to must be YYYY-MM-DD');
  const endMs = toMs + 24 * 60 * 60 * 1000; // exclusive: the day after --to
  const summary: ExportSummary = { appointments: 0, rows: 0, withoutStart: 0, unreadable: [] };
  const counts: ExportCounts = { objectsRead: 0, rows: 0 };
  const progress = (): void => options.onProgress?.(counts);
  const emit = async (snapshot: AppointmentSnapshot): Promise<void> => {
    const line = request.format === 'csv' ? csvRow(snapshot) : JSON.stringify(snapshot);
    summary.rows++;
    counts.rows = summary.rows;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
    progress();
  };

  /** The snapshot, or `undefined` when it vanished or is corrupt (recorded in the summary). */
  const readSafely = async (
    read: () => Promise<AppointmentSnapshot | undefined>,
  ): Promise<AppointmentSnapshot | undefined> => {
    try {
      const snapshot = await read();
      counts.objectsRead++;
      return snapshot;
    } catch (error) {
      if (error instanceof CorruptSnapshotError) {
        counts.objectsRead++;
        summary.unreadable.push(error.key);
        return undefined;
      }
      throw error;
    }
  };

  const chooseAndWrite = async (appointmentIds: string[]): Promise<void> => {
    const currents = await Promise.all(
      appointmentIds.map((id) => readSafely(() => store.readCurrent(customerCode, id))),
    );
    progress();
    for (const current of currents) {
      if (current === undefined) continue;
      const startMs = startOf(current);
      if (startMs === undefined) {
        summary.withoutStart++;
        continue;
      }
      if (startMs < fromMs || startMs >= endMs) continue;
      summary.appointments++;
      if (!request.history) {
        await emit(current);
        continue;
      }
      const versions = await store.listHistory(customerCode, current.appointmentId);
      for (const batch of chunks(versions, READ_CONCURRENCY)) {
        const snapshots = await Promise.all(
          batch.map((v) => readSafely(() => store.readVersion(customerCode, current.appointmentId, v))),
        );
        progress();
        for (const snapshot of snapshots) if (snapshot !== undefined) await emit(snapshot);
      }
    }
  };

  if (request.format === 'csv') out.write(`${CSV_COLUMNS.join(',')}\n`);
  let batch: string[] = [];
  for await (const appointmentId of store.listAppointments(customerCode)) {
    batch.push(appointmentId);
    if (batch.length >= READ_CONCURRENCY) {
      await chooseAndWrite(batch);
      batch = [];
    }
  }
  await chooseAndWrite(batch);
  return summary;
}

function startOf(snapshot: AppointmentSnapshot): number | undefined {
  const start = stateOf(snapshot)?.details?.start;
  if (start === undefined) return undefined;
  const ms = Date.parse(start);
  return Number.isNaN(ms) ? undefined : ms;
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
