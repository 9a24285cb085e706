// Runs before `npm start` and `npm test`: installs npm packages when missing or stale, then the
// Temporal binaries, so a fresh clone needs no manual step. Plain Node: node_modules may not exist yet.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.error('[setup] installing npm packages (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
// `--test` (npm test) also installs what only the tests need (nginx for the TLS tests).
run(path.join(root, 'node_modules', '.bin', 'tsx'), [
  path.join(root, 'src', 'temporal', 'setupTools.ts'),
  ...process.argv.slice(2),
]);
