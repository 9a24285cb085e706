/**
 * Ingest: N BOOKED events posted to the API at a fixed client concurrency, against N bare
 * signal-with-starts of the baseline workflow at the same concurrency. Events per second, end to end
 * from the first call to the last answer.
 */
import { observeRate, postFarFutureBookings, untilPhonesTexted, type BenchContext } from '../context';
import { cpuSince } from '../cpu';
import type { IngestResult, PerSide } from '../results';
import { SIDES } from '../sides';
import { perSecond, summarize } from '../stats';

export async function measureIngest(ctx: BenchContext): Promise<PerSide<IngestResult>> {
  const { ingest: count, concurrency } = ctx.options;
  const result: PerSide<IngestResult> = {};
  for (const side of SIDES) {
    const { phones, cpu, run } = await postFarFutureBookings(ctx, 'ingest', side, count, concurrency);
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
    await untilPhonesTexted(ctx, `ingest/${side}: booking texts draining`, run.ok, phones);
  }
  return result;
}
