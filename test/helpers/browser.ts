/**
 * Chromium for the console's browser tests: Debian's package (installed by `npm run setup:tools
 * --test`), driven by playwright-core; never a downloaded browser build. A failing test keeps a
 * screenshot of the page under test-results/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../src/paths';
import { CHROMIUM_ARGS, chromiumBinary } from '../../src/temporal/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumBinary(), headless: true, args: CHROMIUM_ARGS });
}

/** Runs `steps`; when they throw, saves a full-page screenshot named after the test, then rethrows. */
export async function withScreenshotOnFailure<T>(
  page: Page,
  name: string,
  steps: () => Promise<T>,
): Promise<T> {
  try {
    return await steps();
  } catch (err) {
    const dir = path.join(projectRoot, 'test-results', 'screenshots');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name.replace(/[^A-Za-z0-9-]+/g, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), {
      message: `${err instanceof Error ? err.message : String(err)}\n(screenshot: ${file})`,
    });
  }
}
