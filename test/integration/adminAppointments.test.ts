/**
 * The operator console's appointments pages (issue 13.6) over HTTP, on a dev server with our search
 * attributes: appointments booked through POST /v1/ehr/events (one with a landline only, so it cannot
 * be texted), found by id, id prefix, status and "cannot be texted" (visibility is eventually
 * consistent: polled), paged through, and opened; a bad form queries nothing; no session, no page.
 * The console's router and this page's run in an app of their own beside the sandbox stack's API
 * (whose Verify emulation texts the sign-in code to the virtual phone).
 */
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { DateTime } from 'luxon';
import pino from 'pino';
import { createSnapshotStore } from '../../src/activities/snapshots';
import { appointmentsRouter } from '../../src/api/admin/appointmentsPage';
import { appointmentsPageDepsOf, operatorConsoleFor } from '../../src/composition/console';
import { createGateways } from '../../src/composition/gateways';
import { createApp } from '../../src/api/app';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/processes';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';
import { ConsoleClient, latestSandboxCode, signInToConsole } from '../helpers/consoleClient';

jest.setTimeout(180_000);

const PASSWORD = 'correct-horse-battery-staple';
const ADMIN_PHONE = '+15005550100';
const MOBILE = '+13035550142';
const LANDLINE = '+442079460958';
const UI = 'http://localhost:8233';

let stack: SandboxStack;
let client: Client;
let server: Server;
let consoleBase: string;
const stamp = `ADM${Date.now().toString(36).toUpperCase()}`;
const ids = { mobile: `${stamp}-1`, landline: `${stamp}-2`, other: `${stamp}-3` };

