/**
 * Attempt limits with lock-out, per client: after `maxFailures` failures (each forgotten `lockMs`
 * after the first of a run) the client is locked for `lockMs`. Pure apart from the clock it is given.
 */
export interface AttemptLimits {
  maxFailures: number;
  lockMs: number;
}

export const SIGN_IN_LIMITS: AttemptLimits = { maxFailures: 5, lockMs: 15 * 60_000 };

interface Entry {
  failures: number;
  firstFailureAt: number;
  lockedUntil?: number;
}

/** Entries kept at most: one per failing client; the oldest go first (a flood of addresses cannot grow memory). */
const MAX_ENTRIES = 10_000;

export class AttemptLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limits: AttemptLimits = SIGN_IN_LIMITS) {}

  /** Milliseconds the client remains locked, or 0. */
  lockedFor(client: string, now: number): number {
    const entry = this.current(client, now);
    return entry?.lockedUntil !== undefined ? entry.lockedUntil - now : 0;
  }

  /** Counts a failure; true when it (or an earlier one) locked the client. */
  fail(client: string, now: number): boolean {
    const entry = this.current(client, now) ?? { failures: 0, firstFailureAt: now };
    if (entry.lockedUntil !== undefined) return true;
    entry.failures += 1;
    if (entry.failures >= this.limits.maxFailures) entry.lockedUntil = now + this.limits.lockMs;
    this.entries.delete(client);
    this.entries.set(client, entry);
    this.prune(now);
    return entry.lockedUntil !== undefined;
  }

  /** Locks the client now, whatever its count (e.g. a sign-in voided by too many wrong codes). */
  lock(client: string, now: number): void {
    this.entries.delete(client);
    this.entries.set(client, {
      failures: this.limits.maxFailures,
      firstFailureAt: now,
      lockedUntil: now + this.limits.lockMs,
    });
    this.prune(now);
  }

  /** A success forgets the client's failures (not a lock: a locked client is refused before it can succeed). */
  succeed(client: string): void {
    this.entries.delete(client);
  }

  /** The entry still in force at `now`, dropping a finished lock or a stale run of failures. */
  private current(client: string, now: number): Entry | undefined {
    const entry = this.entries.get(client);
    if (!entry) return undefined;
    const over =
      entry.lockedUntil !== undefined
        ? now >= entry.lockedUntil
        : now - entry.firstFailureAt >= this.limits.lockMs;
    if (over) {
      this.entries.delete(client);
      return undefined;
    }
    return entry;
  }

  private prune(now: number): void {
    for (const client of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break;
      this.entries.delete(client);
    }
    // Stale entries at the front (oldest first) go too, so a quiet limiter shrinks back.
    let checked = 0;
    for (const client of this.entries.keys()) {
      if (++checked > 16) break;
      this.current(client, now);
    }
  }
}
