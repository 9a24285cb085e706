import { parseConfig } from '../../../src/config';
import { problemsOf, sandboxEnv } from '../../helpers/config';
import { DEFAULT_TEMPORAL_SUBMIT_TIMEOUT_MS } from '../../../src/config/schema';

describe('TEMPORAL_SUBMIT_TIMEOUT_MS', () => {
  test('defaults to a few seconds, also when set empty (as in .env.example copies)', () => {
    expect(DEFAULT_TEMPORAL_SUBMIT_TIMEOUT_MS).toBe(5_000);
    expect(parseConfig(sandboxEnv()).env.TEMPORAL_SUBMIT_TIMEOUT_MS).toBe(5_000);
    expect(parseConfig(sandboxEnv({ TEMPORAL_SUBMIT_TIMEOUT_MS: ' ' })).env.TEMPORAL_SUBMIT_TIMEOUT_MS).toBe(
      5_000,
    );
    expect(
      parseConfig(sandboxEnv({ TEMPORAL_SUBMIT_TIMEOUT_MS: '1500' })).env.TEMPORAL_SUBMIT_TIMEOUT_MS,
    ).toBe(1_500);
  });

  test.each([
    ['5s', 'must be a number of milliseconds'],
    ['2500.5', 'whole number'],
    ['50', 'at least 100 ms'],
    ['120000', 'at most 60000 ms'],
  ])('%s is refused, naming the variable: %s', (value, message) => {
    const problems = problemsOf(sandboxEnv({ TEMPORAL_SUBMIT_TIMEOUT_MS: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^TEMPORAL_SUBMIT_TIMEOUT_MS: /);
    expect(problems[0]).toContain(message);
  });
});