beforeAll(async () => {
  stack = await startSandboxStack('admin-appointments', { APPLICATION_PASSWORD: PASSWORD });
  const { config } = stack;
  ({ client } = stack);
  const logger = pino({ level: 'silent' });
  const port = await freePort();
  const app = createApp({
    logger,
    readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
    routers: [
      operatorConsoleFor(config, logger).router,
      appointmentsRouter({
        ...appointmentsPageDepsOf(
          config,
          createGateways(config, client),
          logger,
          createSnapshotStore(config),
        ),
        temporalUiUrl: UI,
        pageSize: 2,
      }),
    ],
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  consoleBase = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stack?.stop();
});

async function signIn(): Promise<ConsoleClient> {
  const client = new ConsoleClient(() => consoleBase);
  await signInToConsole(client, PASSWORD, () => latestSandboxCode(stack.base, ADMIN_PHONE));
  return client;
}

async function book(appointmentId: string, phone: string, firstName: string): Promise<void> {
  const start = DateTime.now().setZone('America/Denver').plus({ days: 3 }).startOf('hour');
  const res = await fetch(`${stack.base}/v1/ehr/events`, {
    method: 'POST',
    headers: { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/json' },
    body: JSON.stringify({
      event_type: 'BOOKED',
      event_id: `${appointmentId}-booked`,
      appointment_id: appointmentId,
      appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
      appointment_timezone: 'America/Denver',
      patient_id: `P-${appointmentId}`,
      patient_first_name: firstName,
      patient_last_name: 'Lovelace',
      patient_phone: phone,
    }),
  });
  expect(res.status).toBe(202);
}

/** The appointment ids in a results page, in order. */
function idsIn(page: string): string[] {
  return [...page.matchAll(/<a href="\/admin\/appointments\/([^"?]+)"\s*>/g)].map((m) =>
    decodeURIComponent(m[1] ?? ''),
  );
}

function linkOf(page: string, rel: 'next' | 'prev'): string | undefined {
  const href = new RegExp(`<a href="([^"]+)" rel="${rel}">`).exec(page)?.[1];
  return href?.replace(/&amp;/g, '&');
}

/** Polls a search until `ready` holds for its ids (visibility catches up within seconds). */
async function search(
  browser: ConsoleClient,
  query: string,
  ready: (found: string[]) => boolean,
): Promise<string> {
  let last = '';
  return waitFor(
    async () => {
      const page = await browser.page(`/admin/appointments?${query}`);
      last = `${page.status}: ${/<p class="error" role="alert">([^<]*)/.exec(page.text)?.[1] ?? idsIn(page.text).join(', ')}`;
      expect(page.status).toBe(200);
      return ready(idsIn(page.text)) ? page.text : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: () => `search ${query} (last answer ${last})` },
  );
}

describe('operator console: appointments', () => {
  let browser: ConsoleClient;

  beforeAll(async () => {
    await book(ids.mobile, MOBILE, 'Ada');
    await book(ids.landline, LANDLINE, 'Grace');
    await book(ids.other, MOBILE, 'Edsger');
    browser = await signIn();
  });

  test('without a session: 303 to the sign-in, for the search and the detail page', async () => {
    const anonymous = new ConsoleClient(() => consoleBase);
    for (const route of ['/admin/appointments', `/admin/appointments/${ids.mobile}`]) {
      const res = await anonymous.get(route);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/admin/sign-in');
    }
  });

  test('found by exact id, by status, and by "cannot be texted"', async () => {
    const byId = await search(browser, `id=${ids.mobile}`, (found) => found.length === 1);
    expect(idsIn(byId)).toEqual([ids.mobile]);
    expect(byId).toContain('<th scope="col">Appointment</th>');
    expect(byId).toContain('BOOKED');

    const booked = await search(
      browser,
      `id=${stamp}-&match=prefix&status=BOOKED`,
      (found) => found.length === 2,
    );
    expect(idsIn(booked).every((id) => id.startsWith(stamp))).toBe(true);
    expect(await browser.page(`/admin/appointments?id=${ids.mobile}&status=CANCELED`)).toMatchObject({
      status: 200,
      text: expect.stringContaining('No appointment matches'),
    });

    const untextable = await search(
      browser,
      `id=${stamp}-&match=prefix&untextable=ANY`,
      (found) => found.length > 0,
    );
    expect(idsIn(untextable)).toEqual([ids.landline]);
    expect(untextable).toContain('NOT_MOBILE');
    const notMobile = await search(
      browser,
      `id=${stamp}-&match=prefix&untextable=NOT_MOBILE`,
      (found) => found.length > 0,
    );
    expect(idsIn(notMobile)).toEqual([ids.landline]);
    const noPhone = await browser.page(`/admin/appointments?id=${stamp}-&match=prefix&untextable=NO_PHONE`);
    expect(idsIn(noPhone.text)).toEqual([]);

    // The start date range (UTC days): all three start three days from now.
    const day = DateTime.now().setZone('America/Denver').plus({ days: 3 }).startOf('hour').toUTC();
    const inRange = await search(
      browser,
      `id=${ids.landline}&startFrom=${day.toISODate()}&startTo=${day.toISODate()}`,
      (found) => found.length > 0,
    );
    expect(idsIn(inRange)).toEqual([ids.landline]);
    for (const outside of [
      `startTo=${day.minus({ days: 1 }).toISODate()}`,
      `startFrom=${day.plus({ days: 1 }).toISODate()}`,
    ]) {
      const page = await browser.page(`/admin/appointments?id=${stamp}-&match=prefix&${outside}`);
      expect(idsIn(page.text)).toEqual([]);
    }
    // Next reminder: the first one is due 48 h before the start, so after now and before the start.
    const reminders = await search(
      browser,
      `id=${ids.mobile}&reminderAfter=${DateTime.utc().toFormat("yyyy-LL-dd'T'HH:mm")}&reminderBefore=${day.toFormat("yyyy-LL-dd'T'HH:mm")}`,
      (found) => found.length > 0,
    );
    expect(idsIn(reminders)).toEqual([ids.mobile]);
    const late = await browser.page(
      `/admin/appointments?id=${ids.mobile}&reminderAfter=${day.toFormat("yyyy-LL-dd'T'HH:mm")}`,
    );
    expect(idsIn(late.text)).toEqual([]);
  });

  test('pages of two: next, then previous', async () => {
    const statusBooked = await search(
      browser,
      `id=${stamp}-&match=prefix&search=1`,
      (found) => found.length === 2,
    );
    expect(statusBooked).toContain('Results, page 1');
    expect(linkOf(statusBooked, 'prev')).toBeUndefined();
    const next = linkOf(statusBooked, 'next');
    expect(next).toBeDefined();
    const second = await browser.page(next as string);
    expect(second.status).toBe(200);
    expect(second.text).toContain('Results, page 2');
    const all = [...idsIn(statusBooked), ...idsIn(second.text)];
    expect(all.sort()).toEqual([ids.mobile, ids.landline, ids.other].sort());
    const back = linkOf(second.text, 'prev');
    expect(back).toBeDefined();
    const again = await browser.page(back as string);
    expect(idsIn(again.text)).toEqual(idsIn(statusBooked));

    const tampered = await browser.page(`/admin/appointments?pages=not.a..trail`);
    expect(tampered.status).toBe(400);
    expect(tampered.text).toContain('That page link is not valid');
  });

  test('bad input: clear errors, labelled fields, nothing searched', async () => {
    const page = await browser.page(
      '/admin/appointments?startFrom=2026-02-30&status=LATE&id=A%22%20OR%20%221',
    );
    expect(page.status).toBe(400);
    expect(page.text).toContain('Nothing was searched');
    expect(page.text).toContain('Start from must be a date, YYYY-MM-DD');
    expect(page.text).toContain('Status must be one of BOOKED');
    expect(page.text).toContain('Appointment id may contain only');
    expect(page.text).toContain('aria-invalid="true"');
    expect(page.text).not.toContain('Results, page');
    // Every input and select has its label.
    for (const [, id] of page.text.matchAll(/<(?:input|select)\s+id="([^"]+)"/g)) {
      expect(page.text).toContain(`<label for="${id}">`);
    }
    // The typed value comes back escaped.
    expect(page.text).toContain('value="A&quot; OR &quot;1"');
  });

  test('the detail page: texts, reminders, the patient, the reason, the Web UI link', async () => {
    const mobile = await waitFor(
      async () => {
        const page = await browser.page(`/admin/appointments/${ids.mobile}`);
        return page.status === 200 && /Text: BOOKED<\/th>\s*<td>(SENT|DELIVERED)/.test(page.text)
          ? page.text
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the booking text on the detail page' },
    );
    expect(mobile).toContain('<h1>Appointment ' + ids.mobile);
    expect(mobile).toContain('Ada Lovelace');
    expect(mobile).toContain(MOBILE);
    expect(mobile).toContain('Reminder: FIRST');
    expect(mobile).toContain('Last EHR event applied');
    expect(mobile).toContain('(America/Denver)');
    expect(mobile).toContain('No: it can be texted');
    expect(mobile).toContain(`href="${UI}/namespaces/default/workflows/appointment-${ids.mobile}"`);
    expect(mobile).toContain('the workflow’s live state');

    const landline = await browser.page(`/admin/appointments/${ids.landline}`);
    expect(landline.status).toBe(200);
    expect(landline.text).toContain('Grace Lovelace');
    expect(landline.text).toMatch(/Cannot be texted<\/dt>\s*<dd>NOT_MOBILE/);
  });

  test('a closed appointment is shown from its last snapshot', async () => {
    await waitFor(async () => {
      const page = await browser.page(`/admin/appointments/${ids.other}`);
      return page.text.includes('Text: BOOKED') ? true : undefined;
    });
    await client.workflow.getHandle(`appointment-${ids.other}`).terminate('test: closed appointment');
    const page = await browser.page(`/admin/appointments/${ids.other}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('its last snapshot');
    expect(page.text).toContain('Terminated');
    expect(page.text).toContain('Edsger Lovelace');
    expect(page.text).toContain('Text: BOOKED');
  });

  test('unknown and impossible ids: 404 page', async () => {
    for (const id of ['NO-SUCH-APPOINTMENT', 'bad%20id%21']) {
      const page = await browser.page(`/admin/appointments/${id}`);
      expect(page.status).toBe(404);
      expect(page.text).toContain('Appointment not found');
    }
  });
});
