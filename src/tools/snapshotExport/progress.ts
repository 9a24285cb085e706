/** The export's progress as lines for stderr, throttled; the export itself only counts (ExportCounts). */
import type { ExportCounts } from './exportSnapshots';

/**
 * Progress lines for stderr: at most one per interval while the export runs (none for a run shorter
 * than the interval), then one final line. Counts and rates only, never contents.
 */
export class ExportProgress {
  private readonly startedAt: number;
  private lastLineAt: number;

  constructor(
    private readonly writeLine: (line: string) => void,
    /** Milliseconds between progress lines; 0: the final line only. */
    private readonly intervalMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
    this.lastLineAt = this.startedAt;
  }

  /** Cheap enough to call for every row: a line only when the interval has passed. */
  update(counts: Readonly<ExportCounts>): void {
    if (this.intervalMs <= 0) return;
    const at = this.now();
    if (at - this.lastLineAt < this.intervalMs) return;
    this.lastLineAt = at;
    this.writeLine(`[export] progress: ${this.describe(counts, at)}`);
  }

  finish(counts: Readonly<ExportCounts>): void {
    this.writeLine(`[export] done: ${this.describe(counts, this.now())}`);
  }

  private describe(counts: Readonly<ExportCounts>, at: number): string {
    const seconds = Math.max(at - this.startedAt, 0) / 1000;
    const rate = seconds > 0 ? Math.round(counts.objectsRead / seconds) : counts.objectsRead;
    return (
      `${counts.objectsRead} object(s) read, ${counts.rows} row(s) written, ` +
      `${rate} objects/s, ${seconds.toFixed(1)} s`
    );
  }
}
