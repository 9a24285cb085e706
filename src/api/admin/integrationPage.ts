/**
 * GET /admin/integration (issue 13.3): what to give the EHR's integration team (endpoint URLs from
 * PUBLIC_BASE_URL, the bearer key requirement, the callback contract and how to verify its
 * signatures, example messages) and what to set in Twilio's console. No secret is ever printed: the
 * page says where each is configured. Example data is fictional, made up here.
 *
 * The copy buttons are progressive enhancement: real `<button>`s, `hidden` until /admin/assets/copy.js
 * (assetsCopy.ts; no inline script under the CSP) shows them; without it every example stays
 * selectable text. Mount after the console's router, which guards everything under /admin.
 */
import { Router } from 'express';
import { DateTime } from 'luxon';
import { EHR_CALLBACK_TIMEOUT_MS, SIGNATURE_REPLAY_WINDOW_SECONDS } from '../../activities/ehrCallback';
import type { AppConfig } from '../../config';
import { SANDBOX_EHR_CALLBACK_PATH } from '../../sandbox/ehrCallbackReceiver';
import { FHIR_APPOINTMENT_PATH } from '../fhir';
import { FHIR_NOTIFICATIONS_PATH } from '../fhirNotifications';
import { TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH } from '../twilioWebhooks';
import { COPY_SCRIPT_PATH, copyScriptRouter } from './assetsCopy';
import { html, layout, sendPage, type SafeHtml } from './html';
import type { OperatorLocals } from './operatorConsole';

export const INTEGRATION_PATH = '/admin/integration';

export interface IntegrationPageDeps {
  config: AppConfig;
  /** The examples' clock: their appointment is a few days after it. */
  now?: () => Date;
}

export interface Endpoint {
  readonly what: string;
  readonly method: string;
  readonly url: string;
  readonly note?: string;
}

/** The URLs an integration engine is given, from PUBLIC_BASE_URL (and HL7_MLLP_* for MLLP). */
export function integrationEndpoints(config: AppConfig): Endpoint[] {
  const base = config.publicBaseUrl;
  const { env } = config;
  const endpoints: Endpoint[] = [
    { what: 'Appointment events (JSON)', method: 'POST', url: `${base}/v1/ehr/events` },
    { what: 'HL7 v2 SIU over HTTP', method: 'POST', url: `${base}/v1/ehr/hl7v2` },
  ];
  if (env.HL7_MLLP_PORT !== undefined) {
    const host = new URL(base).hostname;
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(env.HL7_MLLP_HOST);
    endpoints.push({
      what: `HL7 v2 SIU over MLLP${env.HL7_MLLP_TLS_CERT_PATH ? ' (TLS)' : ''}`,
      method: 'TCP',
      url: `${host}:${env.HL7_MLLP_PORT}`,
      note: loopback
        ? `listens on ${env.HL7_MLLP_HOST} only: set HL7_MLLP_HOST (and HL7_MLLP_ALLOWED_CLIENTS) for an engine on another host`
        : `listens on ${env.HL7_MLLP_HOST}; ${
            env.HL7_MLLP_ALLOWED_CLIENTS.length > 0
              ? `accepts ${env.HL7_MLLP_ALLOWED_CLIENTS.join(', ')} only`
              : 'accepts any client (set HL7_MLLP_ALLOWED_CLIENTS)'
          }${env.HL7_MLLP_TLS_CLIENT_CA_PATH ? '; client certificate required' : ''}`,
    });
  } else {
    endpoints.push({
      what: 'HL7 v2 SIU over MLLP',
      method: 'TCP',
      url: 'off',
      note: 'set HL7_MLLP_PORT (e.g. 2575) to listen',
    });
  }
  endpoints.push(
    { what: 'FHIR R4 Appointment', method: 'POST', url: `${base}${FHIR_APPOINTMENT_PATH}` },
    {
      what: 'FHIR Subscription notifications',
      method: 'POST',
      url: `${base}${FHIR_NOTIFICATIONS_PATH}`,
      note: `R4 rest-hooks: PUT or POST ${base}${FHIR_NOTIFICATIONS_PATH}/Appointment/{id}`,
    },
    {
      what: 'An appointment’s live state',
      method: 'GET',
      url: `${base}/v1/appointments/{appointment_id}`,
    },
    { what: 'OpenAPI description of all of these', method: 'GET', url: `${base}/openapi.json` },
  );
  return endpoints;
}

