/**
 * Ingest: N BOOKED events posted to the API at a fixed client concurrency, against N bare
 * signal-with-starts of the baseline workflow at the same concurrency. Events per second, end to end
 * from the first call to the last answer.
 */
import {
  DEFAULT_TIMINGS,
  farFutureBookings,
  observeRate,
  phonesWithTexts,
  runConcurrently,
  textTimeoutMs,
  waitForTexts,
  warmUp,
  type BenchContext,
} from '../context';
import { cpuSince, markCpu } from '../cpu';
import type { IngestResult, PerSide } from '../results';
import { SIDES, type Booking } from '../sides';
import { perSecond, summarize } from '../stats';

export async function measureIngest(ctx: BenchContext): Promise<PerSide<IngestResult>> {
  const { ingest: count, concurrency } = ctx.options;
  const result: PerSide<IngestResult> = {};
  for (const side of SIDES) {
    await ctx.stack.restartApi(DEFAULT_TIMINGS, `ingest-${side}`);
    await warmUp(ctx, 'ingest', side);
    const bookings = farFutureBookings(ctx, 'ingest', side, count);
    ctx.progress.line(`ingest/${side}: ${count} bookings at concurrency ${concurrency}`);
    const cpu = markCpu(ctx.stack, side);
    const run = await runConcurrently(
      count,
      concurrency,
      (i) => ctx.sides[side].book(bookings[i] as Booking),
      (done) => ctx.progress.tick(`ingest/${side}`, () => `ingest/${side}: ${done}/${count} answered`),
    );
    const elapsedMs = run.finishedMs - run.startedMs;
    result[side] = {
      count,
      concurrency,
      seconds: elapsedMs / 1000,
      perSecond: perSecond(run.ok, elapsedMs),
      errors: run.errors,
      ...(run.firstError === undefined ? {} : { firstError: run.firstError }),
      callMs: summarize(run.latenciesMs),
      cpuSeconds: cpuSince(ctx.stack, side, cpu),
    };
    ctx.progress.line(
      `ingest/${side}: ${run.ok} accepted in ${(elapsedMs / 1000).toFixed(1)} s = ${result[side]?.perSecond?.toFixed(1)}/s, ${run.errors} errors`,
    );
    observeRate(ctx, side, result[side]?.perSecond);
    // The texts these bookings cause go out before the next measure starts.
    const phones = bookings.map((b) => b.phone);
    await waitForTexts(
      ctx,
      `ingest/${side}: booking texts draining`,
      run.ok,
      (byPhone) => phonesWithTexts(byPhone, phones),
      { timeoutMs: textTimeoutMs(count), stallMs: 60_000, intervalMs: 2_000 },
    );
  }
  return result;
}
