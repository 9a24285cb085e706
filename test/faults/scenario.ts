/**
 * What every fault scenario does around its fault: book appointments (each on its own phone), watch the sandbox,
 * wait until the service has had every chance to recover, then read the texts, the appointments and the EHR
 * callbacks and turn them into the five figures (ledger.ts). Output: one line per step, counts only (no phone
 * numbers, names or bodies).
 */
import { textsByRecipient, SandboxApi, type SandboxText } from '../../bench/load/sandbox';
import { PhoneBook, type Booking } from '../../bench/load/sides';
import type { FaultStack } from './faultStack';
import {
  figures,
  FINAL_TEXT_STATUSES,
  type AppointmentOutcome,
  type Expectation,
  type Figures,
} from './ledger';
import { ServiceClient } from './serviceClient';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Appointments far enough ahead that no reminder fires during the suite. */
const FAR_AHEAD_MS = 30 * 24 * 3_600_000;

export interface ScenarioResult {
  name: string;
  appointments: number;
  figures: Figures;
  /** What shows the fault really hit the run (processes killed mid-way, requests refused...). */
  evidence: Record<string, number | string>;
  notes: Record<string, number>;
  seconds: number;
}

export class FaultSuite {
  readonly service: ServiceClient;
  readonly sandbox: SandboxApi;
  readonly results: ScenarioResult[] = [];
  private readonly phones = new PhoneBook();
  private readonly runId = Date.now().toString(36);

  constructor(
    readonly stack: FaultStack,
    readonly log: (line: string) => void,
  ) {
    this.service = new ServiceClient(() => stack.apiOrigin);
    this.sandbox = new SandboxApi(() => stack.apiOrigin);
  }

  /** `count` appointments on new phones; by default far ahead (only the booking text is due). */
  bookings(scenario: string, count: number, startMs?: number): Booking[] {
    const start = startMs ?? Math.ceil((Date.now() + FAR_AHEAD_MS) / 60_000) * 60_000;
    return Array.from({ length: count }, (_, index) => ({
      appointmentId: `${this.runId}-${scenario}-${index}`,
      phone: this.phones.allocate(),
      startMs: start,
      reminderAtMs: start,
    }));
  }

