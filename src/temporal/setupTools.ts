/** `npm run setup:tools`: make sure both Temporal binaries are available; prints where they are. */
import {
  binaryVersion,
  resolveTemporalBinary,
  TemporalBinaryNotFound,
  type TemporalBinaryKind,
} from './binaries';

const kinds: TemporalBinaryKind[] = ['cli', 'test-server'];
let failed = false;
for (const kind of kinds) {
  try {
    const binary = resolveTemporalBinary(kind);
    const version = kind === 'cli' ? ` (${binaryVersion(binary)})` : '';
    console.log(`[temporal-tools] ${kind}: ${binary}${version}`);
  } catch (err) {
    failed = true;
    console.error(err instanceof TemporalBinaryNotFound ? err.message : err);
  }
}
process.exit(failed ? 1 : 0);
