import { percentile, perSecond, ratio, summarize } from '../../../../bench/load/stats';

describe('bench statistics', () => {
  test('nearest-rank percentiles: p50 of 1..10 is 5, p99 is 10, p0 is the minimum', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
  });

  test('p99 of 200 samples is the 198th smallest', () => {
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(198);
  });

  test('no samples give no percentile and no summary', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(summarize([])).toBeUndefined();
  });

  test('a summary sorts its input (unsorted, with negatives)', () => {
    expect(summarize([30, -10, 20, 10])).toEqual({
      count: 4,
      min: -10,
      p50: 10,
      p99: 30,
      max: 30,
      mean: 12.5,
    });
  });

  test('ratios and rates need both sides and a non-empty interval', () => {
    expect(ratio(8, 10)).toBeCloseTo(0.8);
    expect(ratio(8, undefined)).toBeUndefined();
    expect(ratio(8, 0)).toBeUndefined();
    expect(perSecond(100, 2_000)).toBe(50);
    expect(perSecond(100, 0)).toBeUndefined();
  });
});
