/**
 * The operator console over HTTP, as a browser uses it: a cookie jar over fetch (redirects not
 * followed, so tests see each 303), the CSRF token of a page, and the two-step sign-in with the
 * code read off the sandbox's virtual phone. One helper for every console test.
 */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header received, raw, for checking attributes. */
  readonly setCookies: string[] = [];

  constructor(private readonly base: string | (() => string)) {}

  get(route: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(route, { method: 'GET', headers });
  }

  post(route: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(route, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  async page(route: string): Promise<{ status: number; text: string }> {
    const res = await this.get(route);
    return { status: res.status, text: await res.text() };
  }

  private async send(
    route: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const base = typeof this.base === 'string' ? this.base : this.base();
    const res = await fetch(`${base}${route}`, {
      ...init,
      headers: { ...init.headers, ...(cookie ? { Cookie: cookie } : {}) },
      redirect: 'manual',
    });
    for (const header of res.headers.getSetCookie()) {
      this.setCookies.push(header);
      const [pair = ''] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

export function csrfOf(page: string): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!token) throw new Error(`no CSRF field in ${page.slice(0, 300)}`);
  return token;
}

/** The newest 6-digit code texted to `phone` on the sandbox at `base` (GET /v1/sandbox/messages). */
export async function latestSandboxCode(base: string, phone: string): Promise<string> {
  const res = await fetch(`${base}/v1/sandbox/messages?to=${encodeURIComponent(phone)}`);
  const texts = (await res.json()) as Array<{ body: string }>;
  const code = /(\d{6})$/.exec(texts[texts.length - 1]?.body ?? '')?.[1];
  if (!code) throw new Error('no code on the virtual phone');
  return code;
}

/**
 * Password, then the code (`code()` reads it once the password step has sent it); throws unless the
 * console's answer sends the browser on to /admin.
 */
export async function signInToConsole(
  client: ConsoleClient,
  password: string,
  code: () => Promise<string>,
): Promise<void> {
  const form = await client.get('/admin/sign-in');
  const sent = await client.post('/admin/sign-in/password', { csrf: csrfOf(await form.text()), password });
  if (sent.status !== 303) throw new Error(`the password step answered ${sent.status}`);
  const codeForm = await client.get('/admin/sign-in');
  const done = await client.post('/admin/sign-in/code', {
    csrf: csrfOf(await codeForm.text()),
    code: await code(),
  });
  if (done.headers.get('location') !== '/admin') throw new Error(`the code step answered ${done.status}`);
}

/** The session's CSRF token, read from a console page (the landing page by default). */
export async function sessionCsrf(client: ConsoleClient, route = '/admin'): Promise<string> {
  const page = await client.get(route);
  if (page.status !== 200) throw new Error(`${route} answered ${page.status}`);
  return csrfOf(await page.text());
}
