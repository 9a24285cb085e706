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
 *
 * This module is the command; snapshotExport/ has its arguments, the export, the CSV rows and the
 * progress lines (code that runs an export itself imports them from there).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import {
  EXPORT_USAGE,
  parseExportArgs,
  type ExportCliArgs,
  type ExportHelpRequest,
} from './snapshotExport/args';
import { exportSnapshots, type ExportCounts } from './snapshotExport/exportSnapshots';
import { ExportProgress } from './snapshotExport/progress';

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
  const [{ loadConfig }, { createSnapshotStore }, { GcsSnapshotStore }] = await Promise.all([
    import('../config'),
    import('../activities/snapshots'),
    import('../activities/snapshots/gcsStore'),
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
