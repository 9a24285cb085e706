/** What every measure gets: the stack, the sandbox, both sides, options, progress and helpers. */
import { markCpu, type CpuMark } from './cpu';
import type { BenchOptions } from './options';
import type { Progress } from './progress';
import { textsByRecipient, type SandboxApi, type SandboxText } from './sandbox';
import type { Booking, PhoneBook, Side, SideName } from './sides';
import type { ReminderTimings, Stack } from './stack';

export interface BenchContext {
  stack: Stack;
  sandbox: SandboxApi;
  options: BenchOptions;
  progress: Progress;
  phones: PhoneBook;
  sides: Record<SideName, Side>;
  /** Makes appointment ids unique to this run. */
  runId: string;
  /** Notes the report prints under the table. */
  notes: string[];
  /** Bookings per second each side managed (ingested and texted) earlier in this run; plans lead times. */
  observedRate: Partial<Record<SideName, number>>;
}

/** Timings for measures whose appointments are far in the future (no reminder fires during the run). */
export const DEFAULT_TIMINGS: ReminderTimings = { first: '0003', second: '0002' };
export const FAR_FUTURE_MS = 30 * 24 * 3_600_000;

/** Records a rate a side reached; the slowest seen is kept (it plans how long bookings take). */
export function observeRate(ctx: BenchContext, side: SideName, perSecond: number | undefined): void {
  if (perSecond === undefined || !(perSecond > 0)) return;
  ctx.observedRate[side] = Math.min(ctx.observedRate[side] ?? Infinity, perSecond);
}

