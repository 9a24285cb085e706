/**
 * `npm run export -- --from 2026-12-01 --to 2026-12-31 [--format jsonl|csv] [--history] [--out FILE]`:
 * appointment snapshots whose appointment starts (`state.details.start`) within the UTC dates given,
 * both inclusive, from whichever store is configured (GCS when `GCS_BUCKET` is set, else files).
 *
 * Appointments are chosen by their *current* snapshot; `--history` then writes every version of each
 * chosen appointment (older versions may name another start: that is the reschedule history).
 * The output holds patient data: a file is created owner-only (0600), and nothing of it reaches the
 * log lines on stderr (counts, keys and ids only).
 *
 * stdout (or the `--out` file) holds the export only; progress goes to stderr: objects read, rows
 * written and the rate, at most once per `--progress-interval` (1 s), and a final line.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  type AppointmentSnapshot,
  CorruptSnapshotError,
  type ListableSnapshotStore,
} from '../activities/snapshots/port';

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

// ---------------------------------------------------------------------------------------------
// Arguments

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` → midnight UTC of that day in ms; rejects impossible dates such as 2026-02-30. */
function utcDayStart(day: string): number | undefined {
  const match = DAY.exec(day);
  if (!match) return undefined;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, date);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) {
    return undefined;
  }
  return ms;
}

const dayArg = z.string({ message: 'is required (YYYY-MM-DD)' }).refine((v) => utcDayStart(v) !== undefined, {
  message: 'must be a date YYYY-MM-DD',
});

const cliSchema = z
  .object({
    from: dayArg,
    to: dayArg,
    format: z.enum(['jsonl', 'csv'], { message: 'must be jsonl or csv' }).default('jsonl'),
    history: z.boolean().default(false),
    out: z.string().min(1).optional(),
    'progress-interval': z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a number of seconds (0: the final line only)')
      .transform(Number)
      .pipe(z.number().max(3600, 'must be at most 3600 seconds'))
      .optional(),
    customer: z
      .string()
      .regex(/^[a-z0-9]+$/, 'must be lowercase letters and digits')
      .optional(),
  })
  .refine((v) => (utcDayStart(v.from) ?? 0) <= (utcDayStart(v.to) ?? 0), {
    message: 'must not be after --to',
    path: ['from'],
  });

export type ExportCliArgs = z.infer<typeof cliSchema>;

export class ExportUsageError extends Error {
  override readonly name = 'ExportUsageError';
}

export const EXPORT_USAGE = [
  'Usage: npm run export -- --from YYYY-MM-DD --to YYYY-MM-DD [options]',
  '',
  'Writes the snapshots of the appointments starting within the dates, from the configured store',
  '(GCS_BUCKET, else the files under DATA_DIR). The output holds patient data.',
  '',
  '  --from, --to             appointment start dates (UTC, both inclusive)',
  '  --format FORMAT          jsonl (default: one snapshot per line) or csv (one summary row per snapshot)',
  '  --history                every stored version of each appointment, not only the current one',
  '  --out FILE               write to FILE (created owner-only) instead of stdout',
  '  --customer CODE          another customer code than CUSTOMER_CODE',
  '  --progress-interval S    seconds between progress lines on stderr (default 1; 0: the final line only)',
  '  --help                   this text',
  '',
  'stdout (or FILE) holds the export only; progress and the summary go to stderr. Exit code: 0 done,',
  '1 some stored object was unreadable (the rest is exported) or the store failed, 2 bad arguments.',
].join('\n');

/** `--help`: print the usage and export nothing. */
export interface ExportHelpRequest {
  help: true;
}

/** Parses the command line; every problem is reported together, as for the configuration. */
export function parseExportArgs(argv: readonly string[]): ExportCliArgs | ExportHelpRequest {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        history: { type: 'boolean' },
        out: { type: 'string' },
        customer: { type: 'string' },
        'progress-interval': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ExportUsageError(`${error instanceof Error ? error.message : String(error)}\n${EXPORT_USAGE}`);
  }
  const { help, ...rest } = values;
  if (help === true) return { help: true };
  const parsed = cliSchema.safeParse(rest);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  --${issue.path.join('.')}: ${issue.message}`);
    throw new ExportUsageError(`Invalid arguments:\n${problems.join('\n')}\n${EXPORT_USAGE}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Export

/** The parts of the workflow state the export reads; the rest is passed through untouched. */
const stateSchema = z.object({
  details: z
    .object({
      start: z.string(),
      localStart: z.string().optional(),
      timeZone: z.string().optional(),
      location: z.string().optional(),
      patient: z
        .object({
          id: z.string().optional(),
          firstName: z.string().optional(),
          lastName: z.string().optional(),
          phone: z.string().optional(),
          language: z.string().optional(),
        })
        .optional(),
      provider: z.object({ id: z.string().optional() }).optional(),
    })
    .nullable()
    .optional(),
  optedOut: z.boolean().optional(),
  messages: z.array(z.unknown()).optional(),
});
type ExportedState = z.infer<typeof stateSchema>;

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

