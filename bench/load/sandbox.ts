/**
 * The sandbox endpoints the bench observes texts through (ARCHITECTURE §6), parsed at the boundary:
 * `GET /v1/sandbox/messages`, `POST /v1/sandbox/inbound`, `GET /v1/sandbox/ehr-callbacks`.
 * Every listing is timed, because the listing's cost grows with the number of messages stored.
 */
import { z } from 'zod';

const sandboxText = z.object({
  sid: z.string(),
  to: z.string(),
  from: z.string(),
  body: z.string(),
  status: z.string(),
  createdAt: z.string(),
});
export type SandboxText = z.output<typeof sandboxText> & { createdMs: number };

const ehrCallback = z.object({
  receivedAt: z.string(),
  body: z.looseObject({ appointment_id: z.string(), event_type: z.string() }),
});
export type EhrCallback = z.output<typeof ehrCallback>;

export interface ListingStats {
  calls: number;
  /** The largest listing seen, and how long it took. */
  largest: { messages: number; ms: number };
  slowest: { messages: number; ms: number };
}

export class SandboxApi {
  readonly listing: ListingStats = {
    calls: 0,
    largest: { messages: 0, ms: 0 },
    slowest: { messages: 0, ms: 0 },
  };

  constructor(private readonly origin: () => string) {}

  /** Every message the sandbox holds, oldest first. */
  async messages(): Promise<SandboxText[]> {
    const started = performance.now();
    const res = await fetch(`${this.origin()}/v1/sandbox/messages`, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`GET /v1/sandbox/messages answered ${res.status}`);
    const list = z.array(sandboxText).parse(await res.json());
    const ms = performance.now() - started;
    this.listing.calls += 1;
    if (list.length >= this.listing.largest.messages) this.listing.largest = { messages: list.length, ms };
    if (ms > this.listing.slowest.ms) this.listing.slowest = { messages: list.length, ms };
    return list.map((text) => ({ ...text, createdMs: Date.parse(text.createdAt) }));
  }

  /** A patient's text, delivered through the same signed webhook path a Twilio request takes. */
  async inbound(from: string, body: string): Promise<void> {
    const res = await fetch(`${this.origin()}/v1/sandbox/inbound`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from, body }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== 202)
      throw new Error(`POST /v1/sandbox/inbound answered ${res.status}: ${text.slice(0, 300)}`);
  }

  async ehrCallbacks(): Promise<EhrCallback[]> {
    const res = await fetch(`${this.origin()}/v1/sandbox/ehr-callbacks`, {
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`GET /v1/sandbox/ehr-callbacks answered ${res.status}`);
    return z.array(ehrCallback).parse(await res.json());
  }
}

/** Outbound texts grouped by recipient, oldest first (inbound messages are addressed to the clinic, not a patient). */
export function textsByRecipient(texts: readonly SandboxText[]): Map<string, SandboxText[]> {
  const byPhone = new Map<string, SandboxText[]>();
  for (const text of texts) {
    const list = byPhone.get(text.to);
    if (list) list.push(text);
    else byPhone.set(text.to, [text]);
  }
  for (const list of byPhone.values()) list.sort((a, b) => a.createdMs - b.createdMs);
  return byPhone;
}
