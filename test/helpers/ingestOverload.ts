/**
 * What the ingest-overload tests share: an API configuration with a short submit timeout and a task
 * queue no worker polls, an API app on given gateways, timed requests in each ingress format (JSON, HL7
 * over HTTP and MLLP, FHIR), an HL7 ACK reader, and what Temporal holds for a workflow.
 */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { DateTime } from 'luxon';
import { Message } from 'node-hl7-client';
import { createApp } from '../../src/api/app';
import { mllpFrame } from '../../src/api/mllp';
import type { Readiness } from '../../src/api/readiness';
import { apiRouters } from '../../src/composition/api';
import type { ApiGateways } from '../../src/composition/gateways';
import { parseConfig, type AppConfig } from '../../src/config';
import { logger } from '../../src/log';
import { sandboxEnv } from './config';
import { uniqueTaskQueue } from './temporal';

export const quiet = logger.child({}, { level: 'silent' });
export const ZONE = 'America/Denver';
/** TEMPORAL_SUBMIT_TIMEOUT_MS in these tests. */
export const TIMEOUT_MS = 1_000;
/** Generous: behaviour, not a benchmark (2 shared cores). The point is "not 3 s, not 20-30 s". */
export const ANSWER_BOUND_MS = TIMEOUT_MS + 1_500;
export const AUTH = { Authorization: 'Bearer sandbox-key' };

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return parseConfig({
    ...sandboxEnv(),
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'ingest-overload-')),
    // No worker ever polls it.
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('overload'),
    TEMPORAL_SUBMIT_TIMEOUT_MS: String(TIMEOUT_MS),
    DEFAULT_TIMEZONE: ZONE,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

/** The API's own routers (apiRouters) over `gateways`, quiet; /readyz answers `readiness`. */
export function ingestApp(
  config: AppConfig,
  gateways: ApiGateways,
  readiness: Readiness = { ready: true, temporal: 'reachable', worker: 'polling' },
): ReturnType<typeof createApp> {
  return createApp({
    logger: quiet,
    readiness: async () => readiness,
    routers: apiRouters(config, gateways, quiet),
  });
}

export interface Timed {
  status: number;
  ms: number;
  retryAfter: string | null;
  contentType: string;
  text: string;
}

export async function timedFetch(url: string, init: RequestInit = {}): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    ms: performance.now() - started,
    retryAfter: res.headers.get('retry-after'),
    contentType: res.headers.get('content-type') ?? '',
    text,
  };
}

const hl7Time = (t: DateTime): string => t.toFormat('yyyyMMddHHmmss');

export function canonicalEvent(
  appointmentId: string,
  eventId: string,
  eventType = 'BOOKED',
): Record<string, string> {
  const start = DateTime.now().setZone(ZONE).plus({ days: 3 }).set({ hour: 9, minute: 30 }).startOf('minute');
  return {
    event_type: eventType,
    event_id: eventId,
    event_datetime_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    appointment_id: appointmentId,
    appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    appointment_timezone: ZONE,
    patient_id: 'P-1',
    patient_phone: '+13035550142',
  };
}

export function postEvent(base: string, body: unknown): Promise<Timed> {
  return timedFetch(`${base}/v1/ehr/events`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export function siu(controlId: string, appointmentId: string): string {
  const start = DateTime.now().setZone(ZONE).plus({ days: 2 }).set({ hour: 10, minute: 0, second: 0 });
  return [
    `MSH|^~\\&|EPIC|VALLEY|SMS|CLINIC|${hl7Time(DateTime.now().setZone(ZONE))}||SIU^S12^SIU_S12|${controlId}|P|2.5.1`,
    `SCH||${appointmentId}^EPIC|||||||30|MIN|^^30^${hl7Time(start)}`,
    'PID|1||MRN-1^^^EPIC^MR||ROSE^ANA||||||||^PRN^CP^^1^303^5550142',
  ].join('\r');
}

export function postHl7(base: string, message: string): Promise<Timed> {
  return timedFetch(`${base}/v1/ehr/hl7v2`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/hl7-v2' },
    body: message,
  });
}

/** MSA-1, MSA-2 and the ERR segments' ERR-8 texts, read with an HL7 library as an engine would. */
export function readAck(text: string): { code: string; controlId: string; errors: string[] } {
  const ack = new Message({ text });
  const errors: string[] = [];
  const errSegments = ack.get('ERR');
  for (let i = 0; i < errSegments.length; i++) errors.push(errSegments.get(i).get('8').toString());
  return { code: ack.get('MSA.1').toString(), controlId: ack.get('MSA.2').toString(), errors };
}

export function fhirAppointment(appointmentId: string): unknown {
  const start = DateTime.now().setZone(ZONE).plus({ days: 4 }).set({ hour: 11, minute: 0 }).startOf('minute');
  return {
    resourceType: 'Appointment',
    id: appointmentId,
    meta: { versionId: '1', lastUpdated: new Date().toISOString() },
    status: 'booked',
    start: start.toISO({ suppressMilliseconds: true }),
    contained: [
      {
        resourceType: 'Patient',
        id: 'p',
        telecom: [{ system: 'phone', value: '+13035550143', use: 'mobile' }],
      },
    ],
    participant: [{ actor: { reference: '#p' }, status: 'accepted' }],
  };
}

export function postFhir(base: string, body: unknown): Promise<Timed> {
  return timedFetch(`${base}/v1/ehr/fhir`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
}

/** One MLLP round trip on a fresh connection, as an engine's sender does it; returns the ACK text. */
export async function sendMllp(port: number, message: string): Promise<{ ack: string; ms: number }> {
  const started = performance.now();
  const socket = net.connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  let received = '';
  const ack = new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const end = received.indexOf('\u001c\r');
      if (end !== -1) resolve(received.slice(received.indexOf('\u000b') + 1, end));
    });
    socket.once('close', () => reject(new Error('MLLP connection closed without an ACK')));
  });
  socket.write(mllpFrame(message));
  const text = await ack;
  socket.destroy();
  return { ack: text, ms: performance.now() - started };
}

export async function signalCount(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
}

export async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export function listen(app: ReturnType<typeof createApp>): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function baseOf(server: Server): string {
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}
