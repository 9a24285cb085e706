/** Pure summaries of measured samples: nearest-rank percentiles, means, ratios. */

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Nearest-rank percentile of values sorted ascending: the smallest value with at least p % of the
 * samples at or below it. Undefined for no samples; p is clamped to 0..100.
 */
export function percentile(sortedAscending: readonly number[], p: number): number | undefined {
  const n = sortedAscending.length;
  if (n === 0) return undefined;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * n);
  return sortedAscending[Math.min(n, Math.max(1, rank)) - 1];
}

export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] as number,
    p50: percentile(sorted, 50) as number,
    p99: percentile(sorted, 99) as number,
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
  };
}

/** service / baseline, or undefined when either is missing or the baseline is 0. */
export function ratio(service: number | undefined, baseline: number | undefined): number | undefined {
  if (service === undefined || baseline === undefined || baseline === 0) return undefined;
  return service / baseline;
}

/** Events per second over an interval in milliseconds; undefined for an empty interval. */
export function perSecond(count: number, elapsedMs: number): number | undefined {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : undefined;
}
