/**
 * The appointments search page's HTML: the form (filled again with what was typed, each problem tied
 * to its field and listed at the top), a notice when nothing could be searched, and a page of results
 * with links to the previous and next pages.
 */
import { APPOINTMENT_STATUSES, PHONE_PROBLEMS } from '../../../shared/appointment';
import { formatPageTrail, type FieldProblem, type SearchField, type SearchForm } from './searchQuery';
import { html, type SafeHtml } from '../html';
import { dataTable, errorAlert, fieldError } from '../pageParts';
import { APPOINTMENTS_PATH } from '../paths';
import { executionLabel, utcText } from './format';
import type { ResultPage } from './reads';

export interface SearchPage {
  form: SearchForm;
  problems: FieldProblem[];
  notice?: string;
  results?: ResultPage & { trail: Uint8Array[] };
}

const FIELD_IDS: Readonly<Record<SearchField, string>> = {
  id: 'search-id',
  match: 'search-match',
  status: 'search-status',
  startFrom: 'search-start-from',
  startTo: 'search-start-to',
  reminderAfter: 'search-reminder-after',
  reminderBefore: 'search-reminder-before',
  untextable: 'search-untextable',
};

export function searchBody({ form, problems, notice, results }: SearchPage): SafeHtml {
  const problemOf = (field: SearchField): FieldProblem | undefined => problems.find((p) => p.field === field);
  const describedBy = (field: SearchField, hint?: string): SafeHtml => {
    const ids = [hint, problemOf(field) ? `${FIELD_IDS[field]}-error` : undefined].filter(Boolean);
    return ids.length > 0
      ? html` aria-describedby="${ids.join(' ')}"${problemOf(field) ? html` aria-invalid="true"` : ''}`
      : html``;
  };
  const errorOf = (field: SearchField): SafeHtml | '' =>
    fieldError(FIELD_IDS[field], problemOf(field)?.message);
  const option = (value: string, label: string, current: string | undefined): SafeHtml =>
    html`<option value="${value}" ${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
  const input = (field: SearchField, label: string, type: string, hint?: string): SafeHtml =>
    html`<div class="field">
      <label for="${FIELD_IDS[field]}">${label}</label>
      <input
        id="${FIELD_IDS[field]}"
        name="${field}"
        type="${type}"
        value="${form[field] ?? ''}"
        ${describedBy(field, hint ? `${FIELD_IDS[field]}-hint` : undefined)}
      />
      ${hint ? html`<p class="hint" id="${FIELD_IDS[field]}-hint">${hint}</p>` : ''} ${errorOf(field)}
    </div>`;

  return html`${
      problems.length > 0
        ? html`<div class="error" role="alert">
            <p>Nothing was searched: fix ${problems.length === 1 ? 'this field' : 'these fields'}.</p>
            <ul>
              ${problems.map((p) => html`<li><a href="#${FIELD_IDS[p.field]}">${p.message}</a></li>`)}
            </ul>
          </div>`
        : ''
    }
    ${errorAlert(notice)}
    <form method="get" action="${APPOINTMENTS_PATH}" class="search" role="search" aria-label="Appointments">
      <div class="field">
        <label for="${FIELD_IDS.id}">Appointment id</label>
        <input
          id="${FIELD_IDS.id}"
          name="id"
          type="text"
          value="${form.id ?? ''}"
          autocomplete="off"
          spellcheck="false"
          ${describedBy('id')}
        />
        ${errorOf('id')}
      </div>
      <div class="field">
        <label for="${FIELD_IDS.match}">Id match</label>
        <select id="${FIELD_IDS.match}" name="match" ${describedBy('match')}>
          ${option('exact', 'Exactly this id', form.match)}
          ${option('prefix', 'Ids starting with it', form.match)}
        </select>
        ${errorOf('match')}
      </div>
      <div class="field">
        <label for="${FIELD_IDS.status}">Status</label>
        <select id="${FIELD_IDS.status}" name="status" ${describedBy('status')}>
          ${option('', 'Any status', form.status)}
          ${APPOINTMENT_STATUSES.map((s) => option(s, s, form.status))}
        </select>
        ${errorOf('status')}
      </div>
      ${input('startFrom', 'Starts on or after (UTC date)', 'date')}
      ${input('startTo', 'Starts on or before (UTC date)', 'date')}
      ${input('reminderAfter', 'Next reminder at or after (UTC)', 'datetime-local')}
      ${input('reminderBefore', 'Next reminder before (UTC)', 'datetime-local')}
      <div class="field">
        <label for="${FIELD_IDS.untextable}">Cannot be texted</label>
        <select id="${FIELD_IDS.untextable}" name="untextable" ${describedBy('untextable')}>
          ${option('', 'Any appointment', form.untextable)}
          ${option('ANY', 'Cannot be texted (any reason)', form.untextable)}
          ${PHONE_PROBLEMS.map((p) => option(p, p, form.untextable))}
        </select>
        ${errorOf('untextable')}
      </div>
      <div class="actions">
        <button type="submit" name="search" value="1">Search</button>
        <a href="${APPOINTMENTS_PATH}">Clear</a>
      </div>
    </form>
    ${results ? resultsSection(form, results) : ''}`;
}

function resultsSection(form: SearchForm, results: ResultPage & { trail: Uint8Array[] }): SafeHtml {
  const pageNumber = results.trail.length + 1;
  const linkTo = (trail: Uint8Array[]): string => {
    const params = new URLSearchParams();
    for (const [field, value] of Object.entries(form)) if (value !== undefined) params.set(field, value);
    if (trail.length > 0) params.set('pages', formatPageTrail(trail));
    const query = params.toString();
    return query ? `${APPOINTMENTS_PATH}?${query}` : APPOINTMENTS_PATH;
  };
  const previous = results.trail.length > 0 ? linkTo(results.trail.slice(0, -1)) : undefined;
  const next = results.nextToken ? linkTo([...results.trail, results.nextToken]) : undefined;
  return html`<section aria-labelledby="results-heading">
    <h2 id="results-heading">Results, page ${pageNumber}</h2>
    ${
      results.rows.length === 0
        ? html`<p>
            No appointment matches${pageNumber > 1 ? ' on this page' : ''}. Newly booked ones can take a few
            seconds to appear.
          </p>`
        : dataTable({
            labelledBy: 'results-heading',
            className: 'results',
            columns: [
              'Appointment',
              'Status',
              'Start (UTC)',
              'Next reminder (UTC)',
              'Cannot be texted',
              'Workflow',
            ],
            rows: results.rows.map(
              (row) =>
                html`<tr>
                  <th scope="row">
                    <a href="${APPOINTMENTS_PATH}/${encodeURIComponent(row.appointmentId)}"
                      >${row.appointmentId}</a
                    >
                  </th>
                  <td>${row.status ?? '—'}</td>
                  <td>${utcText(row.start)}</td>
                  <td>${utcText(row.nextReminderAt)}</td>
                  <td>${row.untextable ?? ''}</td>
                  <td>${executionLabel(row.execution)}</td>
                </tr>`,
            ),
          })
    }
    ${
      previous || next
        ? html`<nav aria-label="Result pages" class="pager">
            ${previous ? html`<a href="${previous}" rel="prev">Previous page</a>` : ''}
            ${next ? html`<a href="${next}" rel="next">Next page</a>` : ''}
          </nav>`
        : ''
    }
  </section>`;
}
