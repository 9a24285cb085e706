/**
 * Chromium from Debian's packages, for the operator console's browser tests (playwright-core drives
 * it; nothing downloads a browser build). `npm run setup:tools --test` installs it when missing.
 */
import { debianToolBinary, ensureDebianTool, type DebianTool } from './debianTool';

/** The version the browser tests were written against (Debian 12); a newer security release is accepted. */
export const CHROMIUM_DEB_VERSION = '156.0.8078.114-1~deb12u1';

const CHROMIUM: DebianTool = {
  name: 'chromium',
  version: CHROMIUM_DEB_VERSION,
  binary: '/usr/bin/chromium',
  purpose: 'browser tests',
  envVar: 'CHROMIUM_PATH',
  label: 'Chromium',
};

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
  return debianToolBinary(CHROMIUM, ChromiumNotFound);
}

export function ensureChromium(log: (line: string) => void = console.log): string | undefined {
  return ensureDebianTool(CHROMIUM, log);
}
