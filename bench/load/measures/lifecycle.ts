/**
 * Cost of one typical lifecycle, alone on the server. Service: book, first and second reminder, the
 * patient replies "yes", acknowledgement text, EHR callback delivered, delivery reports settled.
 * Baseline: book → text → timer → text. Then every execution started or touched since the lifecycle
 * began is found through visibility (no assumption about workflow types or ids) and its full history
 * counted, once the histories have stopped growing.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { BASELINE_TASK_QUEUE } from '../baseline/shared';
import { appointmentId, sleep, type BenchContext } from '../context';
import {
  costOf,
  executionKey,
  historyLength,
  listExecutions,
  sumCosts,
  type ExecutionCost,
} from '../history';
import type { LifecycleResult, PerSide } from '../results';
import type { SandboxText } from '../sandbox';
import type { Booking, SideName } from '../sides';

/** Two reminders, 2 and 1 minutes before the appointment; the appointment 2 min 25 s after booking. */
const TIMINGS = { first: '0002', second: '0001' };
/** How long each expected effect may take (generous: the machine may be shared). */
const STEP_TIMEOUT_MS = 180_000;
const SETTLED = new Set(['delivered', 'undelivered', 'failed', 'canceled']);

export async function measureLifecycle(ctx: BenchContext): Promise<PerSide<LifecycleResult>> {
  const service = await serviceLifecycle(ctx);
  const baseline = await baselineLifecycle(ctx);
  return { service, baseline };
}

async function serviceLifecycle(ctx: BenchContext): Promise<LifecycleResult> {
  const { client } = ctx.stack;
  await ctx.stack.restartApi(TIMINGS, 'lifecycle');
  // Executions that already existed: counted only if the lifecycle adds to their history.
  const running = (await listExecutions(client, 'ExecutionStatus = "Running"')).filter(
    (info) => info.taskQueue !== BASELINE_TASK_QUEUE,
  );
  const lengthsBefore = new Map<string, number>();
  for (const info of running)
    lengthsBefore.set(executionKey(info), await historyLength(client, info.workflowId, info.runId));
  if (running.length > 0)
    ctx.progress.line(`lifecycle/service: ${running.length} executions were already running`);

  const log = stepLog(ctx, 'service');
  const { startedMs, steps, step } = log;
  const booking = await bookAndRemind(ctx, 'service', 25_000, log, 'first reminder');
  const { phone } = booking;
  await untilTexts(ctx, phone, 3, booking.startMs - 60_000 + STEP_TIMEOUT_MS - Date.now());
  step('second reminder');
  await ctx.sandbox.inbound(phone, 'yes');
  step('patient replied "yes"');
  await untilTexts(ctx, phone, 4, STEP_TIMEOUT_MS);
  step('acknowledgement text');
  await until(ctx, 'EHR callback', STEP_TIMEOUT_MS, async () =>
    (await ctx.sandbox.ehrCallbacks()).some((cb) => cb.body.appointment_id === booking.appointmentId),
  );
  step('EHR callback received');
  await untilSettled(ctx, phone);
  step('delivery reports settled');

  const costs = await stableCosts(ctx, 'lifecycle/service', async () => {
    const all = (await listExecutions(client)).filter((info) => info.taskQueue !== BASELINE_TASK_QUEUE);
    const touched: WorkflowExecutionInfo[] = [];
    for (const info of all) {
      const before = lengthsBefore.get(executionKey(info));
      if (before === undefined) {
        if (info.startTime.getTime() >= startedMs - 1_000) touched.push(info);
      } else if ((await historyLength(client, info.workflowId, info.runId)) > before) touched.push(info);
    }
    return touched;
  });
  step('histories stopped growing');
  return summarise(costs, startedMs, steps);
}

async function baselineLifecycle(ctx: BenchContext): Promise<LifecycleResult> {
  const log = stepLog(ctx, 'baseline');
  const { startedMs, steps, step } = log;
  const { phone } = await bookAndRemind(ctx, 'baseline', 15_000, log, 'reminder');
  await untilSettled(ctx, phone);
  step('delivery reports settled');
  const since = new Date(startedMs - 1_000).toISOString();
  const costs = await stableCosts(ctx, 'lifecycle/baseline', async () =>
    (await listExecutions(ctx.stack.client, `StartTime >= "${since}"`)).filter(
      (info) => info.taskQueue === BASELINE_TASK_QUEUE,
    ),
  );
  step('history stopped growing');
  return summarise(costs, startedMs, steps);
}