/** How long to wait for N texts before calling the rest missing: generous, since a stall ends it sooner. */
export function textTimeoutMs(count: number): number {
  return Math.max(300_000, count * 1_000);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function appointmentId(ctx: BenchContext, measure: string, side: SideName, index: number): string {
  return `${ctx.runId}-${measure}-${side === 'service' ? 's' : 'b'}${index}`;
}

export interface ConcurrentRun {
  startedMs: number;
  finishedMs: number;
  ok: number;
  errors: number;
  firstError?: string;
  /** Per call, milliseconds from its start to its answer (successful calls). */
  latenciesMs: number[];
  /** Per call index, epoch ms it was answered (undefined for a failed call). */
  answeredAtMs: Array<number | undefined>;
}

/** Runs `call(i)` for i < count with at most `concurrency` in flight, as fast as the calls answer. */
export async function runConcurrently(
  count: number,
  concurrency: number,
  call: (index: number) => Promise<void>,
  onProgress?: (done: number) => void,
): Promise<ConcurrentRun> {
  const run: ConcurrentRun = {
    startedMs: Date.now(),
    finishedMs: 0,
    ok: 0,
    errors: 0,
    latenciesMs: [],
    answeredAtMs: new Array<number | undefined>(count),
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= count) return;
      const started = performance.now();
      try {
        await call(index);
        run.ok += 1;
        run.latenciesMs.push(performance.now() - started);
        run.answeredAtMs[index] = Date.now();
      } catch (err) {
        run.errors += 1;
        run.firstError ??= err instanceof Error ? err.message : String(err);
      }
      onProgress?.(run.ok + run.errors);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  run.finishedMs = Date.now();
  return run;
}

export interface TextWait {
  byPhone: Map<string, SandboxText[]>;
  /** Whether `done` was reached (false: timed out or stalled). */
  complete: boolean;
  /** Why the wait ended early, if it did. */
  stoppedBecause?: string;
}

/**
 * Polls the sandbox until `progressOf` reaches `target`, or nothing changed for `stallMs`, or
 * `timeoutMs` passed. `progressOf` counts what is done in the texts grouped by recipient.
 */
export async function waitForTexts(
  ctx: BenchContext,
  what: string,
  target: number,
  progressOf: (byPhone: Map<string, SandboxText[]>) => number,
  { timeoutMs, stallMs, intervalMs = 1_000 }: { timeoutMs: number; stallMs: number; intervalMs?: number },
): Promise<TextWait> {
  const deadline = Date.now() + timeoutMs;
  let best = -1;
  let changedAt = Date.now();
  for (;;) {
    ctx.stack.assertAlive();
    const byPhone = textsByRecipient(await ctx.sandbox.messages());
    const done = progressOf(byPhone);
    if (done !== best) {
      best = done;
      changedAt = Date.now();
    }
    ctx.progress.tick(what, () => `${what}: ${done}/${target}`);
    if (done >= target) return { byPhone, complete: true };
    if (Date.now() > deadline) {
      return { byPhone, complete: false, stoppedBecause: `timeout after ${Math.round(timeoutMs / 1000)} s` };
    }
    if (Date.now() - changedAt > stallMs) {
      return { byPhone, complete: false, stoppedBecause: `no progress for ${Math.round(stallMs / 1000)} s` };
    }
    await sleep(intervalMs);
  }
}

/** Phones (of those given) that have at least `count` texts. */
export function phonesWithTexts(
  byPhone: Map<string, SandboxText[]>,
  phones: readonly string[],
  count = 1,
): number {
  let n = 0;
  for (const phone of phones) if ((byPhone.get(phone)?.length ?? 0) >= count) n += 1;
  return n;
}

/**
 * Waits, as long as texts to all of `phones` may take (a stall ends it sooner), until `target` of them have at
 * least `texts` texts each.
 */
export function untilPhonesTexted(
  ctx: BenchContext,
  what: string,
  target: number,
  phones: readonly string[],
  texts = 1,
): Promise<TextWait> {
  return waitForTexts(ctx, what, target, (byPhone) => phonesWithTexts(byPhone, phones, texts), {
    timeoutMs: textTimeoutMs(phones.length),
    stallMs: 60_000,
    intervalMs: 2_000,
  });
}

/** Bookings for appointments far in the future, on new phones (idle once their booking text is out). */
export function farFutureBookings(
  ctx: BenchContext,
  measure: string,
  side: SideName,
  count: number,
): Booking[] {
  const startMs = Math.ceil((Date.now() + FAR_FUTURE_MS) / 60_000) * 60_000;
  return Array.from({ length: count }, (_, index) => ({
    appointmentId: appointmentId(ctx, measure, side, index),
    phone: ctx.phones.allocate(),
    startMs,
    reminderAtMs: startMs - 3 * 60_000,
  }));
}

/**
 * A freshly started API (and an idle worker) pays for JIT compilation and connection set-up on its
 * first calls; a few untimed bookings, texted, put both sides on the same footing.
 */
export async function warmUp(ctx: BenchContext, measure: string, side: SideName, count = 10): Promise<void> {
  const bookings = farFutureBookings(ctx, `${measure}-warm`, side, count);
  const run = await runConcurrently(count, 5, (i) => ctx.sides[side].book(bookings[i] as Booking));
  if (run.errors > 0)
    throw new Error(`${measure}/${side} warm-up: ${run.errors} bookings failed: ${run.firstError}`);
  const phones = bookings.map((b) => b.phone);
  await waitForTexts(
    ctx,
    `${measure}/${side} warm-up texts`,
    count,
    (byPhone) => phonesWithTexts(byPhone, phones),
    {
      timeoutMs: 90_000,
      stallMs: 60_000,
      intervalMs: 500,
    },
  );
}

export interface PostedBookings {
  /** The bookings' phones, in posting order. */
  phones: string[];
  /** The side's CPU, marked just before the first post. */
  cpu: CpuMark;
  run: ConcurrentRun;
}

/**
 * What the burst and ingest measures time: a fresh API, warmed up, then `count` far-future BOOKED events (one
 * phone each) posted at `concurrency`, each lane as fast as its calls are answered.
 */
export async function postFarFutureBookings(
  ctx: BenchContext,
  measure: string,
  side: SideName,
  count: number,
  concurrency: number,
): Promise<PostedBookings> {
  await ctx.stack.restartApi(DEFAULT_TIMINGS, `${measure}-${side}`);
  await warmUp(ctx, measure, side);
  const bookings = farFutureBookings(ctx, measure, side, count);
  ctx.progress.line(`${measure}/${side}: ${count} BOOKED events at concurrency ${concurrency}`);
  const cpu = markCpu(ctx.stack, side);
  const run = await runConcurrently(
    count,
    concurrency,
    (i) => ctx.sides[side].book(bookings[i] as Booking),
    (done) =>
      ctx.progress.tick(`${measure}/${side}/post`, () => `${measure}/${side}: ${done}/${count} posted`),
  );
  return { phones: bookings.map((b) => b.phone), cpu, run };
}

/** The texts the sandbox holds now, grouped by recipient. */
export async function currentTexts(ctx: BenchContext): Promise<Map<string, SandboxText[]>> {
  ctx.stack.assertAlive();
  return textsByRecipient(await ctx.sandbox.messages());
}
