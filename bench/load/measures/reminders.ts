/**
 * Reminder lateness: N appointments booked so that every first reminder is due in the same
 * minute M, a few minutes ahead; lateness = sandbox createdAt of the reminder text − M. The service
 * runs with its second reminder off (0000) so that every later text to a phone is either its one
 * reminder or a duplicate; the baseline has one timer to M, then one text.
 */
import {
  currentTexts,
  phonesWithTexts,
  runConcurrently,
  sleep,
  waitForTexts,
  warmUp,
  appointmentId,
  type BenchContext,
  untilPhonesTexted,
} from '../context';
import { cpuSince, markCpu } from '../cpu';
import { reminderOutcome } from '../reminderTexts';
import type { PerSide, RemindersResult } from '../results';
import { SIDES, type Booking } from '../sides';
import { summarize } from '../stats';

/** First reminder 5 minutes before the appointment; no second one (see above). */
const TIMINGS = { first: '0005', second: '0000' };
const FIRST_OFFSET_MS = 5 * 60_000;
/** Bookings (and their texts) per second assumed when no earlier measure of this run observed one. */
const ASSUMED_RATE = 5;

export async function measureReminders(ctx: BenchContext): Promise<PerSide<RemindersResult>> {
  const { reminders: count, concurrency } = ctx.options;
  const result: PerSide<RemindersResult> = {};
  for (const side of SIDES) {
    await ctx.stack.restartApi(TIMINGS, `reminders-${side}`);
    await warmUp(ctx, 'reminders', side);
    // Far enough ahead that every booking and its booking text are done before M.
    const rate = Math.max(0.5, ctx.observedRate[side] ?? ASSUMED_RATE);
    const leadMs = Math.max(60_000, (count / rate) * 1_250 + 45_000);
    const dueMs = Math.ceil((Date.now() + leadMs) / 60_000) * 60_000;
    const bookings: Booking[] = Array.from({ length: count }, (_, index) => ({
      appointmentId: appointmentId(ctx, 'reminders', side, index),
      phone: ctx.phones.allocate(),
      startMs: dueMs + FIRST_OFFSET_MS,
      reminderAtMs: dueMs,
    }));
    const phones = bookings.map((b) => b.phone);
    ctx.progress.line(
      `reminders/${side}: booking ${count}, all first reminders due at ${new Date(dueMs).toISOString()}`,
    );
    const run = await runConcurrently(
      count,
      concurrency,
      (i) => ctx.sides[side].book(bookings[i] as Booking),
      (done) =>
        ctx.progress.tick(`reminders/${side}/post`, () => `reminders/${side}: ${done}/${count} booked`),
    );
    const bookedLate = run.answeredAtMs.filter((at) => at !== undefined && at >= dueMs).length;
    const untilDue = Math.max(0, dueMs - Date.now() - 5_000);
    const booked = await waitForTexts(
      ctx,
      `reminders/${side}: booking texts`,
      run.ok,
      (byPhone) => phonesWithTexts(byPhone, phones),
      {
        timeoutMs: untilDue,
        stallMs: untilDue,
        intervalMs: 2_000,
      },
    );
    const wait = Math.max(0, dueMs - Date.now());
    ctx.progress.line(`reminders/${side}: waiting ${Math.round(wait / 1000)} s for the due minute`);
    await sleep(wait);
    const cpu = markCpu(ctx.stack, side);
    const done = await untilPhonesTexted(ctx, `reminders/${side}: reminder texts`, run.ok, phones, 2);
    const cpuSeconds = cpuSince(ctx.stack, side, cpu);
    // Duplicates come from retries and redeliveries, seconds later: look again after a while.
    await sleep(10_000);
    const final = await currentTexts(ctx);
    const lateness: number[] = [];
    let sentOnce = 0;
    let duplicates = 0;
    let missing = 0;
    let early = 0;
    for (const phone of phones) {
      const outcome = reminderOutcome(final.get(phone) ?? []);
      duplicates += outcome.duplicates;
      if (outcome.reminderMs === undefined) {
        missing += 1;
        continue;
      }
      lateness.push(outcome.reminderMs - dueMs);
      if (outcome.reminderMs < dueMs) early += 1;
      if (outcome.duplicates === 0 && outcome.unexpected === 0) sentOnce += 1;
    }
    const latenessMs = summarize(lateness);
    result[side] = {
      count,
      dueAt: new Date(dueMs).toISOString(),
      leadSeconds: (dueMs - run.finishedMs) / 1000,
      bookingErrors: run.errors,
      bookedLate,
      bookingTextsBeforeDue: phonesWithTexts(booked.byPhone, phones),
      ...(latenessMs === undefined ? {} : { latenessMs }),
      sentOnce,
      duplicates,
      missing,
      early,
      waitEnded: done.complete ? 'all reminders seen' : (done.stoppedBecause ?? 'stopped'),
      cpuSeconds,
    };
    ctx.progress.line(
      `reminders/${side}: ${sentOnce}/${count} sent once, lateness p50 ${fmtS(latenessMs?.p50)} p99 ${fmtS(latenessMs?.p99)} max ${fmtS(latenessMs?.max)}, ${duplicates} duplicates, ${missing} missing`,
    );
  }
  return result;
}

const fmtS = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
