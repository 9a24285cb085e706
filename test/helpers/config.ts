/** Configuration problems as a list, for tests that check what a set of variables is refused for. */
import { ConfigError, parseConfig } from '../../src/config';

/** Every problem parseConfig reports for `env`, or [] when it is accepted. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}
