/** The nesting bound the ingress fuzz suite led to (src/api/jsonDepth.ts), against a brute force. */
import fc from 'fast-check';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../src/api/jsonDepth';

/** Recursive, so only for the small values fast-check makes. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { x: value };
  return value;
}

describe('nestedDeeperThan', () => {
  test('agrees with a brute force on any JSON value and bound', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, max) => {
        expect(nestedDeeperThan(value, max)).toBe(depthOf(value) > max);
      }),
      { seed: 154 },
    );
  });

  test('the bound itself passes, one level more does not, and any depth is safe to ask about', () => {
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(nestedDeeperThan(JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`))).toBe(true);
    expect(nestedDeeperThan('text')).toBe(false);
    expect(nestedDeeperThan(null)).toBe(false);
  });
});
