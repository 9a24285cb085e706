/**
 * `npm run export` over the file store (the GCS listing is covered in test/integration/gcsSnapshotStore.test.ts):
 * the range rule, both formats, history, damaged objects, arguments, progress, and the command as a user
 * runs it (--help, bad options, progress on stderr while stdout holds the export only).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { FileSnapshotStore, fileSnapshotRoot } from '../../../src/activities/snapshots/fileStore';
import {
  type AppointmentSnapshot,
  SNAPSHOT_SCHEMA_VERSION,
  objectKey,
  serializeSnapshot,
} from '../../../src/activities/snapshots/port';
import { CSV_COLUMNS, csvField } from '../../../src/tools/snapshotExport/csv';
import { EXPORT_USAGE, ExportUsageError, parseExportArgs } from '../../../src/tools/snapshotExport/args';
import {
  type ExportCounts,
  type ExportRequest,
  exportSnapshots,
} from '../../../src/tools/snapshotExport/exportSnapshots';
import { ExportProgress } from '../../../src/tools/snapshotExport/progress';

const CUSTOMER = 'clinic1';
const projectRoot = path.resolve(__dirname, '../../..');

let dataDir: string;
let store: FileSnapshotStore;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'export-test-'));
  store = new FileSnapshotStore(fileSnapshotRoot(dataDir));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

interface Details {
  start: string;
  firstName?: string;
  lastName?: string;
  location?: string;
}

function snap(appointmentId: string, version: number, details: Details | null): AppointmentSnapshot {
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    appointmentId,
    version,
    status: 'BOOKED',
    writtenAt: new Date(Date.UTC(2026, 10, 1, 0, 0, version)).toISOString(),
    state: {
      appointmentId,
      details: details && {
        start: details.start,
        localStart: details.start.slice(0, 19),
        timeZone: 'UTC',
        location: details.location,
        patient: {
          id: `pat-${appointmentId}`,
          firstName: details.firstName ?? 'Ada',
          lastName: details.lastName ?? 'Lovelace',
          phone: '+15551234567',
          language: 'en',
        },
        provider: { id: 'dr-1' },
      },
      optedOut: false,
      messages: [{ key: 'm1' }, { key: 'm2' }],
      version,
    },
  };
}

const DECEMBER: ExportRequest = { from: '2026-12-01', to: '2026-12-31', format: 'jsonl', history: false };

async function runExport(
  request: ExportRequest = DECEMBER,
  onProgress?: (counts: Readonly<ExportCounts>) => void,
) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const summary = await exportSnapshots(store, CUSTOMER, request, out, onProgress ? { onProgress } : {});
  const text = Buffer.concat(chunks).toString('utf8');
  return { summary, text, lines: text === '' ? [] : text.trimEnd().split('\n') };
}

const idsOf = (lines: string[]): string[] =>
  lines.map((l) => (JSON.parse(l) as AppointmentSnapshot).appointmentId);

describe('npm run export over the file store', () => {
  it('exports the current snapshot of each appointment starting within the UTC dates, both days inclusive', async () => {
    const starts: Record<string, string> = {
      'a-before': '2026-11-30T23:59:59.999Z',
      'b-first-instant': '2026-12-01T00:00:00.000Z',
      'c-middle': '2026-12-15T15:30:00.000Z',
      'd-last-instant': '2026-12-31T23:59:59.999Z',
      'e-after': '2027-01-01T00:00:00.000Z',
      // An offset the EHR may send: 2026-12-31T20:00-05:00 is 2027-01-01T01:00Z, outside.
      'f-offset-outside': '2026-12-31T20:00:00-05:00',
    };
    for (const [id, start] of Object.entries(starts)) await store.write(CUSTOMER, snap(id, 1, { start }));
    await store.write(CUSTOMER, snap('c-middle', 2, { start: starts['c-middle'] as string }));

    const { summary, lines } = await runExport();

    expect(idsOf(lines)).toEqual(['b-first-instant', 'c-middle', 'd-last-instant']);
    expect(JSON.parse(lines[1] as string)).toEqual(await store.readCurrent(CUSTOMER, 'c-middle'));
    expect(summary).toEqual({ appointments: 3, rows: 3, withoutStart: 0, unreadable: [] });
  });

  it('with --history writes every version of each chosen appointment, chosen by where it starts now', async () => {
    // Rescheduled from November into December: chosen, with its November version too.
    await store.write(CUSTOMER, snap('moved-in', 1, { start: '2026-11-20T10:00:00Z' }));
    await store.write(CUSTOMER, snap('moved-in', 2, { start: '2026-12-20T10:00:00Z' }));
    // Rescheduled out of December: not chosen at all.
    await store.write(CUSTOMER, snap('moved-out', 1, { start: '2026-12-05T10:00:00Z' }));
    await store.write(CUSTOMER, snap('moved-out', 2, { start: '2027-02-05T10:00:00Z' }));
    for (const v of [1, 2, 3])
      await store.write(CUSTOMER, snap('stays', v, { start: '2026-12-10T09:00:00Z' }));

    const { summary, lines } = await runExport({ ...DECEMBER, history: true });

    const rows = lines.map((l) => JSON.parse(l) as AppointmentSnapshot);
    expect(rows.map((r) => `${r.appointmentId}@${r.version}`)).toEqual([
      'moved-in@1',
      'moved-in@2',
      'stays@1',
      'stays@2',
      'stays@3',
    ]);
    expect(summary).toMatchObject({ appointments: 2, rows: 5 });
  });

  it('writes CSV with a header, RFC 4180 quoting and spreadsheet formulas neutralised', async () => {
    await store.write(
      CUSTOMER,
      snap('csv-1', 4, {
        start: '2026-12-02T14:00:00Z',
        firstName: '=HYPERLINK("http://x","y")',
        lastName: 'O"Brien, Jr',
        location: 'Room 1\nEast wing',
      }),
    );

    const { lines, text } = await runExport({ ...DECEMBER, format: 'csv' });

    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(text.split('\n').filter(Boolean)).toHaveLength(3); // the quoted newline is inside one record
    const expected = [
      'csv-1',
      '4',
      'BOOKED',
      '2026-11-01T00:00:04.000Z',
      '2026-12-02T14:00:00Z',
      '2026-12-02T14:00:00',
      'UTC',
      '"Room 1\nEast wing"',
      'pat-csv-1',
      `"'=HYPERLINK(""http://x"",""y"")"`,
      '"O""Brien, Jr"',
      '+15551234567',
      'en',
      'dr-1',
      'false',
      '2',
    ].join(',');
    expect(text).toBe(`${CSV_COLUMNS.join(',')}\n${expected}\n`);
  });

  it('leaves CSV numbers and phones alone but quotes what a spreadsheet would run', () => {
    expect(csvField('+15551234567')).toBe('+15551234567');
    expect(csvField(-3)).toBe('-3');
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-1+2')).toBe("'-1+2");
    expect(csvField(undefined)).toBe('');
    expect(csvField('plain')).toBe('plain');
  });

  it('skips appointments without a start yet and reports damaged objects without stopping', async () => {
    await store.write(CUSTOMER, snap('no-details', 1, null));
    await store.write(CUSTOMER, snap('good', 1, { start: '2026-12-03T08:00:00Z' }));
    const damaged = objectKey.current(CUSTOMER, 'damaged');
    const damagedPath = path.join(fileSnapshotRoot(dataDir), ...damaged.split('/'));
    writeFileSync(damagedPath, '{ truncated');

    const { summary, lines } = await runExport();

    expect(idsOf(lines)).toEqual(['good']);
    expect(summary).toEqual({ appointments: 1, rows: 1, withoutStart: 1, unreadable: [damaged] });
  });

  it('exports nothing, without failing, for a customer with no snapshots', async () => {
    await expect(runExport()).resolves.toMatchObject({ lines: [], summary: { appointments: 0, rows: 0 } });
  });

  it('lists past 1,000 appointments', async () => {
    const dir = path.join(fileSnapshotRoot(dataDir), CUSTOMER, 'appointments');
    mkdirSync(dir, { recursive: true });
    const ids = Array.from({ length: 1_203 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
    for (const [i, id] of ids.entries()) {
      const start = new Date(Date.UTC(2026, 11, 1 + (i % 31), 12)).toISOString();
      const key = objectKey.current(CUSTOMER, id);
      writeFileSync(
        path.join(fileSnapshotRoot(dataDir), ...key.split('/')),
        serializeSnapshot(snap(id, 1, { start })),
      );
    }

    const listed: string[] = [];
    for await (const id of store.listAppointments(CUSTOMER)) listed.push(id);
    const { summary, lines } = await runExport();

    expect(listed).toEqual(ids);
    expect(idsOf(lines)).toEqual(ids);
    expect(summary.appointments).toBe(1_203);
  });
});

describe('export arguments', () => {
  it('reads the range, the format, --history, --out and --customer', () => {
    expect(
      parseExportArgs([
        '--from',
        '2026-12-01',
        '--to',
        '2026-12-31',
        '--format',
        'csv',
        '--history',
        '--out',
        'x.csv',
      ]),
    ).toEqual({ from: '2026-12-01', to: '2026-12-31', format: 'csv', history: true, out: 'x.csv' });
    expect(parseExportArgs(['--from=2026-12-01', '--to=2026-12-01', '--customer', 'north'])).toEqual({
      from: '2026-12-01',
      to: '2026-12-01',
      format: 'jsonl',
      history: false,
      customer: 'north',
    });
  });

  it('names every bad argument at once', () => {
    const problems = (argv: string[]): string => {
      try {
        parseExportArgs(argv);
      } catch (error) {
        expect(error).toBeInstanceOf(ExportUsageError);
        return (error as Error).message;
      }
      throw new Error('expected a usage error');
    };
    const message = problems(['--from', '2026-02-30', '--format', 'xml']);
    expect(message).toMatch(/--from: must be a date YYYY-MM-DD/);
    expect(message).toMatch(/--to: is required/);
    expect(message).toMatch(/--format: must be jsonl or csv/);
    expect(problems(['--from', '2026-12-31', '--to', '2026-12-01'])).toMatch(
      /--from: must not be after --to/,
    );
    expect(problems(['--from', '2026-12-01', '--to', '2026-12-31', '--bogus'])).toMatch(/bogus/);
    expect(problems(['--from', '2026-12-01', '--to', '2026-12-31', '--progress-interval', 'soon'])).toMatch(
      /--progress-interval: must be a number of seconds/,
    );
  });

  it('reads --help, whatever else is given, and --progress-interval in seconds', () => {
    expect(parseExportArgs(['--help'])).toEqual({ help: true });
    expect(parseExportArgs(['--from', 'december', '--help'])).toEqual({ help: true });
    expect(parseExportArgs(['--from=2026-12-01', '--to=2026-12-02', '--progress-interval', '0.5'])).toEqual({
      from: '2026-12-01',
      to: '2026-12-02',
      format: 'jsonl',
      history: false,
      'progress-interval': 0.5,
    });
    expect(() => parseExportArgs(['--help', '--bogus'])).toThrow(ExportUsageError);
  });
});

describe('export progress', () => {
  it('counts objects read and rows written as the export moves', async () => {
    for (const v of [1, 2, 3])
      await store.write(CUSTOMER, snap('kept', v, { start: '2026-12-10T09:00:00Z' }));
    await store.write(CUSTOMER, snap('elsewhen', 1, { start: '2027-03-10T09:00:00Z' }));
    const seen: ExportCounts[] = [];

    const { summary } = await runExport({ ...DECEMBER, history: true }, (counts) => seen.push({ ...counts }));

    // Two current objects, then the three versions of the one chosen.
    expect(seen.at(-1)).toEqual({ objectsRead: 5, rows: 3 });
    expect(summary.rows).toBe(3);
    for (const [i, counts] of seen.entries()) {
      if (i === 0) continue;
      const before = seen[i - 1] as ExportCounts;
      expect(counts.objectsRead).toBeGreaterThanOrEqual(before.objectsRead);
      expect(counts.rows).toBeGreaterThanOrEqual(before.rows);
    }
  });

  it('writes at most one line per interval, then a final line with the rate', () => {
    let now = 0;
    const lines: string[] = [];
    const progress = new ExportProgress(
      (line) => lines.push(line),
      1000,
      () => now,
    );

    for (let i = 1; i <= 30; i++) {
      now = i * 100; // 30 updates over 3 s
      progress.update({ objectsRead: i * 10, rows: i * 5 });
    }
    now = 3_250;
    progress.finish({ objectsRead: 300, rows: 150 });

    expect(lines).toEqual([
      '[export] progress: 100 object(s) read, 50 row(s) written, 100 objects/s, 1.0 s',
      '[export] progress: 200 object(s) read, 100 row(s) written, 100 objects/s, 2.0 s',
      '[export] progress: 300 object(s) read, 150 row(s) written, 100 objects/s, 3.0 s',
      '[export] done: 300 object(s) read, 150 row(s) written, 92 objects/s, 3.3 s',
    ]);
  });

  it('with interval 0 writes the final line only', () => {
    let now = 0;
    const lines: string[] = [];
    const progress = new ExportProgress(
      (line) => lines.push(line),
      0,
      () => now,
    );
    now = 5_000;
    progress.update({ objectsRead: 1, rows: 1 });
    progress.finish({ objectsRead: 2, rows: 2 });
    expect(lines).toEqual(['[export] done: 2 object(s) read, 2 row(s) written, 0 objects/s, 5.0 s']);
  });
});

describe('npm run export as a user runs it', () => {
  const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
  /** `npm run export` with `args`, on the test's file store (no bucket), quiet. */
  const cli = (args: string[]) =>
    spawnSync(tsx, ['src/tools/export.ts', ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        CUSTOMER_CODE: CUSTOMER,
        GCS_BUCKET: '',
        LOG_LEVEL: 'silent',
      },
    });

  it('writes an owner-only file from the configured file store and logs counts but no patient data', async () => {
    await store.write(CUSTOMER, snap('cli-1', 1, { start: '2026-12-09T10:00:00Z', firstName: 'Grace' }));
    const outFile = path.join(dataDir, 'december.jsonl');

    const result = cli(['--from', '2026-12-01', '--to', '2026-12-31', '--out', outFile]);

    expect(result.stderr).toContain('1 appointment(s) starting 2026-12-01..2026-12-31');
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('Grace');
    expect(result.stdout).toBe('');
    expect(statSync(outFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(outFile, 'utf8'))).toMatchObject({ appointmentId: 'cli-1' });
  });

  it('prints the usage on --help and exits 0, exporting nothing', () => {
    const result = cli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(EXPORT_USAGE);
    expect(result.stdout).toContain('--progress-interval');
    expect(result.stderr).toBe('');
  });

  it('exits 2 with the usage on an unknown option, with nothing on stdout', () => {
    const result = cli(['--from', '2026-12-01', '--to', '2026-12-31', '--bogus']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
    expect(result.stderr).toContain(EXPORT_USAGE);
    expect(result.stdout).toBe('');
  });

  it('reports progress on stderr while stdout holds exactly the export', async () => {
    const count = 300;
    for (let i = 0; i < count; i++) {
      const start = new Date(Date.UTC(2026, 11, 1 + (i % 31), 9 + (i % 8))).toISOString();
      await store.write(
        CUSTOMER,
        snap(`prog-${String(i).padStart(3, '0')}`, 1, { start, firstName: 'Grace' }),
      );
    }
    const expected = await runExport();

    // A short interval, so a run this small still shows lines between the start and the end.
    const result = cli(['--from', '2026-12-01', '--to', '2026-12-31', '--progress-interval', '0.001']);

    expect(result.status).toBe(0);
    expect(result.stdout).toBe(expected.text);
    expect(expected.lines).toHaveLength(count);
    const stderr = result.stderr.trimEnd().split('\n');
    const progress = stderr.filter((line) => line.startsWith('[export] progress: '));
    expect(progress.length).toBeGreaterThan(0);
    const figures =
      /^\[export\] progress: (\d+) object\(s\) read, (\d+) row\(s\) written, \d+ objects\/s, \d+\.\d s$/;
    let last = { read: 0, rows: 0 };
    for (const line of progress) {
      const match = figures.exec(line);
      expect(match).not.toBeNull();
      const now = { read: Number(match?.[1]), rows: Number(match?.[2]) };
      expect(now.read).toBeGreaterThanOrEqual(last.read);
      expect(now.rows).toBeGreaterThanOrEqual(last.rows);
      expect(now.read).toBeLessThanOrEqual(count);
      last = now;
    }
    expect(stderr).toContainEqual(
      expect.stringMatching(
        /^\[export\] done: 300 object\(s\) read, 300 row\(s\) written, \d+ objects\/s, \d+\.\d s$/,
      ),
    );
    expect(stderr).toContainEqual(
      expect.stringContaining('300 appointment(s) starting 2026-12-01..2026-12-31'),
    );
    expect(result.stderr).not.toContain('Grace');
    expect(result.stderr).not.toContain('+1555');
  });

  it('at the default interval a short run still ends with the final line on stderr', async () => {
    await store.write(CUSTOMER, snap('quick', 1, { start: '2026-12-09T10:00:00Z' }));
    const result = cli(['--from', '2026-12-01', '--to', '2026-12-31']);
    expect(result.status).toBe(0);
    expect(idsOf(result.stdout.trimEnd().split('\n'))).toEqual(['quick']);
    expect(result.stderr).toMatch(/^\[export\] done: 1 object\(s\) read, 1 row\(s\) written/m);
  });

  it('exits 2 with the usage on bad arguments', () => {
    const result = spawnSync(
      path.join(projectRoot, 'node_modules', '.bin', 'tsx'),
      ['src/tools/export.ts', '--from', 'december'],
      { cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATA_DIR: dataDir } },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('npm run export -- --from YYYY-MM-DD');
  });
});
