/**
 * `npm run setup:tools`: make sure both Temporal binaries are available (and, with `--test`, nginx for
 * the TLS tests); prints where they are.
 */
import {
  binaryVersion,
  resolveTemporalBinary,
  TemporalBinaryNotFound,
  type TemporalBinaryKind,
} from './binaries';
import { ensureNginx } from './nginx';
import { ensureChromium } from './chromium';

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
// nginx (TLS tests) and Chromium (console browser tests) are for the tests only (`--test`: npm test,
// npm run setup:tools): `npm start` never installs a system package.
if (process.argv.includes('--test')) {
  const nginx = ensureNginx();
  console.log(`[temporal-tools] nginx: ${nginx ?? 'not installed (TLS tests will say how to install it)'}`);
  const chromium = ensureChromium();
  console.log(
    `[temporal-tools] chromium: ${chromium ?? 'not installed (browser tests will say how to install it)'}`,
  );
}
process.exit(failed ? 1 : 0);
