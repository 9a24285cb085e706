/** Runs once before all test files: make sure both Temporal binaries exist (installing pinned versions if needed). */
import { resolveTemporalBinary } from '../../src/temporal/binaries';

export default function globalSetup(): void {
  process.env.TEMPORAL_CLI_PATH ??= resolveTemporalBinary('cli');
  process.env.TEMPORAL_TEST_SERVER_PATH ??= resolveTemporalBinary('test-server');
}