export interface IntegrationExamples {
  readonly json: string;
  readonly hl7: string;
  readonly fhir: string;
}

/**
 * Example messages with made-up data (a 555-01xx number, "Robin Example"), for an appointment three days
 * after `now` at 09:30 in `timeZone`, so a copy sent to the sandbox is accepted and texted.
 */
export function integrationExamples(now: Date, timeZone: string): IntegrationExamples {
  const sent = DateTime.fromJSDate(now).toUTC();
  const start = DateTime.fromJSDate(now)
    .setZone(timeZone)
    .plus({ days: 3 })
    .set({ hour: 9, minute: 30, second: 0, millisecond: 0 });
  const json = JSON.stringify(
    {
      event_type: 'BOOKED',
      event_id: 'example-evt-0001',
      event_datetime_utc: sent.toISO({ suppressMilliseconds: true }),
      appointment_id: 'EXAMPLE-1001',
      appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
      appointment_timezone: timeZone,
      appointment_location: 'Example Clinic, Suite 2',
      patient_id: 'P-EXAMPLE-1',
      patient_first_name: 'Robin',
      patient_last_name: 'Example',
      patient_phone: '+13035550142',
      patient_language: 'en',
      provider_id: 'PR-100',
      provider_first_name: 'Sam',
      provider_last_name: 'Sample',
      provider_callback_phone: '+13035550100',
    },
    null,
    2,
  );
  const hl7 = [
    `MSH|^~\\&|EHR|EXAMPLE|SMS|EXAMPLE|${sent.toFormat('yyyyMMddHHmmss')}||SIU^S12^SIU_S12|EXAMPLE-MSG-0001|P|2.5.1`,
    `SCH||EXAMPLE-1002^EHR|||||||30|MIN|^^30^${start.toFormat('yyyyMMddHHmmss')}`,
    'PID|1||P-EXAMPLE-2^^^EHR^MR||EXAMPLE^ROBIN||||||||^PRN^CP^^1^303^5550143||eng',
    'AIL|1||^^^^^^^^Example Clinic',
    'AIP|1||PR-100^SAMPLE^SAM',
  ].join('\n');
  const fhir = JSON.stringify(
    {
      resourceType: 'Appointment',
      id: 'EXAMPLE-1003',
      meta: { versionId: '1', lastUpdated: sent.toISO({ suppressMilliseconds: true }) },
      status: 'booked',
      start: start.toISO({ suppressMilliseconds: true }),
      end: start.plus({ minutes: 30 }).toISO({ suppressMilliseconds: true }),
      contained: [
        {
          resourceType: 'Patient',
          id: 'patient',
          identifier: [{ system: 'urn:example:mrn', value: 'P-EXAMPLE-3' }],
          name: [{ use: 'usual', given: ['Robin'], family: 'Example' }],
          telecom: [{ system: 'phone', use: 'mobile', value: '+13035550144' }],
          communication: [
            { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en' }] }, preferred: true },
          ],
        },
        {
          resourceType: 'Practitioner',
          id: 'provider',
          name: [{ given: ['Sam'], family: 'Sample' }],
          telecom: [{ system: 'phone', use: 'work', value: '+13035550100' }],
        },
        { resourceType: 'Location', id: 'location', name: 'Example Clinic' },
      ],
      participant: [
        { actor: { reference: '#patient' }, status: 'accepted' },
        { actor: { reference: '#provider' }, status: 'accepted' },
        { actor: { reference: '#location' }, status: 'accepted' },
      ],
    },
    null,
    2,
  );
  return { json, hl7, fhir };
}

/** Verifies both signatures of a callback in Node (Express: `express.raw({ type: 'application/json' })`). */
export const NODE_VERIFY_SNIPPET = `const { createHmac, timingSafeEqual } = require('node:crypto');

function sign(secret, ...parts) {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return 'sha256=' + hmac.digest('hex');
}

function same(expected, given) {
  const a = Buffer.from(expected);
  const b = Buffer.from(given ?? '');
  return a.length === b.length && timingSafeEqual(a, b);
}

// rawBody: the request body's bytes exactly as received (a Buffer), before any JSON parsing.
// headers: lower-case names, as Node gives them. secret: EHR_CALLBACK_SECRET.
function verifyCallback(rawBody, headers, secret, nowMs = Date.now()) {
  const timestamp = headers['x-signature-timestamp'] ?? '';
  if (!/^\\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > ${SIGNATURE_REPLAY_WINDOW_SECONDS}) return false; // replayed or clock off
  return (
    same(sign(secret, rawBody), headers['x-signature']) &&
    same(sign(secret, timestamp + '.', rawBody), headers['x-timestamp-signature'])
  );
}
`;

/** The same in Python (standard library only). */
export const PYTHON_VERIFY_SNIPPET = `import hashlib
import hmac
import re
import time


def sign(secret: str, data: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def verify_callback(raw_body: bytes, headers: dict, secret: str, now=None) -> bool:
    """raw_body: the request body's bytes as received; headers: lower-case names."""
    timestamp = headers.get("x-signature-timestamp", "")
    if not re.fullmatch(r"\\d{1,12}", timestamp):
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > ${SIGNATURE_REPLAY_WINDOW_SECONDS}:
        return False  # replayed, or the clocks disagree
    return hmac.compare_digest(
        sign(secret, raw_body), headers.get("x-signature", "")
    ) and hmac.compare_digest(
        sign(secret, timestamp.encode() + b"." + raw_body),
        headers.get("x-timestamp-signature", ""),
    )
`;

function copyBlock(id: string, label: string, text: string): SafeHtml {
  return html`<div class="copy-block">
    <button
      type="button"
      class="copy"
      data-copy="${id}"
      data-label="${label}"
      aria-label="Copy ${label}"
      aria-controls="${id}"
      hidden
    >
      Copy
    </button>
    <pre id="${id}" tabindex="0" aria-label="${label}"><code>${text}</code></pre>
  </div>`;
}

export function integrationPage(deps: IntegrationPageDeps, csrfToken: string): SafeHtml {
  const { config } = deps;
  const { env } = config;
  const base = config.publicBaseUrl;
  const examples = integrationExamples((deps.now ?? (() => new Date()))(), config.defaultTimezone);
  const keys = config.ehrApiKeys.length;
  const callbackUrl = env.EHR_CALLBACK_URL;
  const inboundUrl = `${base}${TWILIO_INBOUND_PATH}`;
  const statusUrl = `${base}${TWILIO_STATUS_PATH}`;
  const curl = (path: string, type: string, file: string): string =>
    `curl -X POST '${base}${path}' \\\n  -H "Authorization: Bearer $EHR_API_KEY" \\\n  -H 'Content-Type: ${type}' \\\n  --data-binary @${file}`;

  const body = html`<p>
      What to give the EHR’s integration team, and what to set in Twilio’s console. URLs are built from
      <code>PUBLIC_BASE_URL</code> (${env.PUBLIC_BASE_URL ? base : html`not set: <code>${base}</code>`}).
    </p>
    ${
      config.sandbox
        ? html`<p><strong>Sandbox mode:</strong> this API serves this machine only; texts stay on it.</p>`
        : ''
    }
    ${
      !env.PUBLIC_BASE_URL
        ? html`<p class="error">
            PUBLIC_BASE_URL is not set, so these URLs name localhost: an EHR or Twilio elsewhere cannot reach
            them. Set it to the public https origin of this API.
          </p>`
        : ''
    }
    <nav aria-label="On this page">
      <ul>
        <li><a href="#endpoints">Endpoints</a></li>
        <li><a href="#authentication">Authentication</a></li>
        <li><a href="#callbacks">Replies back to the EHR</a></li>
        <li><a href="#examples">Example messages</a></li>
        <li><a href="#twilio">Twilio console</a></li>
      </ul>
    </nav>
    <p id="copy-status" class="hint" role="status" aria-live="polite"></p>

    <h2 id="endpoints">Endpoints</h2>
    <div class="table-scroll" role="region" aria-labelledby="endpoints" tabindex="0">
      <table class="stack" role="table">
        <thead role="rowgroup">
          <tr role="row">
            <th scope="col" role="columnheader">What</th>
            <th scope="col" role="columnheader">Method</th>
            <th scope="col" role="columnheader">URL</th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          ${integrationEndpoints(config).map(
            (e) =>
              html`<tr role="row">
                <th scope="row" role="rowheader">${e.what}</th>
                <td role="cell" data-label="Method">${e.method}</td>
                <td role="cell" class="value" data-label="URL">
                  <code>${e.url}</code>${e.note ? html`<br /><span class="hint">${e.note}</span>` : ''}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>

    <h2 id="authentication">Authentication</h2>
    <p>
      Every HTTP endpoint above needs <code>Authorization: Bearer &lt;key&gt;</code>, a key from
      <code>EHR_API_KEYS</code>
      (${
        config.sandbox && env.EHR_API_KEYS.length === 0
          ? 'unset: the sandbox’s own key, README “Sending appointment events”'
          : `${keys} key${keys === 1 ? '' : 's'} configured`
      }).
      Keys are never shown here: hand one to the integration team over a secure channel, one key per sender
      (comma-separated), so one can be withdrawn alone. A missing or wrong key is answered
      <code>401</code> before the body is read.
    </p>
    <p>
      MLLP has no authentication: the listener is limited by <code>HL7_MLLP_HOST</code>,
      <code>HL7_MLLP_ALLOWED_CLIENTS</code> and optional TLS (<code>HL7_MLLP_TLS_*</code>).
    </p>

    <h2 id="callbacks">Replies back to the EHR</h2>
    <p>
      When a patient confirms or asks to cancel, this service POSTs to
      ${
        callbackUrl
          ? html`<code>${callbackUrl}</code> (<code>EHR_CALLBACK_URL</code>)`
          : config.sandbox
            ? html`the built-in receiver (<code>EHR_CALLBACK_URL</code> unset; it listens at
                <code>${SANDBOX_EHR_CALLBACK_PATH}</code>, lists at
                <code>GET /v1/sandbox/ehr-callbacks</code>)`
            : html`<code>EHR_CALLBACK_URL</code>, which is not set`
      }.
      The body is signed with <code>EHR_CALLBACK_SECRET</code>
      (${
        env.EHR_CALLBACK_SECRET
          ? 'set; share it over a secure channel, it is not shown here'
          : config.sandbox
            ? 'unset: the sandbox receiver’s own secret'
            : 'not set'
      }).
    </p>
    <div class="table-scroll" role="region" aria-label="Callback headers" tabindex="0">
      <table>
        <caption>
          Headers
        </caption>
        <thead>
          <tr>
            <th scope="col">Header</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row"><code>Content-Type</code></th>
            <td><code>application/json</code></td>
          </tr>
          <tr>
            <th scope="row"><code>Idempotency-Key</code></th>
            <td>
              the same on every attempt of one callback (e.g. <code>EXAMPLE-1001:SM…:CONFIRM</code>):
              de-duplicate on it
            </td>
          </tr>
          <tr>
            <th scope="row"><code>X-Signature</code></th>
            <td><code>sha256=</code> + hex HMAC-SHA256 of the raw body bytes with the secret</td>
          </tr>
          <tr>
            <th scope="row"><code>X-Signature-Timestamp</code></th>
            <td>unix seconds, set per attempt</td>
          </tr>
          <tr>
            <th scope="row"><code>X-Timestamp-Signature</code></th>
            <td>
              <code>sha256=</code> + hex HMAC-SHA256 of <code>&lt;timestamp&gt;.&lt;raw body&gt;</code>;
              accept a timestamp within ${SIGNATURE_REPLAY_WINDOW_SECONDS / 60} minutes of your clock, so a
              captured request cannot be replayed later
            </td>
          </tr>
        </tbody>
      </table>
    </div>
    <div class="table-scroll" role="region" aria-label="Callback body fields" tabindex="0">
      <table>
        <caption>
          JSON body
        </caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Meaning</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row"><code>event_type</code></th>
            <td>
              <code>CONFIRM</code> or <code>CANCEL</code> (a request: the EHR decides, then sends CANCELED)
            </td>
          </tr>
          <tr>
            <th scope="row"><code>appointment_id</code>, <code>patient_id</code></th>
            <td>as the EHR sent them</td>
          </tr>
          <tr>
            <th scope="row"><code>provider_id</code></th>
            <td>present when the appointment has one</td>
          </tr>
          <tr>
            <th scope="row"><code>event_datetime_utc</code></th>
            <td>when the patient replied, ISO 8601 ending in <code>Z</code></td>
          </tr>
          <tr>
            <th scope="row"><code>reply_text</code></th>
            <td>the reply as typed</td>
          </tr>
        </tbody>
      </table>
    </div>
    <p>
      Answer <strong>2xx</strong> once stored. Any other 4xx is a permanent refusal (not retried; shown on the
      appointment). 408, 429, 5xx, 3xx (redirects are not followed), no answer within
      ${EHR_CALLBACK_TIMEOUT_MS / 1000} s or a network error are retried with backoff (5 s doubling to 10
      minutes) for up to 7 days; a <code>Retry-After</code> sets the next try (at most 1 hour).
    </p>
    <h3 id="verify-node">Verifying a callback in Node</h3>
    ${copyBlock('verify-node-code', 'the Node verification code', NODE_VERIFY_SNIPPET)}
    <h3 id="verify-python">Verifying a callback in Python</h3>
    ${copyBlock('verify-python-code', 'the Python verification code', PYTHON_VERIFY_SNIPPET)}

    <h2 id="examples">Example messages</h2>
    <p class="hint">
      Made-up data for an appointment three days from now at 09:30 (${config.defaultTimezone}). Save one to a
      file and send it with the command under it (<code>EHR_API_KEY</code> holding your key).
    </p>
    <h3>JSON event</h3>
    ${copyBlock('example-json', 'the JSON event', examples.json)}
    ${copyBlock('example-json-curl', 'the command sending the JSON event', curl('/v1/ehr/events', 'application/json', 'event.json'))}
    <h3>HL7 v2 SIU^S12</h3>
    <p class="hint">Segments are shown one per line; CR, LF and CRLF are all accepted.</p>
    ${copyBlock('example-hl7', 'the HL7 SIU S12 message', examples.hl7)}
    ${copyBlock('example-hl7-curl', 'the command sending the HL7 message', curl('/v1/ehr/hl7v2', 'application/hl7-v2', 'siu.hl7'))}
    <h3>FHIR R4 Appointment with a contained Patient</h3>
    ${copyBlock('example-fhir', 'the FHIR Appointment', examples.fhir)}
    ${copyBlock('example-fhir-curl', 'the command sending the FHIR Appointment', curl(FHIR_APPOINTMENT_PATH, 'application/fhir+json', 'appointment.json'))}

    <h2 id="twilio">Twilio console</h2>
    ${
      config.sandbox
        ? html`<p>
            Sandbox mode: nothing to set, texts go to the built-in emulation. With a Twilio account, set the
            following.
          </p>`
        : ''
    }
    <ul>
      <li>
        ${
          env.TWILIO_MESSAGING_SERVICE_SID
            ? html`Messaging Service <code>${env.TWILIO_MESSAGING_SERVICE_SID}</code> (Messaging → Services →
                Integration): <strong>Incoming Messages</strong> “Send a webhook”, Request URL`
            : html`The number${env.TWILIO_PHONE_NUMBER ? html` <code>${env.TWILIO_PHONE_NUMBER}</code>` : ''}
                (Phone Numbers → Active numbers → Messaging configuration):
                <strong>A message comes in</strong> “Webhook”, URL`
        }
        <code>${inboundUrl}</code>, HTTP <code>POST</code>. Twilio signs each request against this exact URL
        with the account’s auth token, so it must match <code>PUBLIC_BASE_URL</code> exactly (scheme, host,
        port). To have Twilio retry our <code>503</code>s, add <code>#rc=3&amp;rp=ct,rt,5xx</code> to it or
        set a Fallback URL.
      </li>
      <li>
        <strong>Status callbacks</strong>: nothing to set. Each text asks for its own delivery reports at
        <code>${statusUrl}?appointmentId=…</code>${
          env.TWILIO_MESSAGING_SERVICE_SID
            ? html`; leave the Messaging Service’s Delivery Status Callback empty`
            : ''
        }.
      </li>
      <li>
        <strong>Verify</strong> (the console’s sign-in code): a Verify service with the SMS channel, its
        <code>VA…</code> sid in <code>TWILIO_VERIFY_SERVICE_SID</code>.
      </li>
    </ul>
    <script src="${COPY_SCRIPT_PATH}" defer></script>`;
  return layout({ title: 'Integration', body, signedIn: { csrfToken } });
}

/** GET /admin/integration and the copy buttons' script. */
export function integrationRouter(deps: IntegrationPageDeps): Router {
  const router = Router();
  router.use(copyScriptRouter());
  router.get(INTEGRATION_PATH, (_req, res) => {
    const operator = res.locals.operator as OperatorLocals;
    sendPage(res, 200, integrationPage(deps, operator.csrfToken));
  });
  return router;
}
