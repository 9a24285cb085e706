/**
 * The operator console driven in a real browser (issue 13.8): Debian's Chromium through
 * playwright-core against the API and worker on a dev server in sandbox mode, as an operator uses it.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, withScreenshotOnFailure } from '../helpers/browser';
import { waitFor } from '../helpers/processes';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';

jest.setTimeout(180_000);

const PASSWORD = 'a-console-password-for-the-browser-test';

let stack: SandboxStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startSandboxStack('console-browser', { APPLICATION_PASSWORD: PASSWORD, CUSTOMER_NAME: 'Valley Clinic' }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Password, then the code read off the administrator's virtual phone the sign-in page links to. */
async function signIn(page: Page): Promise<void> {
  await page.goto(`${stack.base}/admin`);
  // Without a session the console sends the browser to its sign-in.
  await page.waitForURL(/\/admin\/sign-in/);
  await page.getByLabel('Application password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByLabel('Security code').waitFor();
  // The link opens the phone in a new tab, as an operator would read it beside the form.
  const [phone] = await Promise.all([
    page.context().waitForEvent('page'),
    page.getByRole('link', { name: 'Open the administrator’s virtual phone' }).click(),
  ]);
  await phone.waitForLoadState();
  const newest = (await phone.locator('ol li').first().textContent()) ?? '';
  const code = /\b(\d{6})\b/.exec(newest)?.[1];
  expect(code).toBeDefined();
  await phone.close();
  await page.getByLabel('Security code').fill(code ?? '');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${stack.base}/admin`);
}

describe('operator console in Chromium', () => {
  test('sign in with the texted code, see the console, sign out and be refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await withScreenshotOnFailure(page, 'console-sign-in', async () => {
      await signIn(page);
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/admin\/sign-in/);
      // The session is gone: the console sends the browser back to sign in.
      await page.goto(`${stack.base}/admin`);
      await page.waitForURL(/\/admin\/sign-in/);
      expect(await page.getByLabel('Application password').isVisible()).toBe(true);
    });
    await context.close();
  });

  test('configuration, a simulated booking, its reminder now, "yes" from the virtual phone, CONFIRMED with the EHR callback', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone's width
    const page = await context.newPage();
    const patientPhone = `+1303555${String(Date.now()).slice(-4)}`;
    await withScreenshotOnFailure(page, 'console-simulation', async () => {
      await signIn(page);

      await page.getByRole('link', { name: 'Configuration' }).click();
      await page.getByRole('heading', { level: 1, name: /Configuration/ }).waitFor();
      expect(await page.content()).not.toContain(PASSWORD);
      await page.goBack();

      await page.getByRole('link', { name: 'Simulation' }).click();
      await page.getByLabel('Patient’s first name').fill('Rosa');
      await page.getByLabel('Patient’s mobile number').fill(patientPhone);
      await page.getByLabel('In', { exact: true }).fill('49');
      await page.getByRole('button', { name: 'Book' }).click();
      const item = page.locator('.sim-item', { hasText: 'Rosa' });
      await item.waitFor();
      const appointmentId = (await item.locator('code').first().textContent())?.trim() ?? '';
      expect(appointmentId).toMatch(/^SIM-/);

      await item.getByRole('button', { name: 'Send the next reminder now' }).click();
      // The reminder goes out through the real send path: the patient's phone shows it.
      await page.goto(`${stack.base}/admin/phone?number=${encodeURIComponent(patientPhone)}`);
      await page
        .getByText(/reminder of your appointment/)
        .first()
        .waitFor({ timeout: 30_000 });

      await page.getByLabel('Reply as the patient').fill('yes');
      await page.getByRole('button', { name: 'Send' }).click();
      await page
        .getByText(/is confirmed/)
        .first()
        .waitFor({ timeout: 30_000 });

      // The detail page: CONFIRMED and the EHR callback delivered to the sandbox receiver.
      await waitFor(
        async () => {
          await page.goto(`${stack.base}/admin/appointments/${encodeURIComponent(appointmentId)}`);
          const text = (await page.locator('main').textContent()) ?? '';
          return /CONFIRMED/.test(text) && /CONFIRM/.test(text) && /DELIVERED/i.test(text) ? true : undefined;
        },
        { what: 'CONFIRMED and a delivered EHR callback on the detail page', timeoutMs: 60_000 },
      );

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/admin\/sign-in/);
      const refused = await context.request.get(`${stack.base}/admin/appointments`, { maxRedirects: 0 });
      expect(refused.status()).toBe(303);
    });
    await context.close();
  });

  test('a wrong password is said clearly and signs nobody in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await withScreenshotOnFailure(page, 'console-wrong-password', async () => {
      await page.goto(`${stack.base}/admin/sign-in`);
      await page.getByLabel('Application password').fill('not the password');
      await page.keyboard.press('Enter');
      await page.locator('.error').first().waitFor();
      expect(await page.getByLabel('Application password').isVisible()).toBe(true);
      const res = await context.request.get(`${stack.base}/admin`, { maxRedirects: 0 });
      expect(res.status()).toBe(303);
    });
    await context.close();
  });
});
