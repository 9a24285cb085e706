/**
 * The configuration page's HTML: a summary, the live checks' results, every problem and risk, every
 * setting with its value, source and own findings, and how a source is worked out.
 */
import { LIVE_CHECK_TIMEOUT_MS, type CheckOutcome, type LiveCheckResult } from '../checks/runner';
import { html, type SafeHtml } from '../html';
import { dataTable } from '../pageParts';
import type { Finding, FindingLevel } from './findings';
import type { SettingRow } from './settingRows';

export interface ConfigurationView {
  sandbox: boolean;
  checks: readonly LiveCheckResult[];
  /** The problems among `findings`: what would stop the next start. */
  problems: readonly Finding[];
  findings: readonly Finding[];
  rows: readonly SettingRow[];
}

const OUTCOME_LABEL: Readonly<Record<CheckOutcome, string>> = {
  ok: 'OK',
  warning: 'Warning',
  failed: 'Failed',
  sandbox: 'Sandbox',
};
const LEVEL_LABEL: Readonly<Record<FindingLevel, string>> = {
  problem: 'Problem',
  risk: 'Risk',
  note: 'Note',
};

function findingLine(finding: Finding, withName: boolean): SafeHtml {
  return html`<li>
    <span class="badge badge-${finding.level}">${LEVEL_LABEL[finding.level]}</span>
    ${withName && finding.name ? html`<code>${finding.name}</code>: ` : ''}${finding.message}
  </li>`;
}

export function configurationBody({
  sandbox,
  checks,
  problems,
  findings,
  rows,
}: ConfigurationView): SafeHtml {
  const failed = checks.filter((c) => c.outcome === 'failed').length;
  const counts = {
    problem: findings.filter((f) => f.level === 'problem').length,
    risk: findings.filter((f) => f.level === 'risk').length,
  };
  return html`<p>
      The settings this API process runs with (loaded at start-up; change them in the environment or
      <code>.env</code> and restart), checked live each time this page loads.
      ${sandbox ? html`<strong>Sandbox mode is on.</strong>` : ''}
    </p>
    <p>
      ${failed === 0 ? 'No live check failed' : `${failed} live check${failed === 1 ? '' : 's'} failed`};
      ${counts.problem} problem${counts.problem === 1 ? '' : 's'}, ${counts.risk}
      risk${counts.risk === 1 ? '' : 's'}.
    </p>
    <nav aria-label="On this page">
      <ul>
        <li><a href="#live-checks">Live checks</a></li>
        <li><a href="#findings">Problems and risks</a></li>
        <li><a href="#settings">Settings</a></li>
        <li><a href="#sources">How the source is worked out</a></li>
      </ul>
    </nav>

    <h2 id="live-checks">Live checks</h2>
    <p class="hint">
      Run in parallel when this page loads, each given ${LIVE_CHECK_TIMEOUT_MS / 1000} s. Reload to run them
      again.
    </p>
    ${dataTable({
      labelledBy: 'live-checks',
      columns: ['Check', 'Result', 'Why'],
      rows: checks.map(
        (check) =>
          html`<tr>
            <th scope="row">${check.name}</th>
            <td><span class="badge badge-${check.outcome}">${OUTCOME_LABEL[check.outcome]}</span></td>
            <td>${check.reason} <span class="hint">(${check.ms} ms)</span></td>
          </tr>`,
      ),
    })}

    <h2 id="findings">Problems and risks</h2>
    ${
      findings.length === 0
        ? html`<p>None found.</p>`
        : html`${
              problems.length > 0
                ? html`<p class="error" role="alert">
                    The variables as they are now would stop the next start-up (problems below).
                  </p>`
                : ''
            }
            <ul class="findings">
              ${findings.map((f) => findingLine(f, true))}
            </ul>`
    }

    <h2 id="settings">Settings</h2>
    <p class="hint">
      ${rows.length} settings. Secrets (names with TOKEN, SECRET, PASSWORD or KEY) show only whether they are
      set and their length.
    </p>
    ${dataTable({
      labelledBy: 'settings',
      className: 'settings',
      stack: true,
      columns: ['Setting', 'Value', 'Source', 'Problems and risks'],
      rows: rows.map(
        (row) =>
          html`<tr role="row" id="setting-${row.name}">
            <th scope="row" role="rowheader">
              <code>${row.name}</code>${row.secret ? html` <span class="hint">(secret)</span>` : ''}
            </th>
            <td role="cell" class="value" data-label="Value">${row.value}</td>
            <td role="cell" data-label="Source">${row.source}</td>
            ${
              row.findings.length > 0
                ? html`<td role="cell" data-label="Problems and risks">
                    <ul class="findings">
                      ${row.findings.map((f) => findingLine(f, false))}
                    </ul>
                  </td>`
                : html`<td role="cell"></td>`
            }
          </tr>`,
      ),
    })}

    <h2 id="sources">How the source is worked out</h2>
    <ul>
      <li>
        <strong>.env file</strong>: the variable is set and <code>.env</code> (read again now) has the same
        value. <code>.env</code> never overrides a real environment variable, so a real variable with the same
        value looks the same.
      </li>
      <li><strong>environment</strong>: set, and <code>.env</code> has another value or none.</li>
      <li>
        <strong>generated for sandbox</strong>: unset; sandbox mode created it once in its file under DATA_DIR
        (owner-only).
      </li>
      <li>
        <strong>default</strong>: unset; the schema’s default applies. <strong>not set</strong>: unset without
        a default (what is used instead is named).
      </li>
    </ul>`;
}
