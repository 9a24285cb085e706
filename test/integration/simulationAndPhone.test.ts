/**
 * The console's simulation page and virtual phone (issue 13.4, 13.5) over HTTP, end to end on a dev
 * server: the API's own routers (sign-in, EHR ingress, Twilio webhooks, sandbox, the console's pages),
 * a real worker, texts through the sandbox.
 * An operator signs in with the code from the virtual phone, books an appointment, sees the booking
 * text on the phone, sends the next reminder now, replies "yes" from the phone and sees CONFIRMED.
 */
import { SANDBOX_FROM_NUMBER } from '../../src/activities/twilioClient';
import { PHONE_SCRIPT_PATH } from '../../src/api/admin/phoneAssets';
import type { PhoneConversation } from '../../src/api/admin/virtualPhonePage';
import { createApp } from '../../src/api/app';
import { apiRouters } from '../../src/composition/api';
import { createGateways } from '../../src/composition/gateways';
import { SandboxMessageStore } from '../../src/sandbox/messageStore';
import { SANDBOX_ADMINISTRATOR_PHONE } from '../../src/sandbox/verifySandbox';
import { capturingLogger } from '../helpers/logLines';
import { startStackWithApp, type AppStack } from '../helpers/sandboxStack';
import { ConsoleClient, sessionCsrf, signInToConsole } from '../helpers/consoleClient';

jest.setTimeout(180_000);

const PASSWORD = 'simulation-console-password';
const PATIENT_PHONE = '+13035550142';
const FIRST_NAME = 'Robin';
const LAST_NAME = 'Fictional';

let stack: AppStack;
let base: string;
let store: SandboxMessageStore;
const logs: string[] = [];

