/**
 * Server-rendered HTML for the operator console: a tagged template that escapes every interpolated
 * value unless it is already `SafeHtml`, the shared page layout, and the console's stylesheet (served
 * from the API, so no CDN, no external fonts, and a Content-Security-Policy without 'unsafe-inline').
 */
import type { Response } from 'express';
import { CONSOLE_PATH, SIGN_OUT_PATH } from './paths';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** `html\`<p>${userText}</p>\``: values are escaped; nested `html` results and arrays of them are kept. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

export const CONSOLE_CSS_PATH = '/admin/assets/console.css';

/** The form field every console POST carries its CSRF token in (requireOperator reads it). */
export const CSRF_FIELD = 'csrf';

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}" />`;
}

/** Headers for every console answer: nothing cached, nothing framed, only our own stylesheet and scripts. */
export function setConsoleHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy':
      "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  });
}

export function sendPage(res: Response, status: number, page: SafeHtml): void {
  setConsoleHeaders(res);
  res.status(status).type('html').send(page.value);
}

/** The console's page frame; `signedIn` adds the navigation and the sign-out button (with its CSRF token). */
export function layout(options: {
  title: string;
  body: SafeHtml;
  signedIn?: { csrfToken: string };
}): SafeHtml {
  const { title, body, signedIn } = options;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Appointment messaging</title>
        <link rel="stylesheet" href="${CONSOLE_CSS_PATH}" />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="${CONSOLE_PATH}">Appointment messaging</a>${
            signedIn
              ? html`<form method="post" action="${SIGN_OUT_PATH}" class="sign-out">
                  ${csrfField(signedIn.csrfToken)}<button type="submit">Sign out</button>
                </form>`
              : ''
          }
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`;
}

export const CONSOLE_CSS = `:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#59636e;--accent:#0b5cad;--error:#b3261e;--line:#d0d7de}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--accent:#58a6ff;--error:#ff7b72;--line:#30363d}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
.top{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
.brand{font-weight:600;color:var(--fg);text-decoration:none}
main{max-width:48rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem}
a{color:var(--accent)}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=password],input[type=text]{width:100%;max-width:20rem;padding:.5rem;font:inherit;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button{margin-top:.75rem;padding:.5rem 1rem;font:inherit;border:1px solid var(--accent);border-radius:4px;background:var(--accent);color:#fff;cursor:pointer}
.sign-out button{margin:0;background:transparent;color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error{color:var(--error);font-weight:600}
.hint{color:var(--muted)}
.sections{list-style:none;padding:0;display:grid;gap:.75rem;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr))}
.sections li{border:1px solid var(--line);border-radius:6px;padding:.75rem}
/* appointments search and detail (issue 13.6) */
input[type=date],input[type=datetime-local],select{width:100%;max-width:20rem;padding:.5rem;font:inherit;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
.search{display:grid;gap:0 1rem;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr))}
.search .actions{display:flex;align-items:center;gap:1rem;grid-column:1/-1}
[aria-invalid=true]{border-color:var(--error)}
.table-scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
thead th{border-bottom:2px solid var(--line)}
tbody th{font-weight:400}
.pager{display:flex;gap:1.5rem;margin:.75rem 0}
.facts{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.25rem 1rem}
.facts dt{font-weight:600}
.facts dd{margin:0;overflow-wrap:anywhere}
/* configuration and integration pages (issue 13.2, 13.3) */
.badge{display:inline-block;padding:0 .4rem;border:1px solid currentColor;border-radius:3px;font-size:.875rem;font-weight:600;white-space:nowrap}
.badge-ok{color:#1a7f37}.badge-warning{color:#9a6700}.badge-failed,.badge-problem,.badge-risk{color:var(--error)}.badge-sandbox,.badge-note{color:var(--muted)}
@media (prefers-color-scheme:dark){.badge-ok{color:#3fb950}.badge-warning{color:#d29922}}
.findings{padding-left:1.25rem;margin:.25rem 0}
.findings li{margin:.25rem 0}
td.value,td.value code{overflow-wrap:anywhere}
caption{text-align:left;font-weight:600;padding:.25rem 0}
.copy-block{position:relative;margin:.5rem 0 1rem}
.copy-block pre{margin:0;padding:.75rem;overflow-x:auto;border:1px solid var(--line);border-radius:4px;font-size:.875rem;line-height:1.4}
.copy-block button.copy{margin:0 0 .25rem;padding:.25rem .75rem}
button[hidden]{display:none}
@media (max-width:40rem){.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}.stack tr{display:block;padding:.4rem 0;border-bottom:1px solid var(--line)}.stack th,.stack td{display:block;border:0;padding:.1rem 0}.stack td:not([data-label]){display:none}.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}}
/* simulation and virtual phone (issue 13.4, 13.5) */
input[type=tel],input[type=number],textarea{width:100%;max-width:20rem;padding:.5rem;font:inherit;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
fieldset{border:1px solid var(--line);border-radius:6px;margin:.75rem 0;padding:.25rem .75rem .5rem}
legend{font-weight:600}
.inline-fields{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}.inline-fields label{margin:0}.inline-fields input{max-width:8rem}.inline-fields select{width:auto}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.notice{padding:.5rem .75rem;border-left:4px solid var(--accent)}
.plain{list-style:none;padding:0;margin:0}
.sim-list{list-style:none;padding:0;display:grid;gap:.75rem}
.sim-item{border:1px solid var(--line);border-radius:6px;padding:.75rem}.sim-item h3{margin:0 0 .5rem;overflow-wrap:anywhere}
.sim-item .actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.5rem}.sim-item .actions button{margin:0}
.numbers{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.conversation{list-style:none;padding:0;margin:1rem 0;display:flex;flex-direction:column;gap:.5rem;max-width:28rem}
.bubble{max-width:85%;padding:.4rem .75rem;border-radius:12px;border:1px solid var(--line)}
.bubble p{margin:0}.bubble .text{white-space:pre-wrap;overflow-wrap:anywhere}.bubble .meta{font-size:.8rem;color:var(--muted)}
.bubble.in{align-self:flex-start}.bubble.out{align-self:flex-end;border-color:var(--accent)}
.reply textarea{display:block;max-width:28rem}
`;
