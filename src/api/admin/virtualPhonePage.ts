/**
 * The console's virtual phone (issue 13.5, sandbox mode only): pick a number the sandbox has texted,
 * or type one, and see the conversation as that patient's phone shows it (texts in and out in order,
 * delivery status, time, the clinic's number). A reply goes through deliverSandboxInbound: recorded,
 * then POSTed to our own /v1/twilio/inbound signed as Twilio signs, the path a real reply takes.
 *
 * Live updates: /admin/assets/phone.js polls `GET /admin/phone/messages.json?number=…` every 2 s and
 * appends new texts to a polite live region; without JavaScript the page has a refresh link.
 * Numbers and texts appear only here, to a signed-in operator, and are never logged (the request log
 * has paths without query strings; bodies are not logged).
 */
import { Router, type RequestHandler, type Response } from 'express';
import { DateTime, type Zone } from 'luxon';
import { normalisePhone } from '../../domain/events/ingestRules';
import { MAX_REPLY_CHARACTERS } from '../../domain/replies/parseReply';
import { resolveZone } from '../../domain/time/zone';
import type { SandboxMessage, SandboxMessageStore } from '../../sandbox/messageStore';
import { deliverSandboxInbound, type SandboxInboundDeps } from '../../sandbox/sandboxInbound';
import { csrfField, html, sendPage, type SafeHtml } from './html';
import { consoleForms, errorAlert, operatorLayout, operatorOf } from './pageParts';
import { SIMULATION_PATH, VIRTUAL_PHONE_PATH } from './paths';
import { PHONE_SCRIPT_PATH } from './phoneAssets';

export const VIRTUAL_PHONE_JSON_PATH = `${VIRTUAL_PHONE_PATH}/messages.json`;

export interface VirtualPhoneDeps {
  /** The sandbox's message store (SandboxMessageStore.inDataDir(config.dataDir)). */
  store: SandboxMessageStore;
  /** What the sandbox's POST /v1/sandbox/inbound is built with: replies take the same signed path. */
  inbound: SandboxInboundDeps;
  /** The console's guard (OperatorConsole.requireOperator): session and CSRF token. */
  requireOperator: RequestHandler;
  /** DEFAULT_COUNTRY: reads typed national numbers. */
  defaultCountry: string;
  /** DEFAULT_TIMEZONE (config.defaultTimezone): the times shown. */
  timeZone: string;
}

/** A text as the patient's phone shows it: `in` reached the phone, `out` was sent from it. */
export interface PhoneMessage {
  sid: string;
  direction: 'in' | 'out';
  /** The clinic's number: the sender of an `in` text, the recipient of an `out` one. */
  clinicNumber: string;
  body: string;
  status: string;
  createdAt: string;
  sentAt?: string;
  errorCode?: number;
}

export interface PhoneConversation {
  number: string;
  clinicNumber: string;
  messages: PhoneMessage[];
}

const E164 = /^\+[1-9]\d{6,14}$/;
/** The newest texts shown of one conversation. */
const MAX_SHOWN = 200;
/** How far back the number picker looks for numbers the sandbox has texted. */
const PICKER_SCAN = 1000;
const PICKER_NUMBERS = 20;

/** E.164 for a typed number (a `+` in a query string arrives as a space), or undefined. */
export function readPhoneNumber(raw: unknown, defaultCountry: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '' || text.length > 40) return undefined;
  const compact = text.replace(/[\s().-]/g, '');
  if (E164.test(compact)) return compact;
  if (/^[1-9]\d{6,14}$/.test(compact) && raw.startsWith(' ')) return `+${compact}`;
  return normalisePhone(text, defaultCountry);
}

/** The texts between `number` and the clinic, oldest first, the newest MAX_SHOWN of them. */
export async function conversationOf(
  store: SandboxMessageStore,
  number: string,
  defaultClinicNumber: string,
): Promise<PhoneConversation> {
  const [received, sent] = await Promise.all([store.list({ to: number }), store.list({ from: number })]);
  const all = [...received, ...sent]
    .map((message, order) => ({ message, order }))
    .sort((a, b) => Date.parse(a.message.createdAt) - Date.parse(b.message.createdAt) || a.order - b.order)
    .map(({ message }) => toPhoneMessage(message, number));
  const messages = all.slice(-MAX_SHOWN);
  const lastIn = [...messages].reverse().find((m) => m.direction === 'in');
  return { number, clinicNumber: lastIn?.clinicNumber ?? defaultClinicNumber, messages };
}

