/**
 * Worker memory and idle CPU: a fresh service worker's RSS (VmRSS) with 0 open appointments, then
 * after booking appointments far in the future (so they sit idle) up to each level; and the worker's
 * CPU time (utime + stime) over a window of idleness with 0 and with the most appointments open.
 * A booking's work does not end with its text (delivery reports, snapshots follow), so each reading
 * waits until the worker has gone quiet (or a cap passes) rather than assuming it.
 */
import {
  DEFAULT_TIMINGS,
  farFutureBookings,
  runConcurrently,
  sleep,
  type BenchContext,
  untilPhonesTexted,
} from '../context';
import { readCpuSeconds, readMemory } from '../processes';
import type { IdleCpu, MemoryPoint, MemoryResult } from '../results';
import type { Booking } from '../sides';

/** Texts per sandbox store: rotated so the API's in-memory index (not the worker) stays small. */
const BATCH = 2_000;
/** The worker is quiet when it used less than this share of a core over a QUIET_WINDOW_MS window. */
const QUIET_SHARE = 0.05;
const QUIET_WINDOW_MS = 5_000;

export async function measureMemory(ctx: BenchContext): Promise<MemoryResult> {
  const settleMs = ctx.options.quick ? 5_000 : 10_000;
  const points: MemoryPoint[] = [];
  const idleCpu: IdleCpu[] = [];
  await ctx.stack.restartApi(DEFAULT_TIMINGS, 'memory-0');
  await ctx.stack.restartWorker();
  let settled = await untilQuiet(ctx, settleMs);
  points.push(await reading(ctx, 0, settled));
  idleCpu.push(await idleCpuOver(ctx, 0));

  let open = 0;
  let batch = 0;
  for (const level of ctx.options.idle) {
    while (open < level) {
      const count = Math.min(BATCH, level - open);
      if (batch > 0) {
        await sleep(3_000); // the last delivery reports of the previous batch reach the API first
        await ctx.stack.restartApi(DEFAULT_TIMINGS, `memory-${batch}`);
      }
      batch += 1;
      const bookings = farFutureBookings(ctx, `memory${batch}`, 'service', count);
      const phones = bookings.map((b) => b.phone);
      const label = `memory: booking ${open + 1}-${open + count} of ${level}`;
      const run = await runConcurrently(
        count,
        ctx.options.concurrency,
        (i) => ctx.sides.service.book(bookings[i] as Booking),
        (done) => ctx.progress.tick('memory/post', () => `${label}: ${done}/${count} posted`),
      );
      if (run.errors > 0) ctx.notes.push(`memory: ${run.errors} bookings failed (${run.firstError ?? ''})`);
      const wait = await untilPhonesTexted(ctx, `${label}: texts`, run.ok, phones);
      if (!wait.complete)
        ctx.notes.push(`memory: batch ${batch} texts incomplete (${wait.stoppedBecause ?? ''})`);
      open += run.ok;
    }
    settled = await untilQuiet(ctx, settleMs);
    points.push(await reading(ctx, open, settled));
    ctx.progress.line(
      `memory: ${open} open, worker RSS ${points[points.length - 1]?.workerRssMiB?.toFixed(0) ?? '-'} MiB`,
    );
  }
  if (open > 0) idleCpu.push(await idleCpuOver(ctx, open));
  return { points, idleCpu };
}

interface Settled {
  seconds: number;
  quiet: boolean;
}

/** At least `minMs`, then until the worker's CPU over the last window is under QUIET_SHARE (cap 3 min). */
async function untilQuiet(ctx: BenchContext, minMs: number): Promise<Settled> {
  const started = Date.now();
  await sleep(minMs);
  const capMs = 180_000;
  for (;;) {
    const pid = ctx.stack.pids.worker;
    const before = pid === undefined ? undefined : readCpuSeconds(pid);
    await sleep(QUIET_WINDOW_MS);
    ctx.stack.assertAlive();
    const after = pid === undefined ? undefined : readCpuSeconds(pid);
    const share =
      before === undefined || after === undefined ? 0 : (after - before) / (QUIET_WINDOW_MS / 1000);
    const seconds = (Date.now() - started) / 1000;
    if (share < QUIET_SHARE) return { seconds, quiet: true };
    if (Date.now() - started > capMs) {
      ctx.notes.push(
        `memory: the worker was still busy (${(share * 100).toFixed(0)}% of a core) after ${Math.round(seconds)} s; read anyway`,
      );
      return { seconds, quiet: false };
    }
    ctx.progress.tick(
      'memory/quiet',
      () => `memory: waiting for the worker to go quiet (${(share * 100).toFixed(0)}% of a core)`,
    );
  }
}

async function reading(ctx: BenchContext, open: number, settled: Settled): Promise<MemoryPoint> {
  const { pids } = ctx.stack;
  const worker = pids.worker === undefined ? undefined : readMemory(pids.worker);
  const api = pids.api === undefined ? undefined : readMemory(pids.api);
  const server = readMemory(pids.temporal);
  const running = await ctx.stack.client.workflow.count('ExecutionStatus = "Running"').catch(() => undefined);
  return {
    open,
    settleSeconds: settled.seconds,
    quiet: settled.quiet,
    ...(worker ? { workerRssMiB: worker.rssMiB, workerPeakMiB: worker.peakMiB } : {}),
    ...(api ? { apiRssMiB: api.rssMiB } : {}),
    ...(server ? { temporalRssMiB: server.rssMiB } : {}),
    ...(running ? { runningOnServer: running.count } : {}),
  };
}

async function idleCpuOver(ctx: BenchContext, open: number): Promise<IdleCpu> {
  const seconds = ctx.options.idleCpuSeconds;
  const pid = ctx.stack.pids.worker;
  ctx.progress.line(`memory: worker CPU over ${seconds} s idle with ${open} open`);
  const before = pid === undefined ? undefined : readCpuSeconds(pid);
  await sleep(seconds * 1000);
  ctx.stack.assertAlive();
  const after = pid === undefined ? undefined : readCpuSeconds(pid);
  if (before === undefined || after === undefined) return { open, seconds };
  const cpuSeconds = after - before;
  return { open, seconds, cpuSeconds, percentOfCore: (cpuSeconds / seconds) * 100 };
}
