/**
 * Issue 15.5(c): SIGTERM drains within a documented time, proven on real processes against the dev server.
 *
 * The worker (`npm run worker`): an activity in flight (a FHIR read the test's EHR answers slowly) finishes
 * and the process exits 0; one that never finishes is abandoned WORKER_SHUTDOWN_FORCE_MS after the signal,
 * exit 1. The API (`npm run api`): a request in flight finishes (its body still arriving after the signal),
 * new connections are refused at once, idle kept-alive ones closed, exit 0; a request that never finishes is
 * cut at apiDrainMs, exit 1.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import { parseConfig } from '../../src/config';
import { EXIT_CODES } from '../../src/lifecycle';
import { dataConverterOf } from '../../src/temporal/dataConverter';
import { WORKER_SHUTDOWN_FORCE_MS, WORKER_SHUTDOWN_GRACE_MS } from '../../src/worker';
import { sandboxEnv } from '../helpers/config';
import { freePort } from '../helpers/ports';
import { waitFor } from '../helpers/processes';
import {
  buildWorkflowBundle,
  ensureStopped,
  removeTempDirs,
  startService,
  stopWith,
  tempDir,
  type ServiceProcess,
} from '../helpers/processHygiene';
import { devServerEnv, uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(180_000);

let env: TestWorkflowEnvironment;
let bundle: string;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  bundle = buildWorkflowBundle();
  env = await devServerEnv();
});

afterAll(async () => {
  await Promise.all(services.map((service) => ensureStopped(service)));
  await env?.teardown();
  removeTempDirs();
});

function tmpDir(name: string): string {
  return tempDir(`hygiene-drain-${name}-`);
}

describe('npm run worker on SIGTERM', () => {
  /** The codec key the worker and the test's client share (a sandbox worker encrypts payloads). */
  const codecKeys = `k1:${randomBytes(32).toString('base64')}`;
  /** The EHR's FHIR API: answers each read 404 once the test lets it, holding the request until then. */
  let fhir: http.Server;
  let fhirBase: string;
  const held: { arrived: Promise<void>; answer: () => void }[] = [];
  let nextHold: { arrived: () => void; answered: Promise<void> } | undefined;

  beforeAll(async () => {
    fhir = http.createServer((req, res) => {
      const hold = nextHold;
      nextHold = undefined;
      hold?.arrived();
      void (hold?.answered ?? Promise.resolve()).then(() => {
        res.writeHead(404, { 'Content-Type': 'application/fhir+json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => fhir.listen(0, '127.0.0.1', resolve));
    fhirBase = `http://127.0.0.1:${(fhir.address() as net.AddressInfo).port}/fhir`;
  });
  afterAll(async () => {
    for (const hold of held) hold.answer();
    fhir.closeAllConnections();
    await new Promise((resolve) => fhir.close(resolve));
  });

  /** The next FHIR read is held until `answer()`; `arrived` resolves when it has come in. */
  function holdNextRead(): { arrived: Promise<void>; answer: () => void } {
    let arrived!: () => void;
    let answer!: () => void;
    const hold = {
      arrived: new Promise<void>((resolve) => (arrived = resolve)),
      answered: new Promise<void>((resolve) => (answer = resolve)),
    };
    nextHold = { arrived, answered: hold.answered };
    const handle = { arrived: hold.arrived, answer };
    held.push(handle);
    return handle;
  }

  /** A worker, and one FHIR ingest workflow whose first activity reads `Appointment/<id>` from our EHR. */
  async function workerWithActivityInFlight(): Promise<{
    worker: ServiceProcess;
    client: Client;
    workflowId: string;
  }> {
    const taskQueue = uniqueTaskQueue('drain');
    const settings = {
      ...sandboxEnv({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue }),
      PAYLOAD_CODEC_KEYS: codecKeys,
      FHIR_BASE_URL: fhirBase,
    };
    const worker = startService('src/worker.ts', {
      ...settings,
      DATA_DIR: tmpDir('worker'),
      WORKFLOW_BUNDLE_PATH: bundle,
    });
    services.push(worker);
    const client = new Client({
      connection: env.connection,
      dataConverter: dataConverterOf(parseConfig({ ...settings, DATA_DIR: tmpDir('client') })),
    });
    const appointmentId = `drain-${randomBytes(4).toString('hex')}`;
    const workflowId = `fhir-ingest-${appointmentId}`;
    await client.workflow.start('fhirAppointmentIngest', {
      taskQueue,
      workflowId,
      args: [
        {
          appointmentReference: `Appointment/${appointmentId}`,
          references: [],
          appointmentId,
          eventId: appointmentId,
          receivedAt: new Date().toISOString(),
        },
      ],
    });
    return { worker, client, workflowId };
  }

  async function activityCompleted(client: Client, workflowId: string): Promise<boolean> {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).some(
      (event) => event.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    );
  }

  test('an activity in flight finishes before the worker exits 0', async () => {
    const read = holdNextRead();
    const { worker, client, workflowId } = await workerWithActivityInFlight();
    await read.arrived;

    const stopping = stopWith(worker, 'SIGTERM');
    const answerAfterMs = 3_000;
    setTimeout(read.answer, answerAfterMs);
    const stopped = await stopping;
    console.log(
      `worker with an activity in flight answered after ${answerAfterMs} ms exited in ${stopped.ms} ms`,
    );

    expect(stopped.code).toBe(EXIT_CODES.stopped);
    expect(stopped.ms).toBeGreaterThanOrEqual(answerAfterMs);
    expect(stopped.ms).toBeLessThan(WORKER_SHUTDOWN_GRACE_MS);
    // The read's answer reached Temporal: the activity completed, not failed or timed out.
    expect(await activityCompleted(client, workflowId)).toBe(true);
  });

  test('an activity that never finishes is abandoned at WORKER_SHUTDOWN_FORCE_MS: exit 1', async () => {
    const read = holdNextRead();
    const { worker, client, workflowId } = await workerWithActivityInFlight();
    await read.arrived;

    const stopped = await stopWith(worker, 'SIGTERM');
    console.log(`worker with a hung activity exited ${stopped.code} in ${stopped.ms} ms`);
    read.answer();

    expect(stopped.code).toBe(EXIT_CODES.failed);
    expect(stopped.ms).toBeGreaterThanOrEqual(WORKER_SHUTDOWN_FORCE_MS - 500);
    expect(stopped.ms).toBeLessThan(WORKER_SHUTDOWN_FORCE_MS + 3_000);
    expect(await activityCompleted(client, workflowId)).toBe(false);
  });
});

describe('npm run api on SIGTERM', () => {
  /** TEMPORAL_SUBMIT_TIMEOUT_MS for these APIs: their drain time is it + 5 s. */
  const SUBMIT_TIMEOUT_MS = 1_000;
  const DRAIN_MS = SUBMIT_TIMEOUT_MS + 5_000;

  async function startApiProcess(): Promise<{ api: ServiceProcess; port: number }> {
    const port = await freePort();
    const api = startService('src/apiServer.ts', {
      ...sandboxEnv({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('drain-api') }),
      DATA_DIR: tmpDir('api'),
      PORT: String(port),
      TEMPORAL_SUBMIT_TIMEOUT_MS: String(SUBMIT_TIMEOUT_MS),
    });
    services.push(api);
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined), {
      timeoutMs: 60_000,
      what: () => `API /healthz\n${api.output()}`,
    });
    return { api, port };
  }

  /** A booking, as an integration engine posts it. */
  function booking(): string {
    const appointmentId = `drain-${randomBytes(4).toString('hex')}`;
    return JSON.stringify({
      event_type: 'BOOKED',
      event_id: `${appointmentId}-1`,
      appointment_id: appointmentId,
      appointment_datetime: DateTime.now().plus({ days: 5 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"),
      appointment_timezone: 'America/Denver',
      patient_id: 'P-DRAIN',
      patient_phone: '+13035550199',
    });
  }

  /** A raw HTTP/1.1 connection: the test decides when each byte of the request is sent. */
  async function connect(port: number): Promise<{ socket: net.Socket; response: Promise<string> }> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const response = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
    return { socket, response };
  }

  function postHead(body: string): string {
    return (
      'POST /v1/ehr/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sandbox-key\r\n' +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`
    );
  }

  function refused(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
  }

  test('a request in flight finishes; new connections are refused, idle ones closed; exit 0', async () => {
    const { api, port } = await startApiProcess();
    // An idle kept-alive connection, as a client's pool holds one.
    const idle = await connect(port);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await waitFor(() => (idle.socket.bytesRead > 0 ? true : undefined), {
      what: 'the idle connection answered',
    });
    // A booking whose body is still arriving when the signal comes.
    const body = booking();
    const inFlight = await connect(port);
    inFlight.socket.write(postHead(body) + body.slice(0, 10));

    const stopping = stopWith(api, 'SIGTERM');
    await waitFor(async () => ((await refused(port)) ? true : undefined), {
      timeoutMs: 2_000,
      intervalMs: 50,
      what: 'new connections refused',
    });
    expect((await idle.response).startsWith('HTTP/1.1 200')).toBe(true); // closed by the server, not cut mid-answer
    const bodyAfterMs = 1_500;
    await new Promise((resolve) => setTimeout(resolve, bodyAfterMs));
    inFlight.socket.write(body.slice(10));

    const answer = await inFlight.response;
    const stopped = await stopping;
    console.log(
      `API with a request in flight (body finished ${bodyAfterMs} ms later) exited in ${stopped.ms} ms`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(stopped.code).toBe(EXIT_CODES.stopped);
    expect(stopped.ms).toBeGreaterThanOrEqual(bodyAfterMs);
    expect(stopped.ms).toBeLessThan(DRAIN_MS);
  });

  test('a request that never finishes is cut at the drain time (TEMPORAL_SUBMIT_TIMEOUT_MS + 5 s): exit 1', async () => {
    const { api, port } = await startApiProcess();
    const body = booking();
    const stuck = await connect(port);
    stuck.socket.write(postHead(body) + body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the server has the request's head

    const stopped = await stopWith(api, 'SIGTERM');
    console.log(`API with a request that never finishes exited ${stopped.code} in ${stopped.ms} ms`);
    expect(stopped.code).toBe(EXIT_CODES.failed);
    expect(stopped.ms).toBeGreaterThanOrEqual(DRAIN_MS - 100);
    expect(stopped.ms).toBeLessThan(DRAIN_MS + 3_000);
    expect(await stuck.response).toBe(''); // cut without an answer
  });
});
