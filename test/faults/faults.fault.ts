/**
 * `npm run test:faults`: the service under faults, end to end through its HTTP contracts, on a real Temporal server
 * (the dev server; the cluster profile with FAULTS_TARGET=cluster). Each scenario books tens to a couple of hundred
 * appointments, breaks one part mid-way (SIGKILL of the worker, of Temporal, of the API; the EHR or Twilio down for a
 * while through the sandbox's fault switches), lets the service recover, and prints and asserts: texts lost 0,
 * duplicated 0, delivery statuses stuck 0, EHR callbacks lost 0 and delivered twice 0. Each also asserts the fault
 * really hit the run (a scenario whose fault missed proves nothing).
 */
import { FaultStack, REMINDER_FIRST_OFFSET_MS } from './faultStack';
import type { Expectation } from './ledger';
import { formatResult, FaultSuite, sleep, type ScenarioResult } from './scenario';
import { faultsTarget } from './temporalServer';
import type { Booking } from '../../bench/load/sides';

const log = (line: string): void => {
  process.stdout.write(`[faults] ${line}\n`);
};

const target = faultsTarget();
let stack: FaultStack;
let suite: FaultSuite;
const suiteStarted = Date.now();

const ZERO = { textsLost: 0, textsDuplicated: 0, statusesStuck: 0, callbacksLost: 0, callbacksTwice: 0 };

/** What a scenario must end with: `texts` texts to each booking's phone, and these EHR callbacks (none by default). */
function expecting(
  bookings: readonly Booking[],
  texts: number,
  callbacks = new Map<string, string>(),
): Expectation {
  return { textsPerPhone: new Map(bookings.map((b) => [b.phone, texts])), callbacks };
}

/**
 * Books `count` appointments and resolves once a third of their events are accepted: mid-ingest, so the sender
 * meets the fault that strikes then. `accepted()` and `resent()` count from the start of this booking.
 */
async function midIngest(name: string, count: number) {
  const { sender } = suite.service;
  const retriesBefore = sender.retries;
  const acceptedBefore = sender.accepted;
  const bookings = suite.bookings(name, count);
  const booking = suite.bookAll(bookings);
  const accepted = (): number => sender.accepted - acceptedBefore;
  await suite.until(async () => accepted() >= bookings.length / 3, 120_000, 20);
  return { bookings, booking, accepted, resent: (): number => sender.retries - retriesBefore };
}

/** Fails with the figures, the evidence and the processes' last log lines, so a CI log says what went wrong. */
function expectClean(result: ScenarioResult): void {
  if (JSON.stringify(result.figures) !== JSON.stringify(ZERO))
    log(`logs after ${result.name}:\n${stack.logTails()}`);
  expect({ scenario: result.name, ...result.figures }).toEqual({ scenario: result.name, ...ZERO });
}

beforeAll(async () => {
  // Two workers on the cluster profile (the topology it proves); one on the dev server, where cores are scarce.
  const workers = Number(process.env.FAULTS_WORKERS ?? (target === 'cluster' ? 2 : 1));
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error('FAULTS_WORKERS must be a whole number, 1 or more');
  stack = await FaultStack.start({ target, workers, log });
  suite = new FaultSuite(stack, log);
  log(`stack up in ${Math.round((Date.now() - suiteStarted) / 1000)} s (${workers} worker process(es))`);
}, 300_000);

beforeEach(async () => {
  await stack.ensureRunning();
}, 300_000);

afterAll(async () => {
  if (suite) {
    log(`summary on the ${stack.temporal.label}:`);
    for (const result of suite.results) log(`  ${formatResult(result)}`);
  }
  log(`total ${Math.round((Date.now() - suiteStarted) / 1000)} s`);
  if (!stack) return;
  await stack.stop();
  if (process.env.FAULTS_KEEP) log(`kept ${stack.workDir}`);
  else stack.removeWorkDir();
}, 120_000);

