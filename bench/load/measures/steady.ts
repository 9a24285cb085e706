/**
 * Event → text latency at a steady rate: BOOKED events (new appointment, new phone each) handed over
 * open-loop at R per second for D seconds; latency = sandbox createdAt of the booking text − the
 * moment the event was sent. Texts not there a grace period after the last event are missing.
 * Afterwards the backlog (if any) drains, unmeasured, so it does not load the next run.
 */
import {
  DEFAULT_TIMINGS,
  farFutureBookings,
  phonesWithTexts,
  sleep,
  waitForTexts,
  warmUp,
  type BenchContext,
  untilPhonesTexted,
} from '../context';
import { cpuSince, markCpu } from '../cpu';
import type { PerSide, SteadyResult } from '../results';
import { SIDES, type Booking, type SideName } from '../sides';
import { summarize } from '../stats';

export async function measureSteady(
  ctx: BenchContext,
): Promise<Array<PerSide<SteadyResult> & { rate: number }>> {
  const results: Array<PerSide<SteadyResult> & { rate: number }> = [];
  for (const rate of ctx.options.rates) {
    const atRate: PerSide<SteadyResult> & { rate: number } = { rate };
    for (const side of SIDES) atRate[side] = await steadyRun(ctx, side, rate);
    results.push(atRate);
  }
  return results;
}

/** Open loop, but bounded: past this many unanswered calls the sender waits (the achieved rate drops). */
const MAX_IN_FLIGHT = 500;

function graceSeconds(duration: number): number {
  return Math.max(15, Math.min(30, duration));
}

async function steadyRun(ctx: BenchContext, side: SideName, rate: number): Promise<SteadyResult> {
  const { duration } = ctx.options;
  const grace = graceSeconds(duration);
  await ctx.stack.restartApi(DEFAULT_TIMINGS, `steady${rate}-${side}`);
  await warmUp(ctx, `steady${rate}`, side);
  const count = Math.round(rate * duration);
  const bookings = farFutureBookings(ctx, `steady${rate}`, side, count);
  const phones = bookings.map((b) => b.phone);
  const sentAt: number[] = [];
  const calls: Array<Promise<boolean>> = [];
  let inFlight = 0;
  ctx.progress.line(`steady/${side}: ${rate} events/s for ${duration} s`);
  const cpu = markCpu(ctx.stack, side);
  const startMs = Date.now() + 50;
  for (let i = 0; i < count; i++) {
    const due = startMs + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= MAX_IN_FLIGHT) await sleep(10);
    sentAt[i] = Date.now();
    inFlight += 1;
    // Open loop: the next event does not wait for this one's answer.
    calls.push(
      ctx.sides[side]
        .book(bookings[i] as Booking)
        .then(
          () => true,
          () => false,
        )
        .finally(() => {
          inFlight -= 1;
        }),
    );
    ctx.progress.tick(`steady/${side}/post`, () => `steady/${side} ${rate}/s: ${i + 1}/${count} sent`);
  }
  const answered = await Promise.all(calls);
  const answeredMs = Date.now();
  const lastSentMs = sentAt[sentAt.length - 1] ?? Date.now();
  const postErrors = answered.filter((ok) => !ok).length;
  const remaining = Math.max(0, lastSentMs + grace * 1000 - Date.now());
  const wait = await waitForTexts(
    ctx,
    `steady/${side} ${rate}/s: texts`,
    count - postErrors,
    (byPhone) => phonesWithTexts(byPhone, phones),
    { timeoutMs: remaining, stallMs: remaining, intervalMs: 2_000 },
  );
  const cpuSeconds = cpuSince(ctx.stack, side, cpu);
  const latencies: number[] = [];
  phones.forEach((phone, i) => {
    const text = wait.byPhone.get(phone)?.[0];
    const sent = sentAt[i];
    if (text !== undefined && sent !== undefined) latencies.push(text.createdMs - sent);
  });
  const latencyMs = summarize(latencies);
  const missing = count - latencies.length;
  let allTextedAfterSeconds: number | undefined;
  if (missing > postErrors) {
    const drained = await untilPhonesTexted(
      ctx,
      `steady/${side} ${rate}/s: backlog draining (not measured)`,
      count - postErrors,
      phones,
    );
    if (drained.complete) allTextedAfterSeconds = (Date.now() - startMs) / 1000;
  }
  const result: SteadyResult = {
    rate,
    durationSeconds: duration,
    posted: count,
    postErrors,
    achievedRate: (count - postErrors) / ((answeredMs - startMs) / 1000),
    ...(latencyMs === undefined ? {} : { latencyMs }),
    missing,
    ...(allTextedAfterSeconds === undefined ? {} : { allTextedAfterSeconds }),
    graceSeconds: grace,
    cpuSeconds,
  };
  ctx.progress.line(
    `steady/${side} ${rate}/s: latency p50 ${latencyMs?.p50.toFixed(0) ?? '-'} ms p99 ${latencyMs?.p99.toFixed(0) ?? '-'} ms, ${result.missing} missing, ${postErrors} post errors`,
  );
  return result;
}
