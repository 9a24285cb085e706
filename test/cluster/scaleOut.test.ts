/**
 * Scale-out on the cluster profile (ARCHITECTURE §10): two worker processes and two API processes
 * on a multi-service Temporal server backed by PostgreSQL. 1,000 appointments are posted through
 * both APIs in turn; one worker is killed with SIGKILL mid-burst; every booking text and every
 * first reminder must reach its patient exactly once.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { runConcurrently } from '../../bench/load/context';
import { SandboxApi, textsByRecipient, type SandboxText } from '../../bench/load/sandbox';
import { PhoneBook, serviceSide, type Booking } from '../../bench/load/sides';
import { PROJECT_ROOT } from '../../bench/load/stack';
import { summarize } from '../../bench/load/stats';
import { startClusterProfile, type ClusterProfile } from '../../src/cluster/profile';
import { appointmentWorkflowId } from '../../src/shared/appointment';
import { ServiceFleet, type WorkerProcess } from './serviceFleet';
import { textsSentBy } from './workerMetrics';

/** CLUSTER_TEST_APPOINTMENTS shrinks the burst for a quick local run; CI runs the full 1,000. */
const APPOINTMENTS = Number(process.env.CLUSTER_TEST_APPOINTMENTS ?? 1_000);
const CONCURRENCY = 16;
/**
 * Each appointment starts 5 minutes after it is posted and its first reminder is due 2 minutes
 * before that: 3 minutes after its post, so the burst's booking texts (~7-15 per second on 2
 * shared cores) are out before the reminders fall due. No second reminder: every later text to a
 * phone is its one reminder or a duplicate.
 */
const REMINDER_LEAD_MS = 3 * 60_000;
const REMINDER_SETTINGS = {
  REMINDER_FIRST_TIMING: '0002',
  REMINDER_SECOND_TIMING: '0000',
  REMINDER_OUTREACH_START: '0000',
  REMINDER_OUTREACH_FINISH: '2400',
};
const FIRST_TIMING_MS = 2 * 60_000;

const started = Date.now();
function say(line: string): void {
  const s = Math.round((Date.now() - started) / 1000);
  process.stdout.write(
    `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${line}\n`,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The workflow bundle, built once for both workers (each would otherwise run webpack at start-up). */
function buildWorkflowBundle(out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/temporal/buildWorkflowBundle.ts', out],
      { cwd: PROJECT_ROOT },
      (err, _stdout, stderr) => (err ? reject(new Error(`workflow bundle: ${stderr}`)) : resolve()),
    );
  });
}

interface PhoneOutcome {
  bookingTexts: number;
  reminderTexts: number;
  otherTexts: number;
  bookingMs?: number;
  reminderMs?: number;
}

/**
 * Pure: one phone's texts, told apart without the templates: texts with one body are copies of one
 * message; the message first sent before the reminder was due is the booking text, the next one
 * the reminder, anything else is unexpected.
 */
function outcomeOf(texts: readonly SandboxText[], reminderDueMs: number): PhoneOutcome {
  const groups = new Map<string, { count: number; firstMs: number }>();
  for (const text of texts) {
    const group = groups.get(text.body);
    if (group) {
      group.count += 1;
      group.firstMs = Math.min(group.firstMs, text.createdMs);
    } else groups.set(text.body, { count: 1, firstMs: text.createdMs });
  }
  const outcome: PhoneOutcome = { bookingTexts: 0, reminderTexts: 0, otherTexts: 0 };
  for (const group of [...groups.values()].sort((a, b) => a.firstMs - b.firstMs)) {
    // A timer may fire a moment early; a booking text is sent long before the reminder is due.
    if (
      outcome.bookingMs === undefined &&
      outcome.reminderMs === undefined &&
      group.firstMs < reminderDueMs - 1_000
    ) {
      outcome.bookingTexts = group.count;
      outcome.bookingMs = group.firstMs;
    } else if (outcome.reminderMs === undefined) {
      outcome.reminderTexts = group.count;
      outcome.reminderMs = group.firstMs;
    } else outcome.otherTexts += group.count;
  }
  return outcome;
}