  /** Books them all, `concurrency` at a time, each resent until the API takes it. */
  async bookAll(bookings: readonly Booking[], concurrency = 8): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let index = next++; index < bookings.length; index = next++) {
        await this.service.book(bookings[index] as Booking);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, bookings.length) }, lane));
  }

  /** The sandbox's texts to these phones, by phone; empty while the API (which hosts the sandbox) is down. */
  async textsTo(phones: ReadonlySet<string>): Promise<Map<string, SandboxText[]>> {
    try {
      const texts = await this.sandbox.messages();
      return textsByRecipient(texts.filter((text) => phones.has(text.to)));
    } catch {
      return new Map();
    }
  }

  /** Phones (of those given) with at least `count` distinct texts. */
  async phonesWithTexts(phones: ReadonlySet<string>, count: number): Promise<number> {
    const byPhone = await this.textsTo(phones);
    let n = 0;
    for (const texts of byPhone.values()) if (new Set(texts.map((t) => t.body)).size >= count) n += 1;
    return n;
  }

  /** Polls `probe` every `intervalMs` until it returns true or `timeoutMs` passes; returns whether it did. */
  async until(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await probe().catch(() => false)) return true;
      if (Date.now() > deadline) return false;
      await sleep(intervalMs);
    }
  }

  /**
   * Waits until everything promised has happened (or stopped moving), then measures: every phone its texts, every
   * text a final delivery status, every expected callback at the EHR. A pause at the end lets late duplicates
   * (a retry seconds after its first attempt) show before the count.
   */
  async settleAndMeasure(
    name: string,
    bookings: readonly Booking[],
    expectation: Expectation,
    evidence: Record<string, number | string>,
    startedAt: number,
  ): Promise<ScenarioResult> {
    const phones = new Set(bookings.map((b) => b.phone));
    const textsDue = [...expectation.textsPerPhone.values()].reduce((a, b) => a + b, 0);
    const allTexts = async (): Promise<number> => {
      let n = 0;
      for (const [phone, texts] of await this.textsTo(phones)) {
        n += Math.min(expectation.textsPerPhone.get(phone) ?? 0, new Set(texts.map((t) => t.body)).size);
      }
      return n;
    };
    await this.waitProgress(`${name}: texts`, allTexts, textsDue, { timeoutMs: 240_000, stallMs: 120_000 });

    const outcomes = new Map<string, AppointmentOutcome>();
    const settled = (outcome: AppointmentOutcome): boolean =>
      outcome.messages.every((m) => FINAL_TEXT_STATUSES.has(m.status)) &&
      outcome.callbacks.every((c) => c.status === 'DELIVERED') &&
      (!expectation.callbacks.has(outcome.appointmentId) || outcome.callbacks.length > 0);
    const readOutcomes = async (): Promise<number> => {
      const pending = bookings.filter((b) => {
        const known = outcomes.get(b.appointmentId);
        return known === undefined || !settled(known);
      });
      await runLanes(pending, 6, async (booking) => {
        const outcome = await this.service.appointment(booking.appointmentId).catch(() => undefined);
        if (outcome) outcomes.set(booking.appointmentId, outcome);
      });
      return [...outcomes.values()].filter(settled).length;
    };
    await this.waitProgress(`${name}: final statuses`, readOutcomes, bookings.length, {
      timeoutMs: 150_000,
      stallMs: 90_000,
      intervalMs: 2_000,
    });

    await sleep(5_000);
    const texts = [...(await this.textsTo(phones)).values()].flat();
    const callbacks = (await this.sandbox.ehrCallbacks()).map((c) => ({
      appointmentId: c.body.appointment_id,
      eventType: c.body.event_type,
    }));
    await readOutcomes();
    const measured = figures(expectation, texts, [...outcomes.values()], callbacks);
    const result: ScenarioResult = {
      name,
      appointments: bookings.length,
      figures: measured.figures,
      evidence,
      notes: measured.notes,
      seconds: Math.round((Date.now() - startedAt) / 1000),
    };
    this.results.push(result);
    this.log(formatResult(result));
    if (measured.stuck.length > 0)
      this.log(`${name}: stuck texts: ${measured.stuck.slice(0, 10).join('; ')}`);
    return result;
  }

  /** Polls a progress count towards `target`; gives up after `timeoutMs`, or `stallMs` without progress. */
  async waitProgress(
    what: string,
    progress: () => Promise<number>,
    target: number,
    { timeoutMs, stallMs, intervalMs = 1_000 }: { timeoutMs: number; stallMs: number; intervalMs?: number },
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let best = -1;
    let changedAt = Date.now();
    for (;;) {
      const done = await progress().catch(() => best);
      if (done > best) {
        best = done;
        changedAt = Date.now();
      }
      if (done >= target) return true;
      if (Date.now() > deadline || Date.now() - changedAt > stallMs) {
        this.log(`${what}: stopped waiting at ${done}/${target}`);
        return false;
      }
      await sleep(intervalMs);
    }
  }
}

async function runLanes<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) await work(items[index] as T);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

export function formatResult(result: ScenarioResult): string {
  const f = result.figures;
  const extra = Object.entries({ ...result.evidence, ...result.notes })
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  return (
    `${result.name} (${result.appointments} appointments, ${result.seconds} s): texts lost ${f.textsLost}, ` +
    `duplicated ${f.textsDuplicated}, statuses stuck ${f.statusesStuck}, EHR callbacks lost ${f.callbacksLost}, ` +
    `delivered twice ${f.callbacksTwice} [${extra}]`
  );
}
