/**
 * Issue 14, "Done when": one appointment lifecycle through the API on the dev server (sandbox mode), then
 * the scrapes. Every metric of the service registry (SERVICE_METRICS) moves on the API's `/metrics`, and
 * the counts made inside workflows (metricMeter) move on the Temporal SDK's own exporter, with no patient
 * data (phone in E.164 and national formats, name, appointment id, patient id) in any label of either.
 *
 * The SDK exporter: jest's setup file installs a Runtime without metrics in this process; before anything
 * uses it, this file shuts it down and installs the service's own (installTemporalRuntime) with a
 * Prometheus address on a free port, so the in-process worker exports as `npm start` does.
 *
 * The callbacks-in-retry gauge only moves while a callback waits for a retry: the worker reaches the API
 * (sandbox Twilio, sandbox EHR receiver) through API_INTERNAL_URL, here a pass-through proxy that answers
 * the first callback attempts 503 until the test has seen the gauge at 1, then lets the retry through.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { logger } from '../../src/log';
import { SERVICE_METRICS } from '../../src/metrics/registry';
import { WORKFLOW_METRICS } from '../../src/metrics/workflowMetrics';
import { SANDBOX_EHR_CALLBACK_PATH } from '../../src/activities/ehrCallback';
import { installTemporalRuntime } from '../../src/temporal/runtimeLogger';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/processes';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';

jest.setTimeout(120_000);

const ZONE = 'America/Denver';
const AUTH = 'Bearer sandbox-key';
const IN_RETRY = 'appointment_messaging_ehr_callbacks_in_retry';

const run = Date.now();
/** The patients of this lifecycle; none of these may show up in a label. */
const json = {
  appointmentId: `MLC-JSON-${run}`,
  patientId: `PMLC${run}J`,
  first: 'Marisol',
  last: 'Quintanilla',
  phone: '+13035550161',
  national: '(303) 555-0161',
};
const fhir = {
  appointmentId: `MLC-FHIR-${run}`,
  patientId: `PMLC${run}F`,
  first: 'Evangelina',
  last: 'Brightwater',
  phone: '+13035550162',
  national: '303-555-0162',
};
const hl7 = {
  appointmentId: `MLC-HL7-${run}`,
  patientId: `MRNMLC${run}`,
  first: 'ROSALIND',
  last: 'FAIRWEATHER',
};
const PHI: string[] = [
  ...[json, fhir].flatMap((p) => [
    p.phone,
    p.phone.slice(1), // 13035550161
    p.phone.slice(2), // 3035550161: national digits
    p.national,
    p.phone.slice(5), // 5550161
    `${p.phone.slice(5, 8)}-${p.phone.slice(8)}`, // 555-0161
  ]),
  ...[json, fhir, hl7].flatMap((p) => [p.appointmentId, p.patientId, p.first, p.last]),
].map((s) => s.toLowerCase());

let stack: SandboxStack;
let base: string;
let sdkMetricsUrl: string;
let proxy: http.Server;
/** While true the proxy answers the sandbox EHR receiver's POSTs with 503 (Retry-After: 1). */
let holdCallbacks = true;
let heldCallbacks = 0;

