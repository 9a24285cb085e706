/**
 * The Prometheus registry (src/metrics): names, label sets, and no PHI in any label value whatever
 * the counting code is handed (fast-check), plus the /metrics settings.
 */
import fc from 'fast-check';
import {
  ACK_CODES,
  CALLBACK_RETRY_MEMORY_MS,
  countEhrCallback,
  countEhrEvent,
  countSnapshotWrite,
  countText,
  ehrCallbacksInRetry,
  hl7Acks,
  METRIC_PREFIX,
  OTHER,
  registry,
  SERVICE_METRICS,
  texts,
  type CallbackOutcome,
  type EventFormat,
  type EventOutcome,
  type SnapshotOutcome,
  type SnapshotRecord,
  type TextOutcome,
} from '../../../src/metrics/registry';
import { bearerMatches } from '../../../src/metrics/endpoint';
import { replyKindLabel, REPLY_KINDS, WORKFLOW_METRICS } from '../../../src/metrics/workflowMetrics';
import { envFields } from '../../../src/config/schema';
import { problemsOf, sandboxEnv } from '../../helpers/config';

type Series = { labels: Record<string, string | number>; value: number; metricName?: string };

async function seriesOf(name: string): Promise<Series[]> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as Series[];
}

async function valueOf(name: string, labels: Record<string, string>): Promise<number> {
  const found = (await seriesOf(name)).find(
    (s) =>
      s.metricName === undefined &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
      Object.keys(s.labels).length === Object.keys(labels).length,
  );
  return found?.value ?? 0;
}

describe('the metrics registry', () => {
  test('every service metric is named appointment_messaging_*, once, with its fixed label names', async () => {
    const names = SERVICE_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name.startsWith(METRIC_PREFIX)).toBe(true);
    const registered = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, m]));
    for (const { name, labelSets } of SERVICE_METRICS) {
      expect(registered.has(name)).toBe(true);
      expect(registered.get(name)?.help.length).toBeGreaterThan(10);
      for (const values of Object.values(labelSets)) expect(values.length).toBeGreaterThan(0);
    }
    expect(Object.keys(SERVICE_METRICS.find((m) => m.name.endsWith('ehr_events_total'))!.labelSets)).toEqual([
      'format',
      'outcome',
    ]);
    expect(Object.keys(SERVICE_METRICS.find((m) => m.name.endsWith('texts_total'))!.labelSets)).toEqual([
      'kind',
      'outcome',
    ]);
  });

  test('default process metrics are collected', async () => {
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
  });

  test('workflow metrics are named appointment_messaging_* and reply kinds map to their fixed set', () => {
    for (const metric of Object.values(WORKFLOW_METRICS))
      expect(metric.name.startsWith(METRIC_PREFIX)).toBe(true);
    for (const kind of ['CONFIRM', 'CANCEL_REQUEST', 'OPT_OUT', 'OPT_IN', 'HELP', 'CHOICE', 'UNKNOWN']) {
      expect(REPLY_KINDS).toContain(replyKindLabel(kind));
    }
    fc.assert(
      fc.property(fc.string(), (s) => (REPLY_KINDS as readonly string[]).includes(replyKindLabel(s))),
    );
  });

  test('a reminder text records its lateness in seconds; other texts and early timers do not add lateness', async () => {
    const name = `${METRIC_PREFIX}reminder_lateness_seconds`;
    const countOf = async (): Promise<number> =>
      (await seriesOf(name)).find((s) => s.metricName === `${name}_count` && s.labels.kind === 'REMINDER')
        ?.value ?? 0;
    const sumOf = async (): Promise<number> =>
      (await seriesOf(name)).find((s) => s.metricName === `${name}_sum` && s.labels.kind === 'REMINDER')
        ?.value ?? 0;
    const [count, sum] = [await countOf(), await sumOf()];
    const planned = Date.parse('2026-12-02T16:30:00Z');
    countText('REMINDER', 'sent', { plannedAt: new Date(planned).toISOString(), sentAtMs: planned + 90_000 });
    expect(await countOf()).toBe(count + 1);
    expect((await sumOf()) - sum).toBeCloseTo(90);
    countText('REMINDER', 'sent', { plannedAt: new Date(planned).toISOString(), sentAtMs: planned - 500 });
    expect((await sumOf()) - sum).toBeCloseTo(90); // early counts as 0
    countText('BOOKED', 'sent', { plannedAt: new Date(planned).toISOString(), sentAtMs: planned + 1000 });
    countText('REMINDER', 'sent', { plannedAt: 'not a time', sentAtMs: planned });
    expect(await countOf()).toBe(count + 2);
  });

  test('EHR callbacks in retry: a failed attempt counts until delivered or rejected, and is forgotten later', async () => {
    const gauge = `${METRIC_PREFIX}ehr_callbacks_in_retry`;
    const now = Date.now();
    const before = await valueOf(gauge, {});
    countEhrCallback('A1:SM1:CONFIRM', 'retry', now);
    countEhrCallback('A1:SM1:CONFIRM', 'retry', now);
    countEhrCallback('A2:SM2:CANCEL', 'retry', now - CALLBACK_RETRY_MEMORY_MS - 1);
    expect(await valueOf(gauge, {})).toBe(before + 1);
    countEhrCallback('A1:SM1:CONFIRM', 'delivered', now);
    expect(await valueOf(gauge, {})).toBe(before);
    expect(ehrCallbacksInRetry).toBeDefined();
    expect(await valueOf(`${METRIC_PREFIX}ehr_callbacks_total`, { outcome: 'retry' })).toBeGreaterThanOrEqual(
      3,
    );
  });

  test('no PHI: whatever strings reach the counters, label values come only from the fixed sets', async () => {
    const anything = fc.oneof(
      fc.string(),
      fc.constantFrom('+13035550123', 'Ana', 'A100', 'appointment-A100', 'phone-1f2e3d'),
    );
    fc.assert(
      fc.property(anything, anything, anything, (a, b, c) => {
        countEhrEvent(a as EventFormat, b as EventOutcome, c);
        countText(a, b as TextOutcome, { plannedAt: c, sentAtMs: Date.now() });
        countEhrCallback(a, b as CallbackOutcome);
        countSnapshotWrite(a as SnapshotRecord, b as SnapshotOutcome);
        hl7Acks.inc({ code: c });
        texts.inc({ kind: c, outcome: a });
      }),
      { numRuns: 300 },
    );
    const allowed = new Map(SERVICE_METRICS.map((m) => [m.name, m.labelSets]));
    for (const metric of await registry.getMetricsAsJSON()) {
      const sets = allowed.get(metric.name);
      if (!metric.name.startsWith(METRIC_PREFIX)) continue;
      expect(sets).toBeDefined();
      for (const series of metric.values as Series[]) {
        for (const [label, value] of Object.entries(series.labels)) {
          if (label === 'le') continue; // histogram buckets
          const values = sets?.[label];
          expect(values).toBeDefined();
          expect([...(values ?? []), OTHER]).toContain(value);
        }
      }
    }
    // And the scrape text names none of them.
    const text = await registry.metrics();
    for (const phi of ['+13035550123', '3035550123', 'Ana', 'appointment-A100', 'phone-1f2e3d']) {
      expect(text).not.toContain(phi);
    }
    expect(ACK_CODES).toContain('AA');
  });
});

