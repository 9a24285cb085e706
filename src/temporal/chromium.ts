/**
 * Chromium from Debian's packages, for the operator console's browser tests (playwright-core drives
 * it; nothing downloads a browser build). `npm run setup:tools --test` installs it when missing.
 */
import { existsSync } from 'node:fs';
import { ensureDebianPackage } from './debianPackage';

/** The version the browser tests were written against (Debian 12); a newer security release is accepted. */
export const CHROMIUM_DEB_VERSION = '156.0.8078.114-1~deb12u1';
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The flags every launch uses: headless in a container, nothing fetched from the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class ChromiumNotFound extends Error {
  override readonly name = 'ChromiumNotFound';
}

export function chromiumBinary(): string {
  const binary = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  if (!existsSync(binary)) {
    throw new ChromiumNotFound(
      `Chromium not found at ${binary}: run \`npm run setup:tools\` as root (installs Debian's chromium), ` +
        'or `apt-get install chromium`, or set CHROMIUM_PATH',
    );
  }
  return binary;
}

export function ensureChromium(log: (line: string) => void = console.log): string | undefined {
  if (existsSync(process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM)) return chromiumBinary();
  return ensureDebianPackage(
    { name: 'chromium', version: CHROMIUM_DEB_VERSION, binary: DEFAULT_CHROMIUM, purpose: 'browser tests' },
    log,
  );
}
