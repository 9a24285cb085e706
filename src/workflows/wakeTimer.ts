/**
 * The lifecycle's sleep: until something wakes it or until a deadline. A deadline that did not
 * change keeps its running timer, so an event or a reply that moves no reminder costs no
 * TimerCanceled/TimerStarted pair in the history.
 */
import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';

export class WakeTimer {
  private deadlineMs: number | undefined;
  private scope: CancellationScope | undefined;
  private fired = false;

  /** Resolves when `woken()` holds or at `deadlineMs` (none: only when woken). */
  async sleep(deadlineMs: number | undefined, woken: () => boolean): Promise<void> {
    if (deadlineMs !== this.deadlineMs || (deadlineMs !== undefined && !this.scope)) this.arm(deadlineMs);
    await condition(() => woken() || this.fired);
    if (this.fired) this.disarm();
  }

  private arm(deadlineMs: number | undefined): void {
    this.scope?.cancel();
    this.disarm();
    if (deadlineMs === undefined) return;
    this.deadlineMs = deadlineMs;
    const scope = new CancellationScope();
    this.scope = scope;
    scope
      .run(() => sleep(Math.max(1, deadlineMs - Date.now())))
      .then(
        () => {
          if (this.scope === scope) this.fired = true;
        },
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );
  }

  private disarm(): void {
    this.deadlineMs = undefined;
    this.scope = undefined;
    this.fired = false;
  }
}