interface StepLog {
  startedMs: number;
  /** "<seconds since startedMs> s <step>", in order. */
  steps: string[];
  step(text: string): void;
}

/** The steps of one side's lifecycle, timed from now and shown as progress. */
function stepLog(ctx: BenchContext, side: SideName): StepLog {
  const startedMs = Date.now();
  const steps: string[] = [];
  const step = (text: string): void => {
    steps.push(`${((Date.now() - startedMs) / 1000).toFixed(1)} s ${text}`);
    ctx.progress.line(`lifecycle/${side}: ${text}`);
  };
  return { startedMs, steps, step };
}

/**
 * Books one appointment on `side`, its first reminder `leadMs` after the log's start and the appointment 2
 * minutes after that, then waits for the booking text and that reminder (logged as `reminderStep`).
 */
async function bookAndRemind(
  ctx: BenchContext,
  side: SideName,
  leadMs: number,
  { startedMs, step }: StepLog,
  reminderStep: string,
): Promise<Booking> {
  const phone = ctx.phones.allocate();
  const booking: Booking = {
    appointmentId: appointmentId(ctx, 'lifecycle', side, 0),
    phone,
    startMs: startedMs + 2 * 60_000 + leadMs,
    reminderAtMs: startedMs + leadMs,
  };
  await ctx.sides[side].book(booking);
  step('booked');
  await untilTexts(ctx, phone, 1, STEP_TIMEOUT_MS);
  step('booking text');
  await untilTexts(ctx, phone, 2, booking.reminderAtMs + STEP_TIMEOUT_MS - Date.now());
  step(reminderStep);
  return booking;
}

function summarise(costs: ExecutionCost[], startedMs: number, steps: string[]): LifecycleResult {
  return {
    workflows: costs.length,
    ...sumCosts(costs),
    seconds: (Date.now() - startedMs) / 1000,
    executions: costs,
    steps,
  };
}

/** Re-reads every selected history every 3 s until two readings in a row are the same. */
async function stableCosts(
  ctx: BenchContext,
  label: string,
  select: () => Promise<WorkflowExecutionInfo[]>,
): Promise<ExecutionCost[]> {
  const deadline = Date.now() + 120_000;
  let previous = '';
  for (;;) {
    const costs = await Promise.all((await select()).map((info) => costOf(ctx.stack.client, info)));
    const signature = costs
      .map((cost) => `${executionKey(cost)}:${cost.events}`)
      .sort()
      .join(',');
    if (signature === previous && costs.length > 0) return costs;
    if (Date.now() > deadline) {
      ctx.notes.push(`${label}: histories were still growing after 120 s; counted as they were`);
      return costs;
    }
    previous = signature;
    ctx.progress.line(
      `${label}: ${costs.length} executions, ${costs.reduce((n, c) => n + c.events, 0)} events so far`,
    );
    await sleep(3_000);
  }
}

async function until(
  ctx: BenchContext,
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + Math.max(timeoutMs, 5_000);
  for (;;) {
    ctx.stack.assertAlive();
    if (await probe()) return;
    if (Date.now() > deadline)
      throw new Error(`lifecycle: no ${what} within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(500);
  }
}

async function textsTo(ctx: BenchContext, phone: string): Promise<SandboxText[]> {
  return (await ctx.sandbox.messages()).filter((text) => text.to === phone);
}

function untilTexts(ctx: BenchContext, phone: string, count: number, timeoutMs: number): Promise<void> {
  return until(ctx, `text #${count}`, timeoutMs, async () => (await textsTo(ctx, phone)).length >= count);
}

function untilSettled(ctx: BenchContext, phone: string): Promise<void> {
  return until(ctx, 'settled delivery reports', 60_000, async () =>
    (await textsTo(ctx, phone)).every((text) => SETTLED.has(text.status)),
  );
}
