/**
 * `npm run export`'s command line: the dates (UTC days, `--from` not after `--to`), the format, the
 * options, and the usage text. Every problem is reported together, as for the configuration.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export class ExportUsageError extends Error {
  override readonly name = 'ExportUsageError';
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` → midnight UTC of that day in ms; rejects impossible dates such as 2026-02-30. */
export function utcDayStart(day: string): number | undefined {
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
