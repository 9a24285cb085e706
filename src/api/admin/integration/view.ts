/**
 * The integration page's HTML: the endpoints, how the EHR authenticates, the callback contract (its
 * headers, body, retries and code to verify its signatures), example messages with the commands that
 * send them, and what to set in Twilio's console. Secrets are never printed, only where they are set.
 */
import { EHR_CALLBACK_TIMEOUT_MS, SIGNATURE_REPLAY_WINDOW_SECONDS } from '../../../activities/ehrCallback';
import type { AppConfig } from '../../../config';
import { SANDBOX_EHR_CALLBACK_PATH } from '../../../activities/ehrCallback';
import { FHIR_APPOINTMENT_PATH } from '../../fhir';
import { TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH } from '../../../http/twilioPaths';
import { COPY_SCRIPT_PATH } from '../assetsCopy';
import { html, type SafeHtml } from '../html';
import { dataTable } from '../pageParts';
import { integrationEndpoints } from './endpoints';
import { integrationExamples } from './examples';
import { NODE_VERIFY_SNIPPET, PYTHON_VERIFY_SNIPPET } from './verifySnippets';

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

/** The page for `config`, its examples dated from `now`. */
export function integrationBody(config: AppConfig, now: Date): SafeHtml {
  const { env } = config;
  const base = config.publicBaseUrl;
  const examples = integrationExamples(now, config.defaultTimezone);
  const keys = config.ehrApiKeys.length;
  const callbackUrl = env.EHR_CALLBACK_URL;
  const inboundUrl = `${base}${TWILIO_INBOUND_PATH}`;
  const statusUrl = `${base}${TWILIO_STATUS_PATH}`;
  const curl = (path: string, type: string, file: string): string =>
    `curl -X POST '${base}${path}' \\\n  -H "Authorization: Bearer $EHR_API_KEY" \\\n  -H 'Content-Type: ${type}' \\\n  --data-binary @${file}`;

  return html`<p>
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
    ${dataTable({
      labelledBy: 'endpoints',
      stack: true,
      columns: ['What', 'Method', 'URL'],
      rows: integrationEndpoints(config).map(
        (e) =>
          html`<tr role="row">
            <th scope="row" role="rowheader">${e.what}</th>
            <td role="cell" data-label="Method">${e.method}</td>
            <td role="cell" class="value" data-label="URL">
              <code>${e.url}</code>${e.note ? html`<br /><span class="hint">${e.note}</span>` : ''}
            </td>
          </tr>`,
      ),
    })}

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
    ${dataTable({
      label: 'Callback headers',
      caption: 'Headers',
      columns: ['Header', 'Value'],
      rows: html`<tr>
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
            <code>sha256=</code> + hex HMAC-SHA256 of <code>&lt;timestamp&gt;.&lt;raw body&gt;</code>; accept
            a timestamp within ${SIGNATURE_REPLAY_WINDOW_SECONDS / 60} minutes of your clock, so a captured
            request cannot be replayed later
          </td>
        </tr>`,
    })}
    ${dataTable({
      label: 'Callback body fields',
      caption: 'JSON body',
      columns: ['Field', 'Meaning'],
      rows: html`<tr>
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
        </tr>`,
    })}
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
}