test('worker SIGKILLed mid-booking: every patient texted once', async () => {
  const started = Date.now();
  const bookings = suite.bookings('worker-booking', 150);
  const phones = new Set(bookings.map((b) => b.phone));
  const booking = suite.bookAll(bookings);
  await suite.until(
    async () => (await suite.phonesWithTexts(phones, 1)) >= bookings.length / 3,
    120_000,
    200,
  );
  await stack.killWorkers();
  const textedAtKill = await suite.phonesWithTexts(phones, 1);
  log(`worker-booking: workers SIGKILLed with ${textedAtKill}/${bookings.length} booking texts out`);
  await sleep(3_000);
  await stack.startWorkers();
  await booking;

  const result = await suite.settleAndMeasure(
    'worker SIGKILLed mid-booking',
    bookings,
    expecting(bookings, 1),
    { textedAtKill },
    started,
  );
  expect(textedAtKill).toBeLessThan(bookings.length);
  expectClean(result);
}, 600_000);

test('worker SIGKILLed mid-reminder: every patient reminded once', async () => {
  const started = Date.now();
  const count = 120;
  // Every first reminder due in one instant, far enough ahead for the bookings and their texts to be done.
  const dueMs = Date.now() + 60_000;
  const bookings = suite.bookings('worker-reminder', count, dueMs + REMINDER_FIRST_OFFSET_MS);
  const phones = new Set(bookings.map((b) => b.phone));
  await suite.bookAll(bookings);
  await suite.until(
    async () => (await suite.phonesWithTexts(phones, 1)) >= count,
    dueMs - Date.now() - 2_000,
  );
  await sleep(Math.max(0, dueMs - Date.now()));
  // Killed once some reminders are out and (almost surely) others are not, or a few seconds after the due time.
  await suite.until(async () => (await suite.phonesWithTexts(phones, 2)) >= count / 10, 5_000, 100);
  await stack.killWorkers();
  const remindedAtKill = await suite.phonesWithTexts(phones, 2);
  log(`worker-reminder: workers SIGKILLed with ${remindedAtKill}/${count} reminders out`);
  await sleep(3_000);
  await stack.startWorkers();

  const result = await suite.settleAndMeasure(
    'worker SIGKILLed mid-reminder',
    bookings,
    expecting(bookings, 2),
    { remindedAtKill },
    started,
  );
  expect(remindedAtKill).toBeGreaterThan(0);
  expect(remindedAtKill).toBeLessThan(count);
  expectClean(result);
}, 600_000);

test('Temporal SIGKILLed mid-burst and restarted on the same data: nothing lost, nothing twice', async () => {
  const started = Date.now();
  // Mid-ingest (so the sender meets the outage) and so mid-texting too: texts follow the events.
  const { bookings, booking, accepted, resent } = await midIngest('temporal', 150);
  const phones = new Set(bookings.map((b) => b.phone));
  await stack.killTemporal();
  const acceptedAtKill = accepted();
  const textedAtKill = await suite.phonesWithTexts(phones, 1);
  log(
    `temporal: ${stack.temporal.label} SIGKILLed with ${acceptedAtKill}/${bookings.length} events accepted, ${textedAtKill} booking texts out`,
  );
  await sleep(10_000);
  await stack.restartTemporal();
  log(`temporal: restarted on the same data`);
  await booking;

  const result = await suite.settleAndMeasure(
    'Temporal SIGKILLed and restarted',
    bookings,
    expecting(bookings, 1),
    { acceptedAtKill, textedAtKill, eventsResent: resent() },
    started,
  );
  expect(acceptedAtKill).toBeLessThan(bookings.length);
  expect(resent()).toBeGreaterThan(0);
  expectClean(result);
}, 600_000);

