/** The shapes of the bench's results (the JSON written to bench/results/load-latest.json). */
import type { CpuSpent } from './cpu';
import type { ExecutionCost, HistoryCounts } from './history';
import type { ListingStats } from './sandbox';
import type { Summary } from './stats';

export interface PerSide<T> {
  service?: T;
  baseline?: T;
}

export interface IngestResult {
  count: number;
  concurrency: number;
  seconds: number;
  perSecond?: number;
  errors: number;
  firstError?: string;
  /** Milliseconds per call (answered calls). */
  callMs?: Summary;
  /** CPU seconds per process while the calls ran. */
  cpuSeconds: CpuSpent;
}

export interface BurstResult {
  count: number;
  concurrency: number;
  /** Seconds from the first post to the last answer. */
  postSeconds: number;
  postErrors: number;
  texted: number;
  missing: number;
  /** N / (last booking text − first post), over the texts that arrived. */
  textedPerSecond?: number;
  /** Seconds from the first post to the last booking text. */
  seconds?: number;
  waitEnded: string;
  /** CPU seconds per process from the first post to the last text (or the end of the wait). */
  cpuSeconds: CpuSpent;
}

export interface RemindersResult {
  count: number;
  /** The minute all first reminders are due. */
  dueAt: string;
  /** Seconds between the last booking answer and the due minute. */
  leadSeconds: number;
  bookingErrors: number;
  /** Bookings answered only after the due minute (their reminder may rightly be skipped). */
  bookedLate: number;
  /** Booking texts out before the due minute (the rest still competed with the reminders). */
  bookingTextsBeforeDue: number;
  /** Lateness of each first reminder text (sandbox createdAt − due minute), milliseconds. */
  latenessMs?: Summary;
  sentOnce: number;
  duplicates: number;
  missing: number;
  /** Reminders created before the due minute. */
  early: number;
  waitEnded: string;
  /** CPU seconds per process from the due minute to the end of the wait. */
  cpuSeconds: CpuSpent;
}

export interface SteadyResult {
  rate: number;
  durationSeconds: number;
  posted: number;
  postErrors: number;
  /** Calls per second actually answered over the run. */
  achievedRate?: number;
  /** From each event's post to the sandbox createdAt of its text, milliseconds. */
  latencyMs?: Summary;
  missing: number;
  graceSeconds: number;
  /** When texts were missing after the grace period: seconds from the first event until all had come. */
  allTextedAfterSeconds?: number;
  /** CPU seconds per process from the first event to the end of the grace period. */
  cpuSeconds: CpuSpent;
}

export interface LifecycleResult extends HistoryCounts {
  workflows: number;
  seconds: number;
  executions: ExecutionCost[];
  steps: string[];
}

export interface MemoryPoint {
  open: number;
  /** Seconds waited after the last text for the worker to go quiet, and whether it did. */
  settleSeconds: number;
  quiet: boolean;
  workerRssMiB?: number;
  workerPeakMiB?: number;
  apiRssMiB?: number;
  temporalRssMiB?: number;
  /** Running executions on the server (all measures so far, service and baseline). */
  runningOnServer?: number;
}

export interface IdleCpu {
  open: number;
  seconds: number;
  cpuSeconds?: number;
  /** CPU time as a share of one core over the window. */
  percentOfCore?: number;
}

export interface MemoryResult {
  points: MemoryPoint[];
  idleCpu: IdleCpu[];
}

export interface Results {
  lifecycle?: PerSide<LifecycleResult>;
  ingest?: PerSide<IngestResult>;
  burst?: PerSide<BurstResult>;
  reminders?: PerSide<RemindersResult>;
  steady?: Array<PerSide<SteadyResult> & { rate: number }>;
  memory?: MemoryResult;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  temporalCli: string;
  gitCommit: string;
}

export interface TargetOutcome {
  name: string;
  target: string;
  measured: string;
  /** undefined: not measured in this run. */
  met?: boolean;
}

export interface BenchReport {
  machine: Machine;
  options: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  results: Results;
  targets: TargetOutcome[];
  sandboxListing: ListingStats;
  notes: string[];
  failed?: string;
}
