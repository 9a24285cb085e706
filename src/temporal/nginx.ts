/**
 * nginx from Debian's packages, for the TLS tests: it terminates TLS (and checks an API key) in
 * front of the dev server, which speaks plaintext gRPC only, the way Temporal Cloud or a secured
 * cluster's ingress does. `npm run setup:tools` installs it when missing (as root, with apt).
 */
import { debianToolBinary, ensureDebianTool, type DebianTool } from './debianTool';

/** The version the tests were written against (Debian 12); a newer security release is accepted. */
export const NGINX_DEB_VERSION = '1.22.1-9+deb12u11';

const NGINX: DebianTool = {
  name: 'nginx',
  version: NGINX_DEB_VERSION,
  binary: '/usr/sbin/nginx',
  purpose: 'TLS tests',
  envVar: 'NGINX_PATH',
  label: 'nginx',
};

export class NginxNotFound extends Error {
  override readonly name = 'NginxNotFound';
}

export function nginxBinary(): string {
  return debianToolBinary(NGINX, NginxNotFound);
}

/** Installs Debian's nginx when missing and this process may (root, apt-get present); returns the binary or undefined. */
export function ensureNginx(log: (line: string) => void = console.log): string | undefined {
  return ensureDebianTool(NGINX, log);
}
