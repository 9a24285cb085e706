/**
 * Runs once before all test files: make sure both Temporal binaries and the GCS emulator exist (installing
 * pinned versions if needed); the env vars hand the paths to the test workers.
 */
import { resolveTemporalBinary } from '../../src/temporal/binaries';
import { resolveGcsEmulator } from '../../src/temporal/gcsEmulator';

export default function globalSetup(): void {
  process.env.TEMPORAL_CLI_PATH ??= resolveTemporalBinary('cli');
  process.env.TEMPORAL_TEST_SERVER_PATH ??= resolveTemporalBinary('test-server');
  process.env.GCS_EMULATOR_PATH ??= resolveGcsEmulator();
}