beforeAll(async () => {
  stack = await startStackWithApp(
    'simulation',
    { APPLICATION_PASSWORD: PASSWORD },
    (config, _env, client) => {
      const logger = capturingLogger(logs);
      store = SandboxMessageStore.inDataDir(config.dataDir);
      return createApp({
        logger,
        readiness: async () => ({ ready: true, temporal: 'reachable', worker: 'polling' }),
        // apiRouters mounts both pages behind the console's sign-in, as in production.
        routers: apiRouters(config, createGateways(config, client), logger),
      });
    },
  );
  ({ base } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

async function signIn(browser: ConsoleClient): Promise<string> {
  await signInToConsole(browser, PASSWORD, async () => {
    const texts = await store.list({ to: SANDBOX_ADMINISTRATOR_PHONE });
    return /(\d{6})$/.exec(texts[texts.length - 1]?.body ?? '')?.[1] ?? '';
  });
  return sessionCsrf(browser);
}

async function until<T>(what: string, read: () => Promise<T>, holds: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 300; i++) {
    last = await read();
    if (holds(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} never held; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

const phoneJson = async (browser: ConsoleClient, number = PATIENT_PHONE): Promise<PhoneConversation> => {
  const res = await browser.get(`/admin/phone/messages.json?number=${encodeURIComponent(number)}`, {
    Accept: 'application/json',
  });
  expect(res.status).toBe(200);
  return (await res.json()) as PhoneConversation;
};

const bookingForm = (csrf: string, overrides: Record<string, string> = {}): Record<string, string> => ({
  csrf,
  firstName: FIRST_NAME,
  lastName: LAST_NAME,
  phone: PATIENT_PHONE,
  amount: '72',
  unit: 'hours',
  location: 'Main clinic',
  providerFirstName: 'Jordan',
  providerLastName: 'Lee',
  ...overrides,
});

/** The action form of one appointment on the simulation page: its URL and hidden fields. */
function actionForm(page: string, action: string): { url: string; request: string } {
  const match = new RegExp(
    `action="(/admin/simulation/appointments/[^"]+/${action})"\\s*>\\s*<input type="hidden" name="csrf" value="[^"]+" />\\s*<input type="hidden" name="request" value="([^"]+)"`,
  ).exec(page);
  if (!match?.[1] || !match[2]) throw new Error(`no ${action} form`);
  return { url: match[1], request: match[2] };
}

test('nothing of either page without a session', async () => {
  const anonymous = new ConsoleClient(() => base);
  expect((await anonymous.get('/admin/simulation')).status).toBe(303);
  expect((await anonymous.get('/admin/phone')).status).toBe(303);
  expect((await anonymous.get(PHONE_SCRIPT_PATH)).status).toBe(303);
  const json = await anonymous.get(`/admin/phone/messages.json?number=${encodeURIComponent(PATIENT_PHONE)}`, {
    Accept: 'application/json',
  });
  expect(json.status).toBe(401);
  expect((await anonymous.post('/admin/simulation/appointments', bookingForm('x'))).status).toBe(303);
});

test('book, see the text on the phone, send the reminder now, reply yes, see CONFIRMED', async () => {
  const browser = new ConsoleClient(() => base);
  const csrf = await signIn(browser);
  // A notice is named by the query: only the page's own, never one reached through the prototype.
  for (const query of ['?done=constructor', '?done=remind-none&reason=toString']) {
    const odd = await browser.get(`/admin/simulation${query}`);
    expect(odd.status).toBe(200);
    expect(await odd.text()).not.toMatch(/native code|function /);
  }

  const empty = await browser.get('/admin/simulation');
  expect(empty.status).toBe(200);
  expect(empty.headers.get('content-security-policy')).toContain("script-src 'self'");
  const emptyPage = await empty.text();
  expect(emptyPage).toContain('value="Main clinic"');
  expect(emptyPage).toContain('value="24"');
  expect(emptyPage).toContain('<label for="phone">');

  // Refused forms change nothing: no CSRF token, a bad number, a time out of range.
  const noCsrf = await browser.post('/admin/simulation/appointments', { ...bookingForm(''), csrf: '' });
  expect(noCsrf.status).toBe(403);
  const badPhone = await browser.post('/admin/simulation/appointments', bookingForm(csrf, { phone: '12' }));
  expect(badPhone.status).toBe(400);
  const badPhonePage = await badPhone.text();
  expect(badPhonePage).toContain('That is not a valid phone number');
  expect(badPhonePage).toContain('aria-invalid="true"');
  expect(badPhonePage).toContain('Nothing was booked');
  for (const [amount, unit] of [
    ['0', 'minutes'],
    ['1441', 'hours'],
    ['soon', 'hours'],
    ['5', 'weeks'],
  ] as const) {
    const res = await browser.post('/admin/simulation/appointments', bookingForm(csrf, { amount, unit }));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Nothing was booked');
  }
  expect(await store.list({ to: PATIENT_PHONE })).toEqual([]);
  expect(await (await browser.get('/admin/simulation')).text()).toContain('None yet');

  // Book 72 hours ahead: both reminders are still to come.
  const booked = await browser.post('/admin/simulation/appointments', bookingForm(csrf));
  expect(booked.status).toBe(303);
  expect(booked.headers.get('location')).toBe('/admin/simulation?done=booked#simulated');
  let page = await (await browser.get('/admin/simulation?done=booked')).text();
  expect(page).toContain('Booked. The booking text is on its way.');
  expect(page).toContain(`${FIRST_NAME} ${LAST_NAME}`);
  const appointmentId = /<code>(SIM-[^<]+)<\/code>/.exec(page)?.[1] ?? '';
  expect(appointmentId).toMatch(/^SIM-\d+-[0-9a-f]{6}$/);

  // The booking text, as the patient's phone shows it.
  let conversation = await until(
    'the booking text on the phone',
    () => phoneJson(browser),
    (c) => c.messages.some((m) => m.direction === 'in' && m.body.includes('is booked')),
  );
  expect(conversation.clinicNumber).toBe(SANDBOX_FROM_NUMBER);
  expect(conversation.messages[0]).toMatchObject({ direction: 'in', clinicNumber: SANDBOX_FROM_NUMBER });
  expect(conversation.messages[0]?.body).toContain(FIRST_NAME);
  expect(conversation.messages[0]?.body).toContain('Jordan Lee');

  page = await (
    await until(
      'the booking recorded',
      async () => (await browser.get('/admin/simulation')).text(),
      (p) => p.includes('FIRST: PENDING'),
    )
  ).toString();
  const remind = actionForm(page, 'remind-now');
  const noCsrfRemind = await browser.post(remind.url, { request: remind.request });
  expect(noCsrfRemind.status).toBe(403);
  const reminded = await browser.post(remind.url, { csrf, request: remind.request });
  expect(reminded.status).toBe(303);
  expect(reminded.headers.get('location')).toBe('/admin/simulation?done=remind-FIRST#simulated');
  conversation = await until(
    'the reminder on the phone',
    () => phoneJson(browser),
    (c) => c.messages.some((m) => m.direction === 'in' && m.body.includes('this is a reminder')),
  );
  // The same form sent again is the same update: no second reminder.
  expect((await browser.post(remind.url, { csrf, request: remind.request })).status).toBe(303);

  // The phone page: the conversation, a live region, the script, the reply form.
  const phone = await browser.get(`/admin/phone?number=${encodeURIComponent(PATIENT_PHONE)}`);
  expect(phone.status).toBe(200);
  const phonePage = await phone.text();
  expect(phonePage).toContain('aria-live="polite"');
  expect(phonePage).toContain(`<script src="${PHONE_SCRIPT_PATH}" defer></script>`);
  expect(phonePage).toContain('this is a reminder');
  expect(phonePage).toContain(`From ${SANDBOX_FROM_NUMBER}`);
  // A `+` typed into the address bar arrives as a space: the same number.
  expect(await (await browser.get(`/admin/phone?number=${PATIENT_PHONE}`)).text()).toContain(
    'this is a reminder',
  );
  const script = await browser.get(PHONE_SCRIPT_PATH);
  expect(script.status).toBe(200);
  expect(script.headers.get('content-type')).toContain('javascript');
  expect(await script.text()).toContain("getAttribute('data-source')");

  // Refused replies send nothing.
  const before = (await store.list({ from: PATIENT_PHONE })).length;
  expect((await browser.post('/admin/phone/reply', { number: PATIENT_PHONE, body: 'yes' })).status).toBe(403);
  const blank = await browser.post('/admin/phone/reply', { csrf, number: PATIENT_PHONE, body: '  ' });
  expect(blank.status).toBe(400);
  expect(await blank.text()).toContain('Nothing was sent');
  expect(
    (await browser.post('/admin/phone/reply', { csrf, number: 'not a number', body: 'yes' })).status,
  ).toBe(400);
  expect((await store.list({ from: PATIENT_PHONE })).length).toBe(before);
  expect((await browser.get('/admin/phone?number=abc')).status).toBe(400);

  const replied = await browser.post('/admin/phone/reply', { csrf, number: PATIENT_PHONE, body: 'yes' });
  expect(replied.status).toBe(303);
  page = await until(
    'CONFIRMED on the simulation page',
    async () => (await browser.get('/admin/simulation')).text(),
    (p) => p.includes('<dd class="status">CONFIRMED</dd>'),
  );
  conversation = await until(
    'the acknowledgement on the phone',
    () => phoneJson(browser),
    (c) => c.messages.filter((m) => m.direction === 'in').length >= 3,
  );
  expect(conversation.messages.find((m) => m.direction === 'out')).toMatchObject({
    body: 'yes',
    clinicNumber: SANDBOX_FROM_NUMBER,
  });
  expect(
    conversation.messages.filter((m) => m.direction === 'in' && m.body.includes('this is a reminder')),
  ).toHaveLength(1);

  // Then the EHR's own events from the page: reschedule, then cancel.
  const reschedule = actionForm(page, 'reschedule');
  expect((await browser.post(reschedule.url, { csrf, request: reschedule.request })).status).toBe(303);
  await until(
    'BOOKED again after the reschedule',
    async () => (await browser.get('/admin/simulation')).text(),
    (p) => p.includes('<dd class="status">BOOKED</dd>'),
  );
  const cancel = actionForm(page, 'cancel');
  expect((await browser.post(cancel.url, { csrf, request: cancel.request })).status).toBe(303);
  page = await until(
    'CANCELED',
    async () => (await browser.get('/admin/simulation')).text(),
    (p) => p.includes('<dd class="status">CANCELED</dd>'),
  );
  const after = actionForm(page, 'remind-now');
  const refused = await browser.post(after.url, { csrf, request: after.request });
  expect(refused.headers.get('location')).toBe(
    '/admin/simulation?done=remind-none&reason=CANCELED#simulated',
  );
  expect(await (await browser.get('/admin/simulation?done=remind-none&reason=CANCELED')).text()).toContain(
    'No reminder was sent: the appointment is canceled.',
  );
  // Only simulated appointments can be changed here.
  expect(
    (await browser.post('/admin/simulation/appointments/A-1/cancel', { csrf, request: after.request }))
      .status,
  ).toBe(404);

  // Names and numbers stay out of the logs.
  const everything = logs.join('\n');
  expect(everything).toContain(appointmentId);
  // The list read Temporal visibility (AppointmentId STARTS_WITH "SIM-") without failing.
  expect(everything).not.toContain('visibility_failed');
  expect(everything).not.toContain(PATIENT_PHONE);
  expect(everything).not.toContain(PATIENT_PHONE.slice(1));
  expect(everything).not.toContain(FIRST_NAME);
  expect(everything).not.toContain(LAST_NAME);
});