function stateOf(snapshot: AppointmentSnapshot): ExportedState | undefined {
  const parsed = stateSchema.safeParse(snapshot.state);
  return parsed.success ? parsed.data : undefined;
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

// ---------------------------------------------------------------------------------------------
// CSV

export const CSV_COLUMNS = [
  'appointment_id',
  'version',
  'status',
  'written_at',
  'start',
  'local_start',
  'time_zone',
  'location',
  'patient_id',
  'patient_first_name',
  'patient_last_name',
  'patient_phone',
  'patient_language',
  'provider_id',
  'opted_out',
  'messages',
] as const;

function csvRow(snapshot: AppointmentSnapshot): string {
  const state = stateOf(snapshot);
  const details = state?.details ?? undefined;
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | undefined> = {
    appointment_id: snapshot.appointmentId,
    version: snapshot.version,
    status: snapshot.status,
    written_at: snapshot.writtenAt,
    start: details?.start,
    local_start: details?.localStart,
    time_zone: details?.timeZone,
    location: details?.location,
    patient_id: details?.patient?.id,
    patient_first_name: details?.patient?.firstName,
    patient_last_name: details?.patient?.lastName,
    patient_phone: details?.patient?.phone,
    patient_language: details?.patient?.language,
    provider_id: details?.provider?.id,
    opted_out: state?.optedOut,
    messages: state?.messages?.length,
  };
  return CSV_COLUMNS.map((column) => csvField(values[column])).join(',');
}

/**
 * RFC 4180 quoting, plus a leading `'` on text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
 * tab, CR): names and locations come from the EHR. Plain numbers such as E.164 phones stay as they are.
 */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// ---------------------------------------------------------------------------------------------
// Progress

/**
 * Progress lines for stderr: at most one per interval while the export runs (none for a run shorter
 * than the interval), then one final line. Counts and rates only, never contents.
 */
export class ExportProgress {
  private readonly startedAt: number;
  private lastLineAt: number;

  constructor(
    private readonly writeLine: (line: string) => void,
    /** Milliseconds between progress lines; 0: the final line only. */
    private readonly intervalMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
    this.lastLineAt = this.startedAt;
  }

  /** Cheap enough to call for every row: a line only when the interval has passed. */
  update(counts: Readonly<ExportCounts>): void {
    if (this.intervalMs <= 0) return;
    const at = this.now();
    if (at - this.lastLineAt < this.intervalMs) return;
    this.lastLineAt = at;
    this.writeLine(`[export] progress: ${this.describe(counts, at)}`);
  }

  finish(counts: Readonly<ExportCounts>): void {
    this.writeLine(`[export] done: ${this.describe(counts, this.now())}`);
  }

  private describe(counts: Readonly<ExportCounts>, at: number): string {
    const seconds = Math.max(at - this.startedAt, 0) / 1000;
    const rate = seconds > 0 ? Math.round(counts.objectsRead / seconds) : counts.objectsRead;
    return (
      `${counts.objectsRead} object(s) read, ${counts.rows} row(s) written, ` +
      `${rate} objects/s, ${seconds.toFixed(1)} s`
    );
  }
}

// ---------------------------------------------------------------------------------------------
// `npm run export`

async function main(): Promise<number> {
  let parsed: ExportCliArgs | ExportHelpRequest;
  try {
    parsed = parseExportArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return 2;
  }
  if ('help' in parsed) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  const args = parsed;
  const [{ loadConfig }, { createSnapshotStore, GcsSnapshotStore }] = await Promise.all([
    import('../config'),
    import('../activities/snapshots'),
  ]);
  // A tool beside `npm start`: its embedded default (sandbox) needs no SANDBOX_MODE here either.
  const config = loadConfig({ embeddedDefault: true });
  const store = createSnapshotStore(config);
  const customerCode = args.customer ?? config.env.CUSTOMER_CODE;
  const source =
    store instanceof GcsSnapshotStore ? `GCS bucket ${store.bucketName}` : `files under ${config.dataDir}`;

  const out: Writable = args.out ? createWriteStream(args.out, { mode: 0o600 }) : process.stdout;
  if (args.out) await once(out, 'open');
  const progress = new ExportProgress(
    (line) => process.stderr.write(`${line}\n`),
    (args['progress-interval'] ?? 1) * 1000,
  );
  let counts: Readonly<ExportCounts> = { objectsRead: 0, rows: 0 };
  const summary = await exportSnapshots(
    store,
    customerCode,
    { from: args.from, to: args.to, format: args.format, history: args.history },
    out,
    {
      onProgress: (current) => {
        counts = current;
        progress.update(current);
      },
    },
  );
  if (args.out) {
    out.end();
    await once(out, 'finish');
  }
  progress.finish(counts);
  console.error(
    `[export] ${summary.appointments} appointment(s) starting ${args.from}..${args.to} (UTC), ` +
      `${summary.rows} ${args.format} row(s), customer ${customerCode}, from ${source}` +
      (args.out ? `, written to ${args.out}` : ''),
  );
  if (summary.withoutStart > 0) {
    console.error(`[export] ${summary.withoutStart} appointment(s) skipped: no start time recorded yet`);
  }
  if (summary.unreadable.length > 0) {
    console.error(`[export] INCOMPLETE: ${summary.unreadable.length} object(s) are not valid snapshots:`);
    for (const key of summary.unreadable) console.error(`  ${key}`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  // `npm run export | head` closes stdout early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // Store errors name keys and ids, never contents.
      console.error(`[export] failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
