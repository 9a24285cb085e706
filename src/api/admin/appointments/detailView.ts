/**
 * One appointment's page: a summary (status, start in its zone, whether it can be texted, the
 * patient's name and number for the signed-in operator, the workflow and where the state came from),
 * a link to the workflow in the Temporal Web UI, and the timeline.
 */
import { html, type SafeHtml } from '../html';
import { dataTable } from '../pageParts';
import { APPOINTMENTS_PATH } from '../paths';
import { executionLabel, zonedText } from './format';
import type { Detail } from './reads';
import { timelineOf, type TimelineEntry } from './timeline';

export interface DetailLinks {
  /** The Temporal Web UI's base URL; no link without it. */
  temporalUiUrl?: string | undefined;
  namespace: string;
}

export function detailBody(detail: Detail, links: DetailLinks): SafeHtml {
  const { view, state, execution } = detail;
  const patient = state?.details?.patient;
  const name = [patient?.firstName, patient?.lastName].filter(Boolean).join(' ');
  const zone = view?.timeZone ?? state?.details?.timeZone ?? '';
  const uiLink = links.temporalUiUrl
    ? `${links.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(detail.workflowId)}`
    : undefined;
  const untextable = view?.untextable ?? state?.untextable;
  return html`<p><a href="${APPOINTMENTS_PATH}">Back to the search</a></p>
    <section aria-labelledby="summary-heading">
      <h2 id="summary-heading">Summary</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>${view?.status ?? 'No event applied yet'}</dd>
        <dt>Start</dt>
        <dd>${view?.start ? zonedText(view.start, zone) : '—'}${zone ? ` (${zone})` : ''}</dd>
        <dt>Cannot be texted</dt>
        <dd>${untextable ?? 'No: it can be texted'}</dd>
        <dt>Opted out</dt>
        <dd>${view ? (view.optedOut ? 'Yes (STOP)' : 'No') : '—'}</dd>
        <dt>Patient</dt>
        <dd>${name || (state ? 'No name given' : 'Not available (no snapshot)')}</dd>
        <dt>Number</dt>
        <dd>${patient?.phone ?? (state ? 'None that can be texted' : 'Not available (no snapshot)')}</dd>
        <dt>Workflow</dt>
        <dd>
          ${detail.workflowId},
          ${execution ? `${executionLabel(execution.status)} (${execution.type})` : 'no longer in Temporal'};
          shown from ${detail.source === 'workflow' ? 'the workflow’s live state' : 'its last snapshot'}
        </dd>
      </dl>
      ${
        uiLink && execution
          ? html`<p>
              <a href="${uiLink}">Open the workflow in the Temporal Web UI</a>. Its payloads are encrypted;
              they show decoded to a browser signed in here, through the codec endpoint (<code>/codec</code>,
              README “Reading payloads: the codec server”).
            </p>`
          : ''
      }
    </section>
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      ${
        view
          ? timelineTable(timelineOf(view, state), zone)
          : html`<p>No event has been applied yet. Reload in a moment.</p>`
      }
    </section>`;
}

function timelineTable(entries: TimelineEntry[], zone: string): SafeHtml {
  if (entries.length === 0) return html`<p>Nothing recorded yet.</p>`;
  return dataTable({
    labelledBy: 'timeline-heading',
    className: 'timeline',
    columns: [`When${zone ? ` (${zone})` : ''}`, 'What', 'Status', 'Details'],
    rows: entries.map(
      (entry) =>
        html`<tr>
          <td>${zonedText(entry.at, zone)}</td>
          <th scope="row">${entry.what}</th>
          <td>${entry.status}</td>
          <td>${entry.detail}</td>
        </tr>`,
    ),
  });
}