/** Plain `npm test` finds this file too: it runs only under `npm run test:cluster` (whose global setup builds the server). */
const describeOnCluster = process.env.CLUSTER_PROFILE_TESTS === '1' ? describe : describe.skip;

describeOnCluster('scale-out on the cluster profile (PostgreSQL, multi-service Temporal)', () => {
  let workDir: string | undefined;
  let profile: ClusterProfile | undefined;
  let fleet: ServiceFleet | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cluster-scale-out-'));
    workDir = dir;
    const bundle = path.join(dir, 'workflow-bundle.js');
    const upStarted = Date.now();
    // Both settle before any failure is thrown: no bundler left running behind a failed start.
    const [cluster, bundled] = await Promise.allSettled([
      startClusterProfile({ dataDir: path.join(dir, 'cluster'), log: (line) => say(`cluster: ${line}`) }),
      buildWorkflowBundle(bundle),
    ]);
    if (cluster.status === 'rejected') throw cluster.reason;
    profile = cluster.value;
    if (bundled.status === 'rejected') throw bundled.reason;
    say(
      `cluster profile up at ${profile.address} in ${((Date.now() - upStarted) / 1000).toFixed(1)} s (with the bundle)`,
    );
    const fleetStarted = Date.now();
    fleet = await ServiceFleet.start({
      temporalAddress: profile.address,
      namespace: profile.namespace,
      workDir: dir,
      apis: 2,
      workers: 2,
      settings: { ...REMINDER_SETTINGS, WORKFLOW_BUNDLE_PATH: bundle },
    });
    say(`2 APIs and 2 workers ready in ${((Date.now() - fleetStarted) / 1000).toFixed(1)} s`);
  }, 10 * 60_000);

  afterAll(async () => {
    await fleet?.stop();
    await profile?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 120_000);

  it('two workers share 1,000 bookings; one killed mid-burst loses and doubles no booking text or first reminder', async () => {
    if (!fleet || !profile) throw new Error('set-up failed');
    const running = fleet;
    const [api1, api2] = running.apis;
    const [victim, survivor] = running.workers as [WorkerProcess, WorkerProcess];
    if (!api1 || !api2) throw new Error('two APIs expected');
    const sandbox = new SandboxApi(() => api1.origin);
    const [side1, side2] = [serviceSide(() => api1.origin), serviceSide(() => api2.origin)];
    const phones = new PhoneBook();
    const runId = Date.now().toString(36);
    const bookings: Booking[] = Array.from({ length: APPOINTMENTS }, (_, index) => ({
      appointmentId: `scale-${runId}-${index}`,
      phone: phones.allocate(),
      startMs: 0,
      reminderAtMs: 0,
    }));

    // The victim is killed once half the burst is posted and both workers have sent texts (a minute
    // after the last post at the latest: then the assertions below say which worker took nothing).
    let posted = 0;
    let postingDoneAt: number | undefined = undefined;
    let kill: { atMs: number; posted: number; victimSent: number; survivorSent: number } | undefined;
    const killer = (async () => {
      for (;;) {
        if (posted >= APPOINTMENTS / 2) {
          const [v, s] = await Promise.all([textsSentBy(victim), textsSentBy(survivor)]);
          const bothWorked = v !== undefined && s !== undefined && v.sent > 0 && s.sent > 0;
          if (bothWorked || (postingDoneAt !== undefined && Date.now() - postingDoneAt > 60_000)) {
            const atPosted = posted;
            await running.kill(victim);
            kill = {
              atMs: Date.now(),
              posted: atPosted,
              victimSent: v?.sent ?? 0,
              survivorSent: s?.sent ?? 0,
            };
            say(
              `SIGKILL worker 1 (pid ${victim.child.pid}) at ${atPosted} posted; ` +
                `it had sent ${kill.victimSent} texts, worker 2 ${kill.survivorSent}`,
            );
            return;
          }
        }
        await sleep(200);
      }
    })();

    say(`posting ${APPOINTMENTS} bookings through both APIs in turn, ${CONCURRENCY} at a time`);
    const postStarted = Date.now();
    const run = await runConcurrently(
      APPOINTMENTS,
      CONCURRENCY,
      async (index) => {
        const booking = bookings[index] as Booking;
        const now = Date.now();
        booking.reminderAtMs = now + REMINDER_LEAD_MS;
        booking.startMs = booking.reminderAtMs + FIRST_TIMING_MS;
        await (index % 2 === 0 ? side1 : side2).book(booking);
      },
      (done) => {
        posted = done;
      },
    );
    postingDoneAt = Date.now();
    await killer;
    const postSeconds = (run.finishedMs - postStarted) / 1000;
    say(
      `posted ${run.ok} in ${postSeconds.toFixed(1)} s (${(run.ok / postSeconds).toFixed(1)}/s), ${run.errors} errors${run.firstError ? `: ${run.firstError}` : ''}`,
    );

    // Until every phone has its reminder (or nothing moves for 2 minutes).
    const dueMs = new Map(bookings.map((b) => [b.phone, b.reminderAtMs]));
    const lastDue = Math.max(...bookings.map((b) => b.reminderAtMs));
    const deadline = lastDue + 8 * 60_000;
    let best = -1;
    let changedAt = Date.now();
    let lastReport = 0;
    for (;;) {
      running.assertAlive();
      const byPhone = textsByRecipient(await sandbox.messages());
      let booked = 0;
      let reminded = 0;
      for (const booking of bookings) {
        const outcome = outcomeOf(byPhone.get(booking.phone) ?? [], booking.reminderAtMs);
        if (outcome.bookingTexts > 0) booked += 1;
        if (outcome.reminderTexts > 0) reminded += 1;
      }
      if (booked + reminded !== best) {
        best = booked + reminded;
        changedAt = Date.now();
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        say(`booking texts ${booked}/${APPOINTMENTS}, first reminders ${reminded}/${APPOINTMENTS}`);
      }
      if (reminded >= APPOINTMENTS && booked >= APPOINTMENTS) break;
      // Reminders fall due over the burst's length, minutes away: stalls count only once they are due.
      if (Date.now() > deadline || (Date.now() > lastDue && Date.now() - changedAt > 120_000)) break;
      await sleep(2_000);
    }
    // Duplicates come from retries and redeliveries seconds later: look once more after a while.
    await sleep(15_000);
    const texts = await sandbox.messages();
    const byPhone = textsByRecipient(texts);
    const survivorFinal = await textsSentBy(survivor);

    let lostBookings = 0;
    let lostReminders = 0;
    let duplicateBookings = 0;
    let duplicateReminders = 0;
    let unexpected = 0;
    let lastBookingMs = 0;
    let lastTextMs = 0;
    const lateness: number[] = [];
    const affected: Booking[] = [];
    for (const booking of bookings) {
      const outcome = outcomeOf(byPhone.get(booking.phone) ?? [], dueMs.get(booking.phone) ?? 0);
      if (outcome.bookingTexts !== 1 || outcome.reminderTexts !== 1 || outcome.otherTexts > 0)
        affected.push(booking);
      if (outcome.bookingTexts === 0) lostBookings += 1;
      if (outcome.reminderTexts === 0) lostReminders += 1;
      duplicateBookings += Math.max(0, outcome.bookingTexts - 1);
      duplicateReminders += Math.max(0, outcome.reminderTexts - 1);
      unexpected += outcome.otherTexts;
      if (outcome.bookingMs !== undefined) lastBookingMs = Math.max(lastBookingMs, outcome.bookingMs);
      if (outcome.reminderMs !== undefined) {
        lastTextMs = Math.max(lastTextMs, outcome.reminderMs);
        lateness.push(outcome.reminderMs - booking.reminderAtMs);
      }
    }
    const late = summarize(lateness);
    const victimSent = kill?.victimSent ?? 0;
    const survivorSent = survivorFinal?.sent ?? 0;
    const figures = [
      `scale-out figures (${APPOINTMENTS} appointments, 2 APIs, 2 workers, Temporal ${profile.address} on PostgreSQL):`,
      `  time to post:                 ${postSeconds.toFixed(1)} s (${(run.ok / postSeconds).toFixed(1)} bookings/s, ${run.errors} errors)`,
      `  worker 1 SIGKILLed at:        ${kill?.posted ?? '-'} posted, ${kill ? ((kill.atMs - postStarted) / 1000).toFixed(1) : '-'} s after the first post`,
      `  time to last booking text:    ${((lastBookingMs - postStarted) / 1000).toFixed(1)} s after the first post`,
      `  time to last text (reminder): ${((lastTextMs - postStarted) / 1000).toFixed(1)} s after the first post; ` +
        `reminder lateness p50 ${fmtS(late?.p50)}, p99 ${fmtS(late?.p99)}, max ${fmtS(late?.max)}`,
      `  texts per worker:             worker 1 ≥ ${victimSent} (last scrape before its SIGKILL), worker 2 ${survivorSent}` +
        ` (${survivorFinal?.duplicateSkipped ?? 0} retried sends found already sent, not sent again); ${texts.length} texts in all`,
      `  lost:                         ${lostBookings} booking texts, ${lostReminders} first reminders`,
      `  duplicated:                   ${duplicateBookings} booking texts, ${duplicateReminders} first reminders; ${unexpected} unexpected texts`,
    ];
    say(figures.join('\n'));
    if (affected.length > 0) {
      say(
        `what happened to the first ${Math.min(10, affected.length)} of ${affected.length} affected appointments:`,
      );
      for (const booking of affected.slice(0, 10)) {
        say(
          await diagnose(profile, booking, byPhone.get(booking.phone) ?? [], kill?.atMs ?? postStarted, {
            victim: running.identityPrefix(victim),
            survivor: running.identityPrefix(survivor),
          }),
        );
      }
    }

    expect(run.errors).toBe(0);
    expect(kill).toBeDefined();
    // Both workers took work: each had sent texts before the kill.
    expect(victimSent).toBeGreaterThan(0);
    expect(kill?.survivorSent ?? 0).toBeGreaterThan(0);
    expect({ lostBookings, lostReminders, duplicateBookings, duplicateReminders, unexpected }).toEqual({
      lostBookings: 0,
      lostReminders: 0,
      duplicateBookings: 0,
      duplicateReminders: 0,
      unexpected: 0,
    });
  });
});

