/**
 * Debian packages the tests need (nginx for TLS, Chromium for the console's browser tests), installed
 * by `npm run setup:tools --test` when missing and this process may (root, apt-get present). A pinned
 * version first; when a security update has superseded it, the current one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface DebianPackage {
  /** The package name, e.g. `nginx`. */
  name: string;
  /** The version the tests were written against. */
  version: string;
  /** Where the package puts the binary. */
  binary: string;
  /** What it is for, in the progress line. */
  purpose: string;
}

/** The binary when it is there or could be installed; undefined otherwise. */
export function ensureDebianPackage(
  pkg: DebianPackage,
  log: (line: string) => void = console.log,
): string | undefined {
  if (existsSync(pkg.binary)) return pkg.binary;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return undefined;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]): boolean =>
    spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  log(`[${pkg.name}] installing Debian's ${pkg.name} ${pkg.version} (${pkg.purpose})`);
  const quiet = ['-y', '-q', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold'];
  const pinned = `${pkg.name}=${pkg.version}`;
  if (!apt(['install', ...quiet, pinned])) {
    apt(['update', '-q']);
    if (!apt(['install', ...quiet, pinned]) && !apt(['install', ...quiet, pkg.name])) return undefined;
  }
  return existsSync(pkg.binary) ? pkg.binary : undefined;
}
