/** Pure: the targets, their verdicts, and the printed table. */
import type { CpuSpent } from './cpu';
import type { BenchReport, Results, TargetOutcome } from './results';
import { ratio } from './stats';

export const LIFECYCLE_MAX_EVENTS = 70;
export const LIFECYCLE_MAX_BYTES = 20_000;
export const WORKER_MAX_RSS_MIB = 1024;
export const WORKER_RSS_LEVEL = 10_000;

const num = (value: number | undefined, digits = 1): string =>
  value === undefined || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const secs = (ms: number | undefined): string => num(ms === undefined ? undefined : ms / 1000, 2);
const cpu = (spent: CpuSpent | undefined): string =>
  spent?.total === undefined
    ? '-'
    : `${num(spent.total, 1)} (${num(spent.temporal, 1)}/${num(spent.api, 1)}/${num(spent.worker, 1)})`;
const times = (value: number | undefined): string => (value === undefined ? '-' : `${num(value, 2)}×`);

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  const line = (row: readonly string[]): string =>
    widths
      .map((width, col) => (col === 0 ? (row[col] ?? '').padEnd(width) : (row[col] ?? '').padStart(width)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'n/a' : met ? 'met' : 'NOT met';
}

export function evaluateTargets(results: Results): TargetOutcome[] {
  const targets: TargetOutcome[] = [];
  const { ingest, burst, reminders, steady, lifecycle, memory } = results;

  const ingestRatio = ratio(ingest?.service?.perSecond, ingest?.baseline?.perSecond);
  targets.push({
    name: 'ingest events/s vs bare signal-with-start',
    target: '≥ 0.8× baseline',
    measured: times(ingestRatio),
    ...(ingestRatio === undefined ? {} : { met: ingestRatio >= 0.8 }),
  });

  const burstRatio = ratio(burst?.service?.textedPerSecond, burst?.baseline?.textedPerSecond);
  targets.push({
    name: 'burst texted/s',
    target: '≥ 0.5× baseline',
    measured: times(burstRatio),
    ...(burstRatio === undefined ? {} : { met: burstRatio >= 0.5 && burst?.service?.missing === 0 }),
  });

  const rs = reminders?.service;
  if (rs) {
    targets.push({
      name: 'reminders: every one sent exactly once',
      target: `${rs.count}/${rs.count}, 0 duplicates, 0 missing`,
      measured: `${rs.sentOnce}/${rs.count}, ${rs.duplicates} duplicates, ${rs.missing} missing`,
      met: rs.sentOnce === rs.count && rs.duplicates === 0 && rs.missing === 0,
    });
  } else targets.push({ name: 'reminders: every one sent exactly once', target: 'all', measured: '-' });
  const p99 = rs?.latenessMs?.p99;
  const baseP99 = reminders?.baseline?.latenessMs?.p99;
  targets.push({
    name: 'reminder lateness p99 vs baseline',
    target: '≤ 2× baseline',
    measured: `${secs(p99)} s vs ${secs(baseP99)} s`,
    ...(p99 === undefined || baseP99 === undefined ? {} : { met: p99 <= 2 * Math.max(baseP99, 0) }),
  });
  targets.push({
    name: 'reminder lateness p99',
    target: '≤ 30 s',
    measured: `${secs(p99)} s`,
    ...(p99 === undefined ? {} : { met: p99 <= 30_000 }),
  });

  const at20 = steady?.find((entry) => entry.rate === 20)?.service;
  targets.push({
    name: 'event→text p99 at 20/s, none missing',
    target: '≤ 2 s, 0 missing',
    measured: at20 ? `${secs(at20.latencyMs?.p99)} s, ${at20.missing} missing` : '-',
    ...(at20?.latencyMs === undefined ? {} : { met: at20.latencyMs.p99 <= 2_000 && at20.missing === 0 }),
  });

  const lc = lifecycle?.service;
  targets.push({
    name: 'lifecycle history events (all workflows)',
    target: `≤ ${LIFECYCLE_MAX_EVENTS}`,
    measured: lc ? String(lc.events) : '-',
    ...(lc ? { met: lc.events <= LIFECYCLE_MAX_EVENTS } : {}),
  });
  targets.push({
    name: 'lifecycle history bytes (all workflows)',
    target: `≤ ${LIFECYCLE_MAX_BYTES.toLocaleString('en-US')}`,
    measured: lc ? lc.bytes.toLocaleString('en-US') : '-',
    ...(lc ? { met: lc.bytes <= LIFECYCLE_MAX_BYTES } : {}),
  });

  const point = memory?.points.find((p) => p.open >= WORKER_RSS_LEVEL);
  const largest = memory?.points[memory.points.length - 1];
  targets.push({
    name: `worker RSS at ${WORKER_RSS_LEVEL.toLocaleString('en-US')} open`,
    target: `≤ ${WORKER_MAX_RSS_MIB} MiB`,
    measured: point
      ? `${num(point.workerRssMiB, 0)} MiB`
      : largest
        ? `not measured (largest level ${largest.open}: ${num(largest.workerRssMiB, 0)} MiB)`
        : '-',
    ...(point?.workerRssMiB === undefined ? {} : { met: point.workerRssMiB <= WORKER_MAX_RSS_MIB }),
  });
  return targets;
}

function resultRows(results: Results): string[][] {
  const rows: string[][] = [];
  const row = (label: string, service: string, baseline: string, r = ''): void => {
    rows.push([label, service, baseline, r]);
  };
  const cpuRow = (what: string, s: CpuSpent | undefined, b: CpuSpent | undefined): void =>
    row(`${what}: CPU s total (Temporal/API/worker)`, cpu(s), cpu(b), times(ratio(s?.total, b?.total)));
  const { ingest, burst, reminders, steady, lifecycle, memory } = results;
  if (lifecycle) {
    const s = lifecycle.service;
    const b = lifecycle.baseline;
    const both = (label: string, pick: (x: NonNullable<typeof s>) => number): void =>
      row(
        label,
        s ? pick(s).toLocaleString('en-US') : '-',
        b ? pick(b).toLocaleString('en-US') : '-',
        times(ratio(s ? pick(s) : undefined, b ? pick(b) : undefined)),
      );
    both('lifecycle: workflows', (x) => x.workflows);
    both('lifecycle: history events', (x) => x.events);
    both('lifecycle: history bytes', (x) => x.bytes);
    both('lifecycle: activities (incl. local)', (x) => x.activities);
    both('lifecycle: signals', (x) => x.signals);
    both('lifecycle: updates', (x) => x.updates);
    both('lifecycle: workflow tasks', (x) => x.workflowTasks);
    both('lifecycle: timers', (x) => x.timers);
  }
  if (ingest) {
    const s = ingest.service;
    const b = ingest.baseline;
    row(
      `ingest: events/s (n=${s?.count ?? b?.count}, c=${s?.concurrency ?? b?.concurrency})`,
      num(s?.perSecond),
      num(b?.perSecond),
      times(ratio(s?.perSecond, b?.perSecond)),
    );
    row(
      'ingest: call p99 ms',
      num(s?.callMs?.p99, 0),
      num(b?.callMs?.p99, 0),
      times(ratio(s?.callMs?.p99, b?.callMs?.p99)),
    );
    row('ingest: errors', String(s?.errors ?? '-'), String(b?.errors ?? '-'));
    cpuRow('ingest', s?.cpuSeconds, b?.cpuSeconds);
  }
  if (burst) {
    const s = burst.service;
    const b = burst.baseline;
    row(
      `burst: texted/s (n=${s?.count ?? b?.count})`,
      num(s?.textedPerSecond),
      num(b?.textedPerSecond),
      times(ratio(s?.textedPerSecond, b?.textedPerSecond)),
    );
    row(
      'burst: first post → last text s',
      num(s?.seconds),
      num(b?.seconds),
      times(ratio(s?.seconds, b?.seconds)),
    );
    row('burst: missing after wait', String(s?.missing ?? '-'), String(b?.missing ?? '-'));
    cpuRow('burst', s?.cpuSeconds, b?.cpuSeconds);
  }
  if (reminders) {
    const s = reminders.service;
    const b = reminders.baseline;
    const late = (pick: 'p50' | 'p99' | 'max', label: string): void =>
      row(
        label,
        secs(s?.latenessMs?.[pick]),
        secs(b?.latenessMs?.[pick]),
        times(ratio(s?.latenessMs?.[pick], b?.latenessMs?.[pick])),
      );
    late('p50', `reminders: lateness p50 s (n=${s?.count ?? b?.count})`);
    late('p99', 'reminders: lateness p99 s');
    late('max', 'reminders: lateness max s');
    row(
      'reminders: sent exactly once',
      s ? `${s.sentOnce}/${s.count}` : '-',
      b ? `${b.sentOnce}/${b.count}` : '-',
    );
    cpuRow('reminders', s?.cpuSeconds, b?.cpuSeconds);
    row(
      'reminders: duplicates / missing',
      s ? `${s.duplicates} / ${s.missing}` : '-',
      b ? `${b.duplicates} / ${b.missing}` : '-',
    );
  }
  for (const entry of steady ?? []) {
    const s = entry.service;
    const b = entry.baseline;
    const tag = `${entry.rate}/s for ${s?.durationSeconds ?? b?.durationSeconds} s`;
    row(
      `event→text p50 ms @${tag}`,
      num(s?.latencyMs?.p50, 0),
      num(b?.latencyMs?.p50, 0),
      times(ratio(s?.latencyMs?.p50, b?.latencyMs?.p50)),
    );
    row(
      `event→text p99 ms @${entry.rate}/s`,
      num(s?.latencyMs?.p99, 0),
      num(b?.latencyMs?.p99, 0),
      times(ratio(s?.latencyMs?.p99, b?.latencyMs?.p99)),
    );
    row(
      `missing after ${s?.graceSeconds ?? b?.graceSeconds} s grace @${entry.rate}/s`,
      s ? `${s.missing}/${s.posted}` : '-',
      b ? `${b.missing}/${b.posted}` : '-',
    );
    row(`events accepted/s achieved @${entry.rate}/s`, num(s?.achievedRate), num(b?.achievedRate));
    cpuRow(`@${entry.rate}/s`, s?.cpuSeconds, b?.cpuSeconds);
  }
  if (memory) {
    for (const point of memory.points) {
      row(
        `worker RSS MiB @${point.open.toLocaleString('en-US')} open`,
        `${num(point.workerRssMiB, 0)}${point.quiet ? '' : ' (busy)'}`,
        '',
      );
    }
    for (const idle of memory.idleCpu) {
      row(
        `worker CPU s over ${idle.seconds} s idle @${idle.open.toLocaleString('en-US')} open`,
        `${num(idle.cpuSeconds, 2)} (${num(idle.percentOfCore, 1)}%)`,
        '',
      );
    }
  }
  return rows;
}

export function renderReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    '',
    'Load benchmark: the service beside a minimal baseline on one Temporal dev server',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${num(m.ramGiB, 1)} GiB RAM, node ${m.node}, ${m.os}, load at start ${m.loadAverageAtStart.map((l) => num(l, 2)).join(' ')}`,
    ...(m.loadAverageAtEnd
      ? [
          `Load average at end ${m.loadAverageAtEnd.map((l) => num(l, 2)).join(' ')} (other work on this machine shows here)`,
        ]
      : []),
    `Temporal: ${m.temporalCli}; service commit ${m.gitCommit}; ${report.startedAt} (${Math.round(report.seconds / 60)} min)`,
    `Options: ${Object.entries(report.options)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
      .join(' ')}`,
    '',
    formatTable(['measure', 'service', 'baseline', 'service/baseline'], resultRows(report.results)),
    '',
    formatTable(
      ['target', 'wanted', 'measured', 'verdict'],
      report.targets.map((t) => [t.name, t.target, t.measured, verdict(t.met)]),
    ),
    '',
    `Sandbox listing (GET /v1/sandbox/messages): ${report.sandboxListing.calls} calls; largest ${report.sandboxListing.largest.messages} messages in ${num(report.sandboxListing.largest.ms, 0)} ms; slowest ${num(report.sandboxListing.slowest.ms, 0)} ms (${report.sandboxListing.slowest.messages} messages)`,
    ...(report.notes.length > 0 ? ['', 'Notes:', ...report.notes.map((note) => `  - ${note}`)] : []),
    ...(report.failed ? ['', `FAILED: ${report.failed}`] : []),
    '',
  ];
  return lines.join('\n');
}