/** A pass-through to the API on `apiPort()`, except for held EHR callbacks. */
async function startProxy(apiPort: () => number): Promise<number> {
  proxy = http.createServer((req, res) => {
    if (holdCallbacks && req.method === 'POST' && req.url === SANDBOX_EHR_CALLBACK_PATH) {
      heldCallbacks += 1;
      req.resume();
      req.on('end', () => res.writeHead(503, { 'Retry-After': '1' }).end());
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: apiPort(), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return (proxy.address() as AddressInfo).port;
}

beforeAll(async () => {
  logger.level = 'silent';
  // Replace the setup file's Runtime (no metrics) with the service's, exporting on a free port.
  const sdkAddress = `127.0.0.1:${await freePort()}`;
  await Runtime.instance().shutdown();
  installTemporalRuntime(logger, sdkAddress);
  sdkMetricsUrl = `http://${sdkAddress}/metrics`;

  let apiPort = 0;
  const proxyPort = await startProxy(() => apiPort);
  stack = await startSandboxStack('metrics-lifecycle', {
    // One reminder a minute before the appointment, so a real timer fires within the test.
    REMINDER_FIRST_TIMING: '0001',
    REMINDER_SECOND_TIMING: '0000',
    DEFAULT_TIMEZONE: ZONE,
    API_INTERNAL_URL: `http://127.0.0.1:${proxyPort}`,
  });
  apiPort = Number(stack.config.env.PORT);
  base = stack.base;
});

afterAll(async () => {
  holdCallbacks = false;
  await stack?.stop();
  await new Promise<void>((resolve) => {
    if (!proxy) return resolve();
    proxy.close(() => resolve());
    proxy.closeAllConnections();
  });
});

// --- Scrapes -------------------------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, sample lines only. */
function parseScrape(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match?.[1] || match[3] === undefined) throw new Error(`unreadable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (key !== undefined && value !== undefined) labels[key] = value;
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return parseScrape(await res.text());
}

/**
 * A metric's total over its label sets: a counter's or gauge's samples, a histogram's `_count`. The SDK
 * exporter's counters have no `_total` suffix; either spelling is read.
 */
function total(samples: Sample[], name: string): number {
  const names = new Set([name, `${name}_count`, `${name}_total`]);
  const isHistogram = samples.some((s) => s.name === `${name}_bucket`);
  return samples
    .filter((s) => names.has(s.name) && (!isHistogram || s.name === `${name}_count`))
    .reduce((sum, s) => sum + s.value, 0);
}

function series(samples: Sample[], name: string, labels: Record<string, string>): number {
  return samples
    .filter((s) => (s.name === name || s.name === `${name}_total`) && matches(s.labels, labels))
    .reduce((sum, s) => sum + s.value, 0);
}

function matches(have: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** Every label value (and label name) of a scrape that contains patient data. */
function phiInLabels(samples: Sample[]): string[] {
  const found = new Set<string>();
  for (const s of samples) {
    for (const [key, value] of Object.entries(s.labels)) {
      const text = `${key}=${value}`.toLowerCase();
      for (const phi of PHI) if (text.includes(phi)) found.add(`${s.name}{${key}="${value}"} holds ${phi}`);
    }
  }
  return [...found];
}

/** The registry metrics whose total is the same as in `before`. */
function unmoved(before: Sample[], after: Sample[], names: readonly string[]): string[] {
  return names.filter((name) => total(after, name) === total(before, name));
}

// --- The API -------------------------------------------------------------------------------------

async function postJson(url: string, body: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(`${base}${url}`, {
    method: 'POST',
    headers: { Authorization: AUTH, 'Content-Type': contentType },
    body: JSON.stringify(body),
  });
}

interface SandboxMessage {
  to: string;
  body: string;
}

async function textsTo(phone: string): Promise<SandboxMessage[]> {
  const res = await fetch(`${base}/v1/sandbox/messages`);
  return ((await res.json()) as SandboxMessage[]).filter((m) => m.to === phone);
}

async function textsToAtLeast(phone: string, count: number, what: string): Promise<SandboxMessage[]> {
  return waitFor(
    async () => {
      const list = await textsTo(phone);
      return list.length >= count ? list : undefined;
    },
    { timeoutMs: 45_000, what },
  );
}

async function reply(from: string, body: string): Promise<void> {
  const res = await fetch(`${base}/v1/sandbox/inbound`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ from, body }),
  });
  expect(res.status).toBe(202);
}

interface ReceivedCallback {
  body: { event_type: string; appointment_id: string };
}

const hl7Time = (t: DateTime): string => t.toFormat('yyyyMMddHHmmss');

describe('metrics after one lifecycle (sandbox mode, dev server)', () => {
  test('every service metric moves on /metrics, workflow counts on the SDK exporter, no PHI in any label', async () => {
    const serviceNames = SERVICE_METRICS.map((m) => m.name);
    const sdkBefore = await waitFor(() => scrape(sdkMetricsUrl), {
      what: `the SDK exporter at ${sdkMetricsUrl}`,
    });
    const before = await scrape(`${base}/metrics`);

    // JSON: the lifecycle's appointment, 75 s ahead, so its 1-minute reminder is due 15 s from now.
    const start = DateTime.now().setZone(ZONE).plus({ seconds: 75 }).startOf('second');
    const reminderAt = start.minus({ minutes: 1 }).toMillis();
    const booked = await postJson('/v1/ehr/events', {
      event_type: 'BOOKED',
      event_id: `${json.appointmentId}-1`,
      appointment_id: json.appointmentId,
      appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
      appointment_timezone: ZONE,
      patient_id: json.patientId,
      patient_first_name: json.first,
      patient_last_name: json.last,
      patient_phone: json.national,
    });
    expect(booked.status).toBe(202);

    // A refused event (no appointment, no patient).
    const refused = await postJson('/v1/ehr/events', {
      event_type: 'BOOKED',
      patient_first_name: json.first,
    });
    expect(refused.status).toBe(400);

    // HL7: accepted but untextable (no number in PID-13): AA with a warning.
    const hl7Start = DateTime.now().setZone(ZONE).plus({ days: 2 }).set({ hour: 10, minute: 0, second: 0 });
    const hl7Answer = await fetch(`${base}/v1/ehr/hl7v2`, {
      method: 'POST',
      headers: { Authorization: AUTH, 'Content-Type': 'application/hl7-v2' },
      body: [
        `MSH|^~\\&|EPIC|VALLEY|SMS|VALLEY|${hl7Time(DateTime.now().setZone(ZONE))}||SIU^S12^SIU_S12|${hl7.appointmentId}-1|P|2.5.1`,
        `SCH||${hl7.appointmentId}^EPIC|||||ROUTINE|OFFICE VISIT|30|MIN|^^30^${hl7Time(hl7Start)}`,
        `PID|1||${hl7.patientId}^^^EPIC^MR||${hl7.last}^${hl7.first}||19850412|F`,
        'AIL|1||VALLEYFM^^^VALLEY^^^^^Valley Family Medicine',
      ].join('\r'),
    });
    const ack = await hl7Answer.text();
    expect(ack).toMatch(/MSA\|AA\|/);
    expect(ack).toMatch(/\|W\|/);

    // FHIR: a textable booking three days ahead; its patient will text STOP.
    const fhirAnswer = await postJson(
      '/v1/ehr/fhir',
      {
        resourceType: 'Appointment',
        id: fhir.appointmentId,
        status: 'booked',
        start: DateTime.now()
          .setZone(ZONE)
          .plus({ days: 3 })
          .set({ hour: 9, minute: 30 })
          .startOf('minute')
          .toISO(),
        contained: [
          {
            resourceType: 'Patient',
            id: fhir.patientId,
            name: [{ family: fhir.last, given: [fhir.first] }],
            telecom: [{ system: 'phone', use: 'mobile', value: fhir.national }],
          },
        ],
        participant: [{ actor: { reference: `#${fhir.patientId}` }, status: 'accepted' }],
      },
      'application/fhir+json',
    );
    expect(fhirAnswer.status).toBe(202);

    // The booking texts; then the patient's "yes" and the other patient's STOP.
    const [bookingText] = await textsToAtLeast(json.phone, 1, 'the booking text');
    expect(bookingText?.body).toMatch(/booked/i);
    await textsToAtLeast(fhir.phone, 1, 'the FHIR booking text');
    await reply(json.phone, 'yes');
    await reply(fhir.phone, 'STOP');

    // The confirmation's EHR callback is held (503): seen in retry on /metrics, then let through.
    await waitFor(
      async () =>
        (await scrape(`${base}/metrics`)).some((s) => s.name === IN_RETRY && s.value >= 1) ? true : undefined,
      {
        timeoutMs: 30_000,
        what: () => `${IN_RETRY} at 1 (${heldCallbacks} callback attempts held)`,
      },
    );
    holdCallbacks = false;
    const callback = await waitFor(
      async () => {
        const res = await fetch(`${base}/v1/sandbox/ehr-callbacks`);
        return ((await res.json()) as ReceivedCallback[]).find(
          (c) => c.body.appointment_id === json.appointmentId,
        );
      },
      { what: 'the CONFIRM callback in the sandbox EHR receiver' },
    );
    expect(callback.body.event_type).toBe('CONFIRM');

    // The reminder on its minute.
    const reminder = await waitFor(
      async () => (await textsTo(json.phone)).find((m) => /remind/i.test(m.body)),
      { timeoutMs: 45_000, what: 'the reminder text' },
    );
    expect(reminder).toBeDefined();
    expect(Date.now()).toBeGreaterThanOrEqual(reminderAt);

    // The snapshot.
    const snapshot = path.join(
      stack.config.dataDir,
      'snapshots',
      'clinic',
      'appointments',
      `${json.appointmentId}.json`,
    );
    await waitFor(() => (existsSync(snapshot) ? true : undefined), { what: snapshot });

    // Counts land just after the effects they count: wait until all moved, then assert for the record.
    const after = await waitFor(
      async () => {
        const now = await scrape(`${base}/metrics`);
        return unmoved(
          before,
          now,
          serviceNames.filter((n) => n !== IN_RETRY),
        ).length === 0
          ? now
          : undefined;
      },
      { timeoutMs: 15_000, what: 'every service metric to move' },
    );
    // The gauge went 0 → 1 above and is back to 0 once the callback was delivered.
    expect(unmoved(before, after, serviceNames)).toEqual([IN_RETRY]);
    expect(total(before, IN_RETRY)).toBe(0);
    expect(total(after, IN_RETRY)).toBe(0);
    const moved = (name: string, labels: Record<string, string>): number =>
      series(after, name, labels) - series(before, name, labels);
    expect(moved('appointment_messaging_ehr_events_total', { format: 'json', outcome: 'accepted' })).toBe(1);
    expect(moved('appointment_messaging_ehr_events_total', { format: 'json', outcome: 'refused' })).toBe(1);
    expect(moved('appointment_messaging_ehr_events_total', { format: 'hl7', outcome: 'accepted' })).toBe(1);
    expect(moved('appointment_messaging_ehr_events_total', { format: 'fhir', outcome: 'accepted' })).toBe(1);
    expect(moved('appointment_messaging_untextable_events_total', { format: 'hl7' })).toBe(1);
    expect(moved('appointment_messaging_hl7_acks_total', { code: 'AA' })).toBe(1);
    expect(moved('appointment_messaging_texts_total', { kind: 'BOOKED', outcome: 'sent' })).toBe(2);
    expect(moved('appointment_messaging_reminder_lateness_seconds_count', {})).toBe(1);
    // On its minute: planned send time to Twilio's answer, less than 5 s late.
    expect(moved('appointment_messaging_reminder_lateness_seconds_sum', {})).toBeLessThan(5);
    expect(moved('appointment_messaging_ehr_callbacks_total', { outcome: 'retry' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(moved('appointment_messaging_ehr_callbacks_total', { outcome: 'delivered' })).toBe(1);
    expect(
      moved('appointment_messaging_snapshot_writes_total', { record: 'appointment', outcome: 'written' }),
    ).toBeGreaterThanOrEqual(1);

    // The workflows' own counts, on the SDK's exporter (they are never on /metrics).
    const { replies, optOuts, reminderSuppressions } = WORKFLOW_METRICS;
    const sdkAfter = await waitFor(
      async () => {
        const now = await scrape(sdkMetricsUrl);
        return total(now, replies.name) - total(sdkBefore, replies.name) >= 2 &&
          total(now, optOuts.name) > total(sdkBefore, optOuts.name)
          ? now
          : undefined;
      },
      { timeoutMs: 15_000, what: 'the reply and opt-out counts on the SDK exporter' },
    );
    const sdkMoved = (name: string, labels: Record<string, string>): number =>
      series(sdkAfter, name, labels) - series(sdkBefore, name, labels);
    expect(sdkMoved(replies.name, { kind: 'confirm' })).toBe(1);
    expect(sdkMoved(replies.name, { kind: 'stop' })).toBe(1);
    expect(sdkMoved(optOuts.name, { change: 'opt_out' })).toBe(1);
    // Not driven here (a daily cap or an opted-out shared number with a reminder due): not asserted to move.
    expect(total(sdkAfter, reminderSuppressions.name)).toBe(total(sdkBefore, reminderSuppressions.name));
    // The SDK's worker metrics are there, for this task queue.
    const taskQueue = stack.config.env.TEMPORAL_TASK_QUEUE;
    expect(
      sdkAfter.some(
        (s) =>
          s.name === 'temporal_workflow_task_queue_poll_succeed' &&
          Object.values(s.labels).includes(taskQueue),
      ),
    ).toBe(true);
    for (const name of [...serviceNames, replies.name, optOuts.name]) {
      expect(after.concat(sdkAfter).some((s) => s.name.startsWith(name))).toBe(true);
    }

    // No patient data in any label of either scrape.
    expect(phiInLabels(after)).toEqual([]);
    expect(phiInLabels(sdkAfter)).toEqual([]);
  });
});