function toPhoneMessage(message: SandboxMessage, number: string): PhoneMessage {
  const incoming = message.to === number && message.direction !== 'inbound';
  return {
    sid: message.sid,
    direction: incoming ? 'in' : 'out',
    clinicNumber: incoming ? message.from : message.to,
    body: message.body,
    status: message.status,
    createdAt: message.createdAt,
    ...(message.sentAt ? { sentAt: message.sentAt } : {}),
    ...(message.errorCode !== undefined ? { errorCode: message.errorCode } : {}),
  };
}

export function virtualPhoneRouter(deps: VirtualPhoneDeps): Router {
  const { store } = deps;
  const clinicNumber = deps.inbound.sandboxNumber;
  const zone = resolveZone(deps.timeZone) ?? 'UTC';
  const router = Router();
  router.use(VIRTUAL_PHONE_PATH, consoleForms(), deps.requireOperator);

  /** Numbers the sandbox texted or was texted from lately, newest first (clinic numbers left out). */
  async function recentNumbers(): Promise<string[]> {
    const { messages } = await store.listNewestFirst({}, { skip: 0, limit: PICKER_SCAN });
    const clinic = new Set(messages.filter((m) => m.direction !== 'inbound').map((m) => m.from));
    const numbers: string[] = [];
    for (const m of messages) {
      const patient = m.direction === 'inbound' ? m.from : m.to;
      if (!clinic.has(patient) && !numbers.includes(patient)) numbers.push(patient);
      if (numbers.length >= PICKER_NUMBERS) break;
    }
    return numbers;
  }

  async function render(
    res: Response,
    status: number,
    options: { number?: string; typed?: string; error?: string; replyError?: string; reply?: string } = {},
  ): Promise<void> {
    const operator = operatorOf(res);
    if (!operator) {
      res.status(401).end();
      return;
    }
    const numbers = await recentNumbers();
    const conversation = options.number
      ? await conversationOf(store, options.number, clinicNumber)
      : undefined;
    const body = html`${errorAlert(options.error, 'number-error')}
      <form method="get" action="${VIRTUAL_PHONE_PATH}" class="phone-pick">
        <label for="number">Patient’s number</label>
        <input
          id="number"
          name="number"
          type="tel"
          autocomplete="off"
          list="known-numbers"
          value="${options.typed ?? options.number ?? ''}"
          required${options.error ? html` aria-invalid="true" aria-describedby="number-error"` : ''}
        />
        <datalist id="known-numbers">${numbers.map((n) => html`<option value="${n}"></option>`)}</datalist>
        <button type="submit">Open</button>
      </form>
      ${
        numbers.length > 0
          ? html`<nav aria-label="Numbers the sandbox has texted">
              <h2>Recent numbers</h2>
              <ul class="plain numbers">
                ${numbers.map(
                  (n) =>
                    html`<li>
                      <a href="${phoneHref(n)}" ${n === options.number ? html` aria-current="page"` : ''}
                        >${n}</a
                      >
                    </li>`,
                )}
              </ul>
            </nav>`
          : html`<p class="hint">
              No texts in the sandbox yet: book one on the <a href="${SIMULATION_PATH}">simulation page</a>.
            </p>`
      }
      ${conversation ? conversationSection(conversation, operator.csrfToken, options, zone) : ''}`;
    sendPage(res, status, operatorLayout(res, 'Virtual phone', body));
  }

  router.get(VIRTUAL_PHONE_PATH, async (req, res) => {
    const raw = req.query.number;
    if (raw === undefined || raw === '') return render(res, 200);
    const number = readPhoneNumber(raw, deps.defaultCountry);
    if (!number) {
      return render(res, 400, {
        typed: typeof raw === 'string' ? raw.trim() : '',
        error: 'That is not a phone number. Use E.164 (+13035550123) or a national number.',
      });
    }
    return render(res, 200, { number });
  });

  router.get(VIRTUAL_PHONE_JSON_PATH, async (req, res) => {
    const number = readPhoneNumber(req.query.number, deps.defaultCountry);
    if (!number) {
      res.status(400).json({ error: { code: 'invalid_number', message: 'number must be a phone number' } });
      return;
    }
    res.json(await conversationOf(store, number, clinicNumber));
  });

  router.post(`${VIRTUAL_PHONE_PATH}/reply`, async (req, res) => {
    const fields = (req.body ?? {}) as Record<string, unknown>;
    const number = readPhoneNumber(fields.number, deps.defaultCountry);
    if (!number) {
      return render(res, 400, { error: 'That is not a phone number. Nothing was sent.' });
    }
    const text = typeof fields.body === 'string' ? fields.body : '';
    if (text.trim() === '' || text.length > MAX_REPLY_CHARACTERS) {
      return render(res, 400, {
        number,
        reply: text.slice(0, MAX_REPLY_CHARACTERS),
        replyError:
          text.trim() === ''
            ? 'Type a reply. Nothing was sent.'
            : `A reply is at most ${MAX_REPLY_CHARACTERS} characters. Nothing was sent.`,
      });
    }
    const { clinicNumber: to } = await conversationOf(store, number, clinicNumber);
    const outcome = await deliverSandboxInbound(deps.inbound, { from: number, body: text, to });
    if (!outcome.delivered) {
      return render(res, 502, {
        number,
        replyError: `The text is on the phone, but our inbound webhook did not take it: ${outcome.error.message}.`,
      });
    }
    res.redirect(303, `${phoneHref(number)}&sent=1#conversation-heading`);
  });

  return router;
}

