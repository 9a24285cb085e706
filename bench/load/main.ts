/**
 * `npm run bench:load`: the service beside a minimal baseline on one Temporal dev server the bench
 * starts itself. Prints a table and writes JSON to bench/results/load-latest.json. See --help and
 * bench/load/README-section.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext } from './context';
import { describeMachine } from './machine';
import { measureBurst } from './measures/burst';
import { measureIngest } from './measures/ingest';
import { measureLifecycle } from './measures/lifecycle';
import { measureMemory } from './measures/memory';
import { measureReminders } from './measures/reminders';
import { measureSteady } from './measures/steady';
import { HELP, OptionsError, parseOptions, type BenchOptions, type MeasureName } from './options';
import { killAllNow } from './processes';
import { Progress } from './progress';
import { evaluateTargets, renderReport } from './report';
import type { BenchReport, Results } from './results';
import { SandboxApi } from './sandbox';
import { baselineSide, PhoneBook, serviceSide } from './sides';
import { PROJECT_ROOT, Stack } from './stack';

const RESULTS_FILE = path.join(PROJECT_ROOT, 'bench', 'results', 'load-latest.json');

const STANDING_NOTES = [
  "Baseline: signal-with-start → text → timer → text, with ordinary (not local) activities, the plain Temporal idiom; its texts take the same path as the service's (the real twilio SDK → the API's sandbox Twilio emulation) but ask for no delivery reports.",
  'Each measure runs once per side against a freshly restarted API with an empty sandbox store, after 10 untimed warm-up bookings, so no measure pays for the messages another left in the sandbox store.',
  'Reminders: the service runs with REMINDER_FIRST_TIMING=0005 and SECOND=0000, so every later text to a phone is its one reminder or a duplicate; the lifecycle uses 0002/0001 (two reminders), the others 0003/0002 with appointments 30 days ahead.',
  'Lifecycle runs first, alone on the server; appointment workflows stay open until their retention period (72 h) ends, and those closing events are not counted.',
  "Text times are the sandbox createdAt (API process clock) against the bench clock, same machine. Every process (bench, Temporal, API, both workers) shares this machine's cores.",
];

function reportOptions(options: BenchOptions): Record<string, unknown> {
  const { quick, ingest, burst, reminders, rates, duration, idle, idleCpuSeconds, concurrency, only } =
    options;
  return { quick, ingest, burst, reminders, rates, duration, idle, idleCpuSeconds, concurrency, only };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof OptionsError) {
      console.error(`${err.message}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }

  const progress = new Progress();
  const startedAt = new Date();
  let stack: Stack | undefined;
  // `on`, not `once`: a Ctrl-C reaches us twice (from the terminal and relayed by the tsx CLI), and a
  // signal without a handler would kill us before the children are stopped.
  let signalled = 0;
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    signalled += 1;
    if (signalled > 1) {
      if (signalled > 3) {
        killAllNow();
        process.exit(130);
      }
      return;
    }
    progress.line(`${signal}: stopping every process the bench started (a third Ctrl-C kills them at once)`);
    const stopped = stack?.stop() ?? Promise.resolve();
    void stopped.finally(() => {
      killAllNow();
      if (stack && !options.keep) stack.removeWorkDir();
      process.exit(130);
    });
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);

  const results: Results = {};
  const notes = [...STANDING_NOTES];
  const sandbox = new SandboxApi(() => stack?.apiOrigin ?? '');
  const failures: string[] = [];
  const machine = describeMachine(PROJECT_ROOT);
  try {
    progress.line(`starting the stack (measures: ${options.only.join(', ')})`);
    stack = await Stack.start(progress);
    machine.temporalCli = stack.temporalVersion;
    const current = stack;
    const ctx: BenchContext = {
      stack: current,
      sandbox,
      options,
      progress,
      phones: new PhoneBook(),
      sides: { service: serviceSide(() => current.apiOrigin), baseline: baselineSide(current.client) },
      runId: `BL${startedAt.getTime().toString(36)}`,
      notes,
      observedRate: {},
    };
    for (const measure of options.only) {
      progress.line(`== ${measure}`);
      try {
        await runMeasure(measure, ctx, results);
      } catch (err) {
        // One measure failing (e.g. a text that never came) does not lose the others, unless the stack died.
        const message = err instanceof Error ? err.message : String(err);
        failures.push(`${measure}: ${message}`);
        progress.line(`${measure} FAILED: ${message}`);
        current.assertAlive();
      }
    }
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
    progress.line(`FAILED: ${failures[failures.length - 1] ?? ''}`);
  } finally {
    progress.line('stopping the stack');
    await stack?.stop().catch((err: unknown) => progress.line(`stop failed: ${String(err)}`));
    if (stack && failures.length === 0 && !options.keep) stack.removeWorkDir();
    else if (stack) progress.line(`logs and data kept in ${stack.workDir}`);
  }

  const finishedAt = new Date();
  machine.loadAverageAtEnd = os.loadavg();
  const report: BenchReport = {
    machine,
    options: reportOptions(options),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    results,
    targets: evaluateTargets(results),
    sandboxListing: sandbox.listing,
    notes,
    ...(failures.length === 0 ? {} : { failed: failures.join('\n') }),
  };
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  const json = JSON.stringify(report, null, 2);
  writeFileSync(RESULTS_FILE, `${json}\n`);
  // JSON first, the table last: the table is what stays on screen.
  console.log(`\n${json}`);
  console.log(renderReport(report));
  console.log(`JSON written to ${path.relative(process.cwd(), RESULTS_FILE)}`);
  return failures.length === 0 ? 0 : 1;
}

async function runMeasure(measure: MeasureName, ctx: BenchContext, results: Results): Promise<void> {
  switch (measure) {
    case 'lifecycle':
      results.lifecycle = await measureLifecycle(ctx);
      break;
    case 'ingest':
      results.ingest = await measureIngest(ctx);
      break;
    case 'burst':
      results.burst = await measureBurst(ctx);
      break;
    case 'reminders':
      results.reminders = await measureReminders(ctx);
      break;
    case 'steady':
      results.steady = await measureSteady(ctx);
      break;
    case 'memory':
      results.memory = await measureMemory(ctx);
      break;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    killAllNow();
    process.exit(1);
  },
);
