/**
 * GET /metrics over HTTP, as `npm run api` serves it (startApi) against the dev server: Prometheus's
 * content type without a session, counters that move when a JSON event is posted, no PHI in the
 * scrape, and METRICS_PORT / METRICS_BEARER_TOKEN.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { startApi, type ApiServer } from '../../src/apiServer';
import { parseConfig } from '../../src/config';
import { logger } from '../../src/log';
import { SANDBOX_EHR_API_KEY } from '../../src/config/schema';
import { freePort } from '../helpers/ports';
import { devServerEnv, uniqueTaskQueue } from '../helpers/temporal';
import { sandboxEnv } from '../helpers/config';

jest.setTimeout(120_000);

const TOKEN = 'metrics-token-0123456789abcdef0123456789';

let env: TestWorkflowEnvironment;
const started: ApiServer[] = [];

beforeAll(async () => {
  logger.level = 'silent'; // startApi logs requests through the process logger
  env = await devServerEnv();
});

afterAll(async () => {
  for (const api of started) await api.close();
  await env?.teardown();
});

async function api(extra: Record<string, string> = {}): Promise<{ api: ApiServer; base: string }> {
  const port = await freePort();
  const config = parseConfig(
    sandboxEnv({
      PORT: String(port),
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'metrics-http-')),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('metrics'),
      LOG_LEVEL: 'silent',
      TEMPORAL_ADDRESS: env.address,
      ...extra,
    }),
  );
  const server = await startApi(config, env.client);
  started.push(server);
  return { api: server, base: `http://127.0.0.1:${port}` };
}

/** The value of one series in a scrape, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${wanted}} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  return res.text();
}

function event(appointmentId: string, overrides: Record<string, string> = {}): Record<string, string> {
  const start = DateTime.now().setZone('America/Denver').plus({ days: 5 }).startOf('hour');
  return {
    event_type: 'BOOKED',
    event_id: `evt-${appointmentId}`,
    appointment_id: appointmentId,
    appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    appointment_timezone: 'America/Denver',
    patient_id: 'P-metrics-1',
    patient_first_name: 'Annabella',
    patient_last_name: 'Quintero',
    patient_phone: '+13035550187',
    ...overrides,
  };
}

async function post(base: string, body: unknown): Promise<number> {
  const res = await fetch(`${base}/v1/ehr/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${SANDBOX_EHR_API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('GET /metrics on the API', () => {
  test('Prometheus text, no session; counters move with JSON events; no PHI in the scrape', async () => {
    const { base } = await api();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const before = await res.text();
    expect(before).toContain('# TYPE appointment_messaging_ehr_events_total counter');
    expect(before).toContain('process_cpu_seconds_total');

    const counter = 'appointment_messaging_ehr_events_total';
    const id = `MET-${Date.now()}`;
    expect(await post(base, event(id))).toBe(202);
    expect(await post(base, event(id))).toBe(200); // the same event again: a known duplicate
    expect(await post(base, { event_type: 'BOOKED' })).toBe(400);
    // Accepted, but its appointment has begun: counted as untextable, by reason.
    const past = DateTime.now()
      .setZone('America/Denver')
      .minus({ days: 1 })
      .toFormat("yyyy-MM-dd'T'HH:mm:ss");
    expect(await post(base, event(`${id}-past`, { appointment_datetime: past }))).toBe(202);

    const after = await scrape(`${base}/metrics`);
    const moved = (labels: Record<string, string>): number =>
      sample(after, counter, labels) - sample(before, counter, labels);
    expect(moved({ format: 'json', outcome: 'accepted' })).toBe(2);
    expect(moved({ format: 'json', outcome: 'duplicate' })).toBe(1);
    expect(moved({ format: 'json', outcome: 'refused' })).toBe(1);
    expect(
      sample(after, 'appointment_messaging_untextable_events_total', {
        format: 'json',
        reason: 'APPOINTMENT_PASSED',
      }) -
        sample(before, 'appointment_messaging_untextable_events_total', {
          format: 'json',
          reason: 'APPOINTMENT_PASSED',
        }),
    ).toBe(1);
    for (const phi of [id, 'P-metrics-1', 'Annabella', 'Quintero', '3035550187', SANDBOX_EHR_API_KEY]) {
      expect(after).not.toContain(phi);
    }
  });

  test('METRICS_PORT: /metrics there (with METRICS_BEARER_TOKEN), 404 on the API', async () => {
    const metricsPort = await freePort();
    const { api: server, base } = await api({
      METRICS_PORT: String(metricsPort),
      METRICS_BEARER_TOKEN: TOKEN,
    });
    expect(server.metricsPort).toBe(metricsPort);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);

    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    const text = await scrape(url, { Authorization: `Bearer ${TOKEN}` });
    expect(text).toContain('appointment_messaging_texts_total');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(404);
    // The API's other routes are not served on the metrics port.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/v1/ehr/events`, { method: 'POST' })).status).toBe(
      404,
    );
  });

  test("METRICS_BEARER_TOKEN without METRICS_PORT protects the API's /metrics", async () => {
    const { base } = await api({ METRICS_BEARER_TOKEN: TOKEN });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
  });
});