function phoneHref(number: string): string {
  return `${VIRTUAL_PHONE_PATH}?number=${encodeURIComponent(number)}`;
}

function timeLabel(iso: string, zone: Zone | string): string {
  const at = DateTime.fromISO(iso, { zone });
  return at.isValid ? at.toFormat('d LLL, HH:mm:ss') : iso;
}

function messageItem(message: PhoneMessage, zone: Zone | string): SafeHtml {
  const who = message.direction === 'in' ? `From ${message.clinicNumber}` : `To ${message.clinicNumber}`;
  return html`<li class="bubble ${message.direction}" data-sid="${message.sid}">
    <p class="meta">
      ${who} · <time datetime="${message.createdAt}">${timeLabel(message.createdAt, zone)}</time>
    </p>
    <p class="text">${message.body}</p>
    <p class="meta">
      <span class="status"
        >${message.status}${message.errorCode !== undefined ? ` (error ${message.errorCode})` : ''}</span
      >
    </p>
  </li>`;
}

function conversationSection(
  conversation: PhoneConversation,
  csrf: string,
  options: { replyError?: string; reply?: string },
  zone: Zone | string,
): SafeHtml {
  const zoneName = typeof zone === 'string' ? zone : zone.name;
  const href = phoneHref(conversation.number);
  return html`<section aria-labelledby="conversation-heading">
    <h2 id="conversation-heading">${conversation.number}</h2>
    <p class="hint">The clinic texts from ${conversation.clinicNumber}. Times are in ${zoneName}.</p>
    <ol
      id="conversation"
      class="conversation"
      aria-live="polite"
      aria-relevant="additions"
      aria-label="Texts with ${conversation.clinicNumber}"
      data-source="${VIRTUAL_PHONE_JSON_PATH}?number=${encodeURIComponent(conversation.number)}"
      data-zone="${zoneName}"
    >
      ${conversation.messages.map((m) => messageItem(m, zone))}
    </ol>
    ${conversation.messages.length === 0 ? html`<p class="hint" id="no-texts">No texts with this number yet.</p>` : ''}
    <p><a href="${href}" id="refresh">Refresh</a> <span class="hint" id="live-state"></span></p>
    <form method="post" action="${VIRTUAL_PHONE_PATH}/reply" class="reply">
      ${csrfField(csrf)}
      <input type="hidden" name="number" value="${conversation.number}" />
      <label for="reply-body">Reply as the patient</label>
      ${errorAlert(options.replyError, 'reply-error')}
      <textarea
        id="reply-body"
        name="body"
        rows="2"
        maxlength="${MAX_REPLY_CHARACTERS}"
        required${options.replyError ? html` aria-invalid="true" aria-describedby="reply-error"` : ''}
      >
${options.reply ?? ''}</textarea>
      <button type="submit">Send</button>
    </form>
    <script src="${PHONE_SCRIPT_PATH}" defer></script>
  </section>`;
}
