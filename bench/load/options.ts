/** Command-line options of `npm run bench:load` (pure: parsed from argv, no I/O). */

export const MEASURES = ['lifecycle', 'ingest', 'burst', 'reminders', 'steady', 'memory'] as const;
export type MeasureName = (typeof MEASURES)[number];

export interface BenchOptions {
  quick: boolean;
  /** Events posted (and signal-with-starts made) for the ingest measure. */
  ingest: number;
  burst: number;
  reminders: number;
  rates: number[];
  /** Seconds each steady rate runs. */
  duration: number;
  /** Open appointments at which the worker's RSS is read (0 is always read first). */
  idle: number[];
  /** Seconds of idleness over which the worker's CPU time is read. */
  idleCpuSeconds: number;
  concurrency: number;
  only: MeasureName[];
  /** Keep the temp folder (logs, SQLite, sandbox files) after a successful run. */
  keep: boolean;
  help: boolean;
}

const FULL: Omit<BenchOptions, 'quick' | 'only' | 'keep' | 'help'> = {
  ingest: 1000,
  burst: 2000,
  reminders: 2000,
  rates: [20, 50],
  duration: 60,
  idle: [2000, 10000],
  idleCpuSeconds: 30,
  concurrency: 16,
};

const QUICK: typeof FULL = {
  ingest: 200,
  burst: 200,
  reminders: 200,
  rates: [20, 50],
  duration: 15,
  idle: [500, 2000],
  idleCpuSeconds: 15,
  concurrency: 16,
};

export const HELP = `npm run bench:load [-- options]

Starts its own Temporal dev server, the service's API and worker (sandbox mode) and a minimal
baseline workflow with its own worker, then measures both on the same server.

  --quick             small sizes (ingest/burst/reminders ${QUICK.burst}, rates for ${QUICK.duration} s, idle ${QUICK.idle.join('/')})
  --ingest N          events for the ingest measure (default ${FULL.ingest})
  --burst N           BOOKED events in the burst (default ${FULL.burst})
  --reminders N       reminders due in the same minute (default ${FULL.reminders})
  --rates A,B         steady event rates per second (default ${FULL.rates.join(',')})
  --duration S        seconds per steady rate (default ${FULL.duration})
  --idle A,B          open appointments for the worker RSS readings (default ${FULL.idle.join(',')})
  --idle-cpu S        seconds of idleness for the worker CPU reading (default ${FULL.idleCpuSeconds})
  --concurrency N     client concurrency for ingest, burst and bookings (default ${FULL.concurrency})
  --only LIST         some of ${MEASURES.join(',')}
  --keep              keep the temp folder (logs, SQLite, sandbox files) after a successful run
  --help              this text

Results: a table on stdout and JSON in bench/results/load-latest.json.`;

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

function positiveInt(flag: string, raw: string | undefined): number {
  const value = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new OptionsError(`${flag} needs a positive whole number (got ${raw ?? 'nothing'})`);
  }
  return value;
}

function intList(flag: string, raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') throw new OptionsError(`${flag} needs a comma-separated list`);
  return raw.split(',').map((part) => positiveInt(flag, part.trim()));
}

function measureList(raw: string | undefined): MeasureName[] {
  if (raw === undefined || raw.trim() === '') throw new OptionsError(`--only needs a comma-separated list`);
  const names = raw.split(',').map((part) => part.trim());
  for (const name of names) {
    if (!(MEASURES as readonly string[]).includes(name)) {
      throw new OptionsError(`--only: unknown measure '${name}' (choose from ${MEASURES.join(', ')})`);
    }
  }
  // Measures always run in MEASURES order (the lifecycle first, on a server with nothing else running).
  return MEASURES.filter((measure) => names.includes(measure));
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const options: BenchOptions = {
    ...(quick ? QUICK : FULL),
    rates: [...(quick ? QUICK : FULL).rates],
    idle: [...(quick ? QUICK : FULL).idle],
    quick,
    only: [...MEASURES],
    keep: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const [name, inline] = flag.includes('=') ? flag.split(/=(.*)/s, 2) : [flag, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (name) {
      case '--quick':
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--ingest':
        options.ingest = positiveInt(name, value());
        break;
      case '--burst':
        options.burst = positiveInt(name, value());
        break;
      case '--reminders':
        options.reminders = positiveInt(name, value());
        break;
      case '--rates':
        options.rates = intList(name, value());
        break;
      case '--duration':
        options.duration = positiveInt(name, value());
        break;
      case '--idle':
        options.idle = [...new Set(intList(name, value()))].sort((a, b) => a - b);
        break;
      case '--idle-cpu':
        options.idleCpuSeconds = positiveInt(name, value());
        break;
      case '--concurrency':
        options.concurrency = positiveInt(name, value());
        break;
      case '--only':
        options.only = measureList(value());
        break;
      default:
        throw new OptionsError(`unknown option '${flag}' (see --help)`);
    }
  }
  return options;
}
