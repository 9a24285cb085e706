/**
 * The fault suite's side of the HTTP contracts: an EHR integration engine that resends an event until the API takes
 * it (as engines do), the appointment view, the sandbox's listings and its fault switches. Answers are parsed at the
 * boundary.
 */
import { z } from 'zod';
import { SANDBOX_API_KEY, bookedEvent, type Booking } from '../../bench/load/sides';
import type { AppointmentOutcome } from './ledger';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const appointmentView = z.object({
  appointmentId: z.string(),
  status: z.string(),
  messages: z.array(
    z.looseObject({ kind: z.string(), status: z.string(), sid: z.string().nullable().optional() }),
  ),
  callbacks: z.array(z.looseObject({ type: z.string(), status: z.string() })).default([]),
});

const faultState = z.object({ mode: z.string().nullable(), hits: z.number() });
export type FaultState = z.output<typeof faultState>;
export type FaultTarget = 'twilio' | 'ehr-callbacks';

export interface SenderStats {
  /** Events accepted (202, or 200 for one the API knew it had). */
  accepted: number;
  /** Attempts that got no answer (connection refused or reset, timeout) or a 5xx, and were sent again. */
  retries: number;
}

/** What the engine does with an event the API did not take: send it again, after Retry-After or a second. */
const RESEND_AFTER_MS = 1_000;
/** Longer than any outage a scenario makes: an event not taken by then is reported, not retried for ever. */
const GIVE_UP_AFTER_MS = 180_000;

export class ServiceClient {
  readonly sender: SenderStats = { accepted: 0, retries: 0 };

  constructor(private readonly origin: () => string) {}

  /** POSTs the BOOKED event until the API accepts it; the same event id every time, as an engine resends. */
  async book(booking: Booking): Promise<void> {
    await this.postUntilAccepted(bookedEvent(booking));
  }

  async postUntilAccepted(event: Record<string, string>): Promise<void> {
    const body = JSON.stringify(event);
    const deadline = Date.now() + GIVE_UP_AFTER_MS;
    for (;;) {
      let waitMs = RESEND_AFTER_MS;
      try {
        const res = await fetch(`${this.origin()}/v1/ehr/events`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${SANDBOX_API_KEY}`, 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status === 202 || res.status === 200) {
          this.sender.accepted += 1;
          return;
        }
        if (res.status < 500)
          throw new PermanentRefusal(`POST /v1/ehr/events answered ${res.status}: ${text}`);
        const retryAfter = Number(res.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) waitMs = retryAfter * 1_000;
      } catch (err) {
        if (err instanceof PermanentRefusal) throw err;
        // No answer: the API is down or died mid-request. The event may or may not be in; send it again.
      }
      if (Date.now() + waitMs > deadline) {
        throw new Error(`POST /v1/ehr/events: not accepted within ${GIVE_UP_AFTER_MS / 1000} s`);
      }
      this.sender.retries += 1;
      await sleep(waitMs);
    }
  }

  /** The appointment's live state, or undefined when the API cannot show it (404, 503). */
  async appointment(appointmentId: string): Promise<AppointmentOutcome | undefined> {
    const res = await fetch(`${this.origin()}/v1/appointments/${encodeURIComponent(appointmentId)}`, {
      headers: { Authorization: `Bearer ${SANDBOX_API_KEY}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 200) {
      await res.arrayBuffer();
      return undefined;
    }
    const view = appointmentView.parse(await res.json());
    return { appointmentId: view.appointmentId, messages: view.messages, callbacks: view.callbacks };
  }

  async setFault(target: FaultTarget, mode: string, seconds: number): Promise<FaultState> {
    return this.fault(target, 'PUT', { mode, seconds });
  }

  async clearFault(target: FaultTarget): Promise<FaultState> {
    return this.fault(target, 'DELETE');
  }

  async faultState(target: FaultTarget): Promise<FaultState> {
    return this.fault(target, 'GET');
  }

  private async fault(
    target: FaultTarget,
    method: 'GET' | 'PUT' | 'DELETE',
    body?: Record<string, unknown>,
  ): Promise<FaultState> {
    const res = await fetch(`${this.origin()}/v1/sandbox/faults/${target}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) throw new Error(`${method} /v1/sandbox/faults/${target} answered ${res.status}`);
    return faultState.parse(await res.json());
  }
}

class PermanentRefusal extends Error {}