/**
 * One line on an appointment whose texts were lost or doubled: when each text was created, relative
 * to the kill, and which worker ran each of its workflow's tasks (ids only, no phone numbers).
 */
async function diagnose(
  profile: ClusterProfile,
  booking: Booking,
  texts: readonly SandboxText[],
  killMs: number,
  identities: { victim: string; survivor: string },
): Promise<string> {
  const when = texts.map((text) => `${((text.createdMs - killMs) / 1000).toFixed(1)} s`).join(', ');
  let tasks = '';
  const connection = await Connection.connect({ address: profile.address });
  try {
    const client = new Client({ connection, namespace: profile.namespace });
    const history = await client.workflow
      .getHandle(appointmentWorkflowId(booking.appointmentId))
      .fetchHistory();
    const steps: string[] = [];
    for (const event of history.events ?? []) {
      const identity = event.workflowTaskStartedEventAttributes?.identity;
      if (identity)
        steps.push(
          identity.startsWith(identities.victim)
            ? 'task@worker1'
            : identity.startsWith(identities.survivor)
              ? 'task@worker2'
              : 'task@?',
        );
      if (event.workflowTaskTimedOutEventAttributes) steps.push('TASK TIMED OUT');
      if (event.workflowTaskFailedEventAttributes) steps.push('TASK FAILED');
    }
    tasks = steps.join(' → ');
  } catch (err) {
    tasks = `history unavailable: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await connection.close();
  }
  return `  ${booking.appointmentId}: texts at ${when} from the kill; workflow: ${tasks}`;
}

const fmtS = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
