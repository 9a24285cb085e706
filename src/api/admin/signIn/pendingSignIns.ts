/**
 * Sign-ins waiting for their code: one per pre-session that gave the right password, keyed by the
 * hash of its id (the id itself is a bearer secret), counting wrong codes, void after
 * PENDING_SIGN_IN_MS. In memory, per process, like the sessions.
 */
import { sha256 } from '../../../http/security';

/** A password step stays open for its code this long (a Verify code is valid 10 minutes). */
export const PENDING_SIGN_IN_MS = 10 * 60_000;

export interface PendingSignIn {
  readonly createdAt: number;
  wrongCodes: number;
}

export class PendingSignIns {
  private readonly pending = new Map<string, PendingSignIn>();

  constructor(private readonly now: () => number) {}

  /** The pre-session `signInId` gave the right password; older expired sign-ins are dropped. */
  start(signInId: string): void {
    this.pending.set(keyOf(signInId), { createdAt: this.now(), wrongCodes: 0 });
    this.pruneExpired();
  }

  /** The sign-in waiting for a code under this pre-session, unless it has expired (then it is dropped). */
  find(signInId: string | undefined): PendingSignIn | undefined {
    if (!signInId) return undefined;
    const found = this.pending.get(keyOf(signInId));
    if (found && this.now() - found.createdAt >= PENDING_SIGN_IN_MS) {
      this.pending.delete(keyOf(signInId));
      return undefined;
    }
    return found;
  }

  end(signInId: string): void {
    this.pending.delete(keyOf(signInId));
  }

  private pruneExpired(): void {
    const at = this.now();
    for (const [key, signIn] of this.pending) {
      if (at - signIn.createdAt >= PENDING_SIGN_IN_MS) this.pending.delete(key);
    }
  }
}

function keyOf(signInId: string): string {
  return sha256(signInId).toString('hex');
}
