/** Progress lines on stdout while the bench runs: `[mm:ss] text`, with throttled updates for long loops. */

export class Progress {
  private readonly startedAt = Date.now();
  private lastTick = new Map<string, number>();

  line(text: string): void {
    const seconds = Math.floor((Date.now() - this.startedAt) / 1000);
    const stamp = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
    console.log(`[${stamp}] ${text}`);
  }

  /** Prints at most every `everyMs` per key (the first call prints). */
  tick(key: string, text: () => string, everyMs = 5_000): void {
    const now = Date.now();
    const last = this.lastTick.get(key);
    if (last !== undefined && now - last < everyMs) return;
    this.lastTick.set(key, now);
    this.line(text());
  }
}
