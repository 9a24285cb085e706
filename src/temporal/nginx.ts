/**
 * nginx from Debian's packages, for the TLS tests: it terminates TLS (and checks an API key) in
 * front of the dev server, which speaks plaintext gRPC only, the way Temporal Cloud or a secured
 * cluster's ingress does. `npm run setup:tools` installs it when missing (as root, with apt).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The version the tests were written against (Debian 12); a newer security release is accepted. */
export const NGINX_DEB_VERSION = '1.22.1-9+deb12u11';
const DEFAULT_NGINX = '/usr/sbin/nginx';

export class NginxNotFound extends Error {
  override readonly name = 'NginxNotFound';
}

export function nginxBinary(): string {
  const binary = process.env.NGINX_PATH || DEFAULT_NGINX;
  if (!existsSync(binary)) {
    throw new NginxNotFound(
      `nginx not found at ${binary}: run \`npm run setup:tools\` as root (installs Debian's nginx), ` +
        'or `apt-get install nginx`, or set NGINX_PATH',
    );
  }
  return binary;
}

/** Installs Debian's nginx when missing and this process may (root, apt-get present); returns the binary or undefined. */
export function ensureNginx(log: (line: string) => void = console.log): string | undefined {
  if (existsSync(process.env.NGINX_PATH || DEFAULT_NGINX)) return nginxBinary();
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return undefined;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]): boolean =>
    spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  log(`[nginx] installing Debian's nginx ${NGINX_DEB_VERSION} (TLS tests)`);
  const quiet = ['-y', '-q', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold'];
  if (!apt(['install', ...quiet, `nginx=${NGINX_DEB_VERSION}`])) {
    apt(['update', '-q']);
    // The pinned release may have been superseded by a security update: take the current one.
    if (!apt(['install', ...quiet, `nginx=${NGINX_DEB_VERSION}`]) && !apt(['install', ...quiet, 'nginx'])) {
      return undefined;
    }
  }
  return existsSync(DEFAULT_NGINX) ? DEFAULT_NGINX : undefined;
}
