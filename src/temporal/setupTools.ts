/** `npm run setup:tools`: make sure both Temporal binaries are available; prints where they are. */
import {
  binaryVersion,
  resolveTemporalBinary,
  TemporalBinaryNotFound,
  type TemporalBinaryKind,
} from './binaries';
import { ensureNginx } from './nginx';

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
// nginx (TLS tests): installed when missing and possible; the tests that need it say how otherwise.
const nginx = ensureNginx();
console.log(`[temporal-tools] nginx: ${nginx ?? 'not installed (TLS tests will say how to install it)'}`);
process.exit(failed ? 1 : 0);
