/**
 * Burst: N BOOKED events (far-future appointments, one phone each) handed over as fast as the
 * ingest allows at the fixed concurrency; texted/s = texted / (last booking text − first post).
 */
import { observeRate, postFarFutureBookings, untilPhonesTexted, type BenchContext } from '../context';
import { cpuSince } from '../cpu';
import type { BurstResult, PerSide } from '../results';
import { SIDES } from '../sides';

export async function measureBurst(ctx: BenchContext): Promise<PerSide<BurstResult>> {
  const { burst: count, concurrency } = ctx.options;
  const result: PerSide<BurstResult> = {};
  for (const side of SIDES) {
    const { phones, cpu, run } = await postFarFutureBookings(ctx, 'burst', side, count, concurrency);
    const wait = await untilPhonesTexted(ctx, `burst/${side}: booking texts`, run.ok, phones);
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