test('API SIGKILLed mid-request while the sender retries: every event applied once', async () => {
  const started = Date.now();
  const { bookings, booking, accepted, resent } = await midIngest('api', 150);
  await stack.killApi();
  const acceptedAtKill = accepted();
  log(
    `api: API SIGKILLed at ${new Date().toISOString()} with ${acceptedAtKill}/${bookings.length} events accepted`,
  );
  await sleep(2_000);
  await stack.startApi();
  await booking;

  const result = await suite.settleAndMeasure(
    'API SIGKILLed mid-request',
    bookings,
    expecting(bookings, 1),
    { acceptedAtKill, eventsResent: resent() },
    started,
  );
  expect(acceptedAtKill).toBeLessThan(bookings.length);
  expect(resent()).toBeGreaterThan(0);
  expectClean(result);
}, 600_000);

test('EHR down, then acknowledging nothing, for a while: every reply reaches it once', async () => {
  const started = Date.now();
  const bookings = suite.bookings('ehr', 40);
  const phones = new Set(bookings.map((b) => b.phone));
  await suite.bookAll(bookings);
  await suite.until(async () => (await suite.phonesWithTexts(phones, 1)) >= bookings.length, 120_000);

  // Down for 10 s, so the next retries (5 s backoff, doubling) fall in the 15 s window after it: with 20 s down
  // they all came after that window and it saw no request (heldHits 0 in two CI runs; 38 of 40 with 10 s).
  await suite.service.setFault('ehr-callbacks', 'down', 10);
  for (let i = 0; i < bookings.length; i += 1) {
    await suite.sandbox.inbound((bookings[i] as Booking).phone, i % 2 === 0 ? '1' : 'yes');
  }
  await suite.until(async () => (await suite.service.faultState('ehr-callbacks')).mode === null, 30_000, 500);
  const downHits = (await suite.service.faultState('ehr-callbacks')).hits;
  // Then an EHR that stores each callback but whose acknowledgement never arrives: retries carry the same key.
  await suite.service.setFault('ehr-callbacks', 'timeout-after-accept', 15);
  await suite.until(async () => (await suite.service.faultState('ehr-callbacks')).mode === null, 30_000, 500);
  const heldHits = (await suite.service.faultState('ehr-callbacks')).hits;
  log(`ehr: ${downHits} callback attempts dropped, then ${heldHits} stored but not acknowledged`);

  const result = await suite.settleAndMeasure(
    'EHR down for a while',
    bookings,
    // The booking text and the "thank you" for the confirmation.
    expecting(bookings, 2, new Map(bookings.map((b) => [b.appointmentId, 'CONFIRM']))),
    { downHits, heldHits },
    started,
  );
  expect(downHits).toBeGreaterThan(0);
  expect(heldHits).toBeGreaterThan(0);
  expectClean(result);
}, 600_000);

test('Twilio refusing (503, then 429), then timing out after accepting: every patient texted once', async () => {
  const started = Date.now();
  const refused = suite.bookings('twilio-refusing', 40);
  await suite.service.setFault('twilio', '503', 15);
  const bookingRefused = suite.bookAll(refused, 4);
  await sleep(15_000);
  const hits503 = (await suite.service.faultState('twilio')).hits;
  await suite.service.setFault('twilio', '429', 15);
  await bookingRefused;
  await sleep(15_000);
  const hits429 = (await suite.service.clearFault('twilio')).hits;

  const timedOut = suite.bookings('twilio-timeout', 30);
  await suite.service.setFault('twilio', 'timeout-after-accept', 20);
  await suite.bookAll(timedOut, 4);
  await suite.until(async () => (await suite.service.faultState('twilio')).mode === null, 30_000, 500);
  const heldHits = (await suite.service.faultState('twilio')).hits;
  log(
    `twilio: ${hits503} requests refused 503, ${hits429} refused 429, ${heldHits} texts accepted unanswered`,
  );

  const bookings = [...refused, ...timedOut];
  const result = await suite.settleAndMeasure(
    'Twilio failing for a while',
    bookings,
    expecting(bookings, 1),
    { hits503, hits429, heldHits },
    started,
  );
  expect(hits503).toBeGreaterThan(0);
  expect(hits429).toBeGreaterThan(0);
  expect(heldHits).toBeGreaterThan(0);
  expectClean(result);
}, 600_000);
