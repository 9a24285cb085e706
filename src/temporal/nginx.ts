/**
 * nginx from Debian's packages, for the TLS tests: it terminates TLS (and checks an API key) in
 * front of the dev server, which speaks plaintext gRPC only, the way Temporal Cloud or a secured
 * cluster's ingress does. `npm run setup:tools` installs it when missing (as root, with apt).
 */
import { existsSync } from 'node:fs';
import { ensureDebianPackage } from './debianPackage';

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
  return ensureDebianPackage(
    { name: 'nginx', version: NGINX_DEB_VERSION, binary: DEFAULT_NGINX, purpose: 'TLS tests' },
    log,
  );
}
