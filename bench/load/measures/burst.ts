/**
 * Burst: N BOOKED events (far-future appointments, one phone each) handed over as fast as the
 * ingest allows at the fixed concurrency; texted/s = texted / (last booking text − first post).
 */
import {
  DEFAULT_TIMINGS,
  farFutureBookings,
  phonesWithTexts,
  observeRate,
  runConcurrently,
  textTimeoutMs,
  waitForTexts,
  warmUp,
  type BenchContext,
} from '../context';
import { cpuSince, markCpu } from '../cpu';
import type { BurstResult, PerSide } from '../results';
import { SIDES, type Booking } from '../sides';

export async function measureBurst(ctx: BenchContext): Promise<PerSide<BurstResult>> {
  const { burst: count, concurrency } = ctx.options;
  const result: PerSide<BurstResult> = {};
  for (const side of SIDES) {
    await ctx.stack.restartApi(DEFAULT_TIMINGS, `burst-${side}`);
    await warmUp(ctx, 'burst', side);
    const bookings = farFutureBookings(ctx, 'burst', side, count);
    const phones = bookings.map((b) => b.phone);
    ctx.progress.line(`burst/${side}: ${count} BOOKED events at concurrency ${concurrency}`);
    const cpu = markCpu(ctx.stack, side);
    const run = await runConcurrently(
      count,
      concurrency,
      (i) => ctx.sides[side].book(bookings[i] as Booking),
      (done) => ctx.progress.tick(`burst/${side}/post`, () => `burst/${side}: ${done}/${count} posted`),
    );
    const wait = await waitForTexts(
      ctx,
      `burst/${side}: booking texts`,
      run.ok,
      (byPhone) => phonesWithTexts(byPhone, phones),
      { timeoutMs: textTimeoutMs(count), stallMs: 60_000, intervalMs: 2_000 },
    );
    const cpuSeconds = cpuSince(ctx.stack, side, cpu);
    let texted = 0;
    let lastTextMs = 0;
    for (const phone of phones) {
      const first = wait.byPhone.get(phone)?.[0];
      if (first === undefined) continue;
      texted += 1;
      lastTextMs = Math.max(lastTextMs, first.createdMs);
    }
    const seconds = texted > 0 ? (lastTextMs - run.startedMs) / 1000 : undefined;
    result[side] = {
      count,
      concurrency,
      postSeconds: (run.finishedMs - run.startedMs) / 1000,
      postErrors: run.errors,
      texted,
      missing: count - texted,
      ...(seconds === undefined || seconds <= 0 ? {} : { seconds, textedPerSecond: texted / seconds }),
      waitEnded: wait.complete ? 'all texted' : (wait.stoppedBecause ?? 'stopped'),
      cpuSeconds,
    };
    observeRate(ctx, side, result[side]?.textedPerSecond);
    ctx.progress.line(
      `burst/${side}: ${texted}/${count} texted in ${seconds?.toFixed(1) ?? '-'} s = ${result[side]?.textedPerSecond?.toFixed(1) ?? '-'}/s`,
    );
  }
  return result;
}
