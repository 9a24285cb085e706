/**
 * ops/: the Prometheus alert rules and the Grafana dashboard name only metrics that exist: the
 * service's registry, the workflows' metricMeter counters, and the Temporal SDK's worker metrics.
 * Each alert has its runbook line in the README.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { registry } from '../../../src/metrics/registry';
import { TEMPORAL_SDK_METRICS } from '../../../src/metrics/temporalSdk';
import { WORKFLOW_METRICS } from '../../../src/metrics/workflowMetrics';

const root = path.join(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

interface AlertRule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  title?: string;
  type?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

async function knownMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  const add = (name: string, histogram: boolean): void => {
    names.add(name);
    if (histogram) for (const suffix of HISTOGRAM_SUFFIXES) names.add(`${name}${suffix}`);
  };
  for (const metric of await registry.getMetricsAsJSON())
    add(metric.name, String(metric.type) === 'histogram');
  for (const metric of Object.values(WORKFLOW_METRICS)) add(metric.name, false);
  // SDK latencies are histograms; adding the suffixes to every SDK name is harmless.
  for (const name of TEMPORAL_SDK_METRICS) add(name, true);
  return names;
}

/** Metric names in a PromQL expression: identifiers of our, the SDK's and the process's families. */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  return [...withoutStrings.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((id) => /^(appointment_messaging_|temporal_|process_|nodejs_)/.test(id));
}

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}

describe('ops: alerts and dashboard', () => {
  const alerts = (
    parse(read('ops/prometheus/alerts.yml')) as { groups: Array<{ rules: AlertRule[] }> }
  ).groups.flatMap((g) => g.rules);

  test('every alert rule names only metrics that exist', async () => {
    const known = await knownMetricNames();
    expect(alerts.length).toBeGreaterThanOrEqual(6);
    for (const rule of alerts) {
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z]+$/);
      const used = metricsIn(rule.expr ?? '');
      expect({ alert: rule.alert, used: used.length > 0 }).toEqual({ alert: rule.alert, used: true });
      for (const name of used)
        expect({ alert: rule.alert, name, known: known.has(name) }).toMatchObject({ known: true });
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.runbook).toContain(rule.alert);
    }
  });

  test('the alerts cover what on-call needs', () => {
    const names = alerts.map((r) => r.alert);
    for (const needed of [
      'RemindersLate',
      'TextsFailing',
      'EhrCallbacksBackingUp',
      'WorkerNotPolling',
      'IngestErrors',
      'IngestUnavailable',
    ]) {
      expect(names).toContain(needed);
    }
  });

  test('each alert has a one-line runbook in the README section "Metrics and alerts"', () => {
    const readme = read('README.md');
    const start = readme.indexOf('## Metrics and alerts');
    expect(start).toBeGreaterThan(0);
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end === -1 ? undefined : end);
    for (const rule of alerts) expect(section).toMatch(new RegExp(`\\| \`${rule.alert}\` +\\|`));
  });

  test('every dashboard query names only metrics that exist', async () => {
    const known = await knownMetricNames();
    const dashboard = JSON.parse(read('ops/grafana/appointment-messaging.json')) as {
      title: string;
      uid: string;
      panels: Panel[];
    };
    expect(dashboard.uid).toBe('appointment-messaging');
    const queries = panelsOf(dashboard.panels).flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
    );
    expect(queries.length).toBeGreaterThan(10);
    const all = new Set<string>();
    for (const { panel, expr } of queries) {
      const used = metricsIn(expr);
      expect({ panel, used: used.length > 0 }).toEqual({ panel, used: true });
      for (const name of used) {
        all.add(name);
        expect({ panel, name, known: known.has(name) }).toMatchObject({ known: true });
      }
    }
    // The signals the dashboard is for.
    for (const name of [
      'appointment_messaging_reminder_lateness_seconds_bucket',
      'appointment_messaging_texts_total',
      'appointment_messaging_ehr_callbacks_in_retry',
      'appointment_messaging_ehr_events_total',
      'temporal_worker_task_slots_available',
      'temporal_workflow_task_queue_poll_succeed',
    ]) {
      expect(all).toContain(name);
    }
  });
});