describe('/metrics settings', () => {
  test('a bearer token compares exactly, case-insensitive scheme only', () => {
    const token = 'x'.repeat(40);
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(bearerMatches(token, token)).toBe(false);
    expect(bearerMatches(undefined, token)).toBe(false);
  });

  test('METRICS_BEARER_TOKEN needs 32 characters; ports are checked', () => {
    expect(problemsOf(sandboxEnv({ METRICS_BEARER_TOKEN: 'short' })).join('\n')).toMatch(
      /METRICS_BEARER_TOKEN: must be at least 32 characters/,
    );
    expect(problemsOf(sandboxEnv({ METRICS_BEARER_TOKEN: 'y'.repeat(32), METRICS_PORT: '9100' }))).toEqual(
      [],
    );
    expect(problemsOf(sandboxEnv({ METRICS_PORT: 'abc' })).join('\n')).toMatch(/METRICS_PORT/);
    expect(problemsOf(sandboxEnv({ WORKER_METRICS_PORT: '70000' })).join('\n')).toMatch(
      /WORKER_METRICS_PORT/,
    );
  });

  test('TEMPORAL_SDK_METRICS_ADDRESS: 127.0.0.1:9464 by default, empty turns it off, host:port only', () => {
    const field = envFields.shape.TEMPORAL_SDK_METRICS_ADDRESS;
    expect(field.parse(undefined)).toBe('127.0.0.1:9464');
    expect(field.parse('')).toBeUndefined();
    expect(field.parse('0.0.0.0:9464')).toBe('0.0.0.0:9464');
    expect(field.parse('[::1]:9464')).toBe('[::1]:9464');
    expect(field.safeParse('9464').success).toBe(false);
    expect(envFields.shape.WORKER_METRICS_PORT.parse(undefined)).toBe(9465);
    expect(envFields.shape.WORKER_METRICS_PORT.parse('0')).toBe(0);
  });
});
