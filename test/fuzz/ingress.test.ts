/**
 * Fuzzing every way in (issue 15.4): near-valid and garbage inputs from fast-check against the real
 * service on a dev server of its own (API, worker, sandbox Twilio, MLLP listener, a FHIR server as
 * the EHR). For every input: no 5xx, no answer over 2 s; and no rejected input starts or changes a
 * workflow (oracle.ts). FUZZ_RUNS sets the number of inputs (default 2,200), FUZZ_SEED the seed.
 */
import net from 'node:net';
import type { Location, Patient, Practitioner } from '@medplum/fhirtypes';
import { phoneWorkflowId } from '../../src/ingest/phoneIds';
import { logger } from '../../src/log';
import { payloadCodecOf } from '../../src/temporal/dataConverter';
import { startFhirServer, type FhirTestServer } from '../helpers/fhirServer';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';
import { FHIR_SEED_IDS, POOL_APPOINTMENTS, SANDBOX_KEY, type HttpCase } from './ehrCommon';
import { fhirCase, fhirNotificationCase } from './ehrFhirCases';
import { hl7HttpCase, mllpScript } from './ehrHl7Cases';
import { jsonEventCase } from './ehrJsonCases';
import { WorkflowOracle } from './oracle';
import { fuzzIngress, judgeHttp, runHttpBatch, runMllpBatch, type FuzzContext } from './runner';
import { FUZZ_RUNS, FUZZ_SEED, batchesFor, BATCH_SIZE, type IngressName } from './settings';
import { closeConnections, sendHttp } from './transport';
import { PATIENT_NUMBERS, sandboxInboundCase, twilioInboundCase, twilioStatusCase } from './twilioCases';

const ZONE = 'America/Denver';
// Generous: CI time is kept small by the input count, not by this.
jest.setTimeout(20 * 60_000);

let fhir: FhirTestServer;
let stack: SandboxStack;
let ctx: FuzzContext;
const startedAt = performance.now();

const fhirSeeds: [Patient, Practitioner, Location] = [
  {
    resourceType: 'Patient',
    id: FHIR_SEED_IDS.patient,
    name: [{ family: 'Fuzz', given: ['Eli'] }],
    telecom: [{ system: 'phone', value: '***-***-0177', use: 'mobile' }],
  },
  { resourceType: 'Practitioner', id: FHIR_SEED_IDS.practitioner, name: [{ family: 'Kim', given: ['Jo'] }] },
  { resourceType: 'Location', id: FHIR_SEED_IDS.location, name: 'Fuzz Clinic' },
];

beforeAll(async () => {
  // The API logs through the process logger (npm start sets its level from LOG_LEVEL): thousands of refusals otherwise.
  logger.level = 'silent';
  fhir = await startFhirServer({ seed: fhirSeeds });
  stack = await startSandboxStack('fuzz', {
    DEFAULT_TIMEZONE: ZONE,
    FHIR_BASE_URL: fhir.baseUrl,
    HL7_MLLP_PORT: String(await portBelowEphemeralRange()),
  });
  const { config, env } = stack;
  const base = new URL(stack.base);
  const watched = [
    ...POOL_APPOINTMENTS.map((id) => `appointment-${id}`),
    ...PATIENT_NUMBERS.map((n) => phoneWorkflowId(n, config.phoneIdKey)),
  ];
  const codec = payloadCodecOf(config);
  const oracle = new WorkflowOracle({
    client: env.client,
    taskQueue: config.env.TEMPORAL_TASK_QUEUE,
    ...(codec ? { codec } : {}),
    watched: () => watched,
    sandboxSids: async () => {
      const res = await fetch(`${stack.base}/v1/sandbox/messages`);
      return new Set(((await res.json()) as Array<{ sid: string }>).map((m) => m.sid));
    },
  });
  const mllpPort = stack.api.mllpPort;
  if (mllpPort === undefined) throw new Error('the stack did not start its MLLP listener');
  ctx = {
    base,
    mllpPort,
    oracle,
    defaultCountry: config.env.DEFAULT_COUNTRY,
    defaultTimezone: config.defaultTimezone,
    stats: new Map(),
    rejected: [],
  };
  // The shared appointments the near-valid inputs aim at, booked through the real route (and the oracle's books).
  const before = await oracle.snapshot();
  for (const id of POOL_APPOINTMENTS) {
    const seed: HttpCase = {
      ingress: 'jsonEvents',
      shape: 'seed',
      request: {
        method: 'POST',
        path: '/v1/ehr/events',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${SANDBOX_KEY}` },
        body: Buffer.from(
          JSON.stringify({
            event_type: 'BOOKED',
            event_id: `seed-${id}`,
            event_datetime_utc: '2030-01-01T00:00:00Z',
            appointment_id: id,
            appointment_datetime: '2031-06-02T10:00:00',
            appointment_timezone: ZONE,
            patient_id: `PAT-${id}`,
            patient_phone: '***-***-0100',
          }),
        ),
      },
    };
    const judged = judgeHttp(seed, await sendHttp(base, seed.request, 15_000), ctx);
    if (judged.verdict !== 'accepted')
      throw new Error(`seeding ${id} failed: ${judged.answer} ${judged.reason ?? ''}`);
  }
  const { problems } = await oracle.verify(before);
  if (problems.length > 0) throw new Error(`seeding left unexplained changes: ${problems.join('; ')}`);
});

/**
 * A free port for MLLP below Linux's ephemeral range (32768+): it is chosen before the dev server starts,
 * and an ephemeral port free now may be a connection's by the time the listener binds (seen: EADDRINUSE).
 */
async function portBelowEphemeralRange(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768');
}

afterAll(async () => {
  if (ctx) process.stdout.write(summary(ctx));
  closeConnections();
  await stack?.stop();
  await fhir?.close();
});

const http = (batch: HttpCase[]) => runHttpBatch(batch, ctx);
const inputs = (name: IngressName): string => `${batchesFor(name) * BATCH_SIZE} inputs`;

/** Found by this suite: bodies nested thousands of levels deep overflowed the stack (500) until jsonDepth.ts. */
const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const FOUND_BEFORE: Array<{ name: string; path: string; body: string }> = [
  {
    name: 'JSON event without event_id (derived id hashed the whole body)',
    path: '/v1/ehr/events',
    body: `{"event_type":"BOOKED","appointment_id":"FZ-DEEP-1","appointment_datetime":"2031-06-02T10:00:00","appointment_timezone":"America/Denver","patient_id":"P1","patient_phone":"***-***-0100","x":${deep(60_000)}}`,
  },
  {
    name: 'FHIR Appointment read by reference, no versionId (event id hashed the resource)',
    path: '/v1/ehr/fhir',
    body: `{"resourceType":"Appointment","id":"FZ-DEEP-2","status":"booked","start":"2031-03-04T09:30:00-07:00","participant":[{"actor":{"reference":"Patient/${FHIR_SEED_IDS.patient}"}}],"x":${deep(5_000)}}`,
  },
  {
    name: 'FHIR Appointment read by reference (the ingest workflow input could not be serialized)',
    path: '/v1/ehr/fhir',
    body: `{"resourceType":"Appointment","id":"FZ-DEEP-3","meta":{"versionId":"1"},"status":"booked","start":"2031-03-04T09:30:00-07:00","participant":[{"actor":{"reference":"Patient/${FHIR_SEED_IDS.patient}"}}],"x":${deep(60_000)}}`,
  },
  {
    name: 'FHIR heartbeat notification (the notification key stringified the body)',
    path: '/v1/ehr/fhir/notifications',
    body: `{"resourceType":"Bundle","type":"subscription-notification","entry":[{"resource":{"resourceType":"SubscriptionStatus","type":"heartbeat","x":${deep(5_000)}}}]}`,
  },
];

describe(`ingress fuzzing (fast-check, seed ${FUZZ_SEED}, ${FUZZ_RUNS} inputs requested)`, () => {
  test.each(FOUND_BEFORE)(
    'found before: $name is refused with a 400, nothing started',
    async ({ path, body }) => {
      const before = await ctx.oracle.snapshot();
      const request = {
        method: 'POST',
        path,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${SANDBOX_KEY}` },
        body: Buffer.from(body),
      };
      const answer = await sendHttp(ctx.base, request, 15_000);
      expect(answer.status).toBe(400);
      expect(
        judgeHttp(
          { ingress: path.includes('fhir') ? 'fhir' : 'jsonEvents', shape: 'found-before', request },
          answer,
          ctx,
        ).verdict,
      ).toBe('rejected');
      expect((await ctx.oracle.verify(before)).problems).toEqual([]);
    },
  );

  test(`POST /v1/ehr/events: canonical JSON, near-valid and garbage (${inputs('jsonEvents')})`, async () => {
    await fuzzIngress('jsonEvents', jsonEventCase, http, ctx);
  });

  test(`POST /v1/ehr/hl7v2: SIU messages with edited segments, fields and encoding characters (${inputs('hl7Http')})`, async () => {
    await fuzzIngress('hl7Http', hl7HttpCase, http, ctx);
  });

  test(`MLLP listener: framed, split and noisy streams of edited SIU messages (${batchesFor('mllp') * BATCH_SIZE} connections)`, async () => {
    await fuzzIngress('mllp', mllpScript, (batch) => runMllpBatch(batch, ctx), ctx);
  });

  test(`POST /v1/ehr/fhir: Appointments contained, in Bundles, by reference, edited (${inputs('fhir')})`, async () => {
    await fuzzIngress('fhir', fhirCase({ fhirBaseUrl: fhir.baseUrl }), http, ctx);
  });

  test(`/v1/ehr/fhir/notifications: R5, backport and rest-hook notifications, edited (${inputs('fhirNotifications')})`, async () => {
    await fuzzIngress('fhirNotifications', fhirNotificationCase({ fhirBaseUrl: fhir.baseUrl }), http, ctx);
  });

  test(`POST /v1/twilio/inbound: signed with fuzzed fields, and forged (${inputs('twilioInbound')})`, async () => {
    const context = {
      authToken: stack.config.sandboxTwilioAuthToken,
      publicBaseUrl: stack.config.publicBaseUrl,
    };
    await fuzzIngress('twilioInbound', twilioInboundCase(context), http, ctx);
  });

  test(`POST /v1/twilio/status: signed with fuzzed fields and query, and forged (${inputs('twilioStatus')})`, async () => {
    const context = {
      authToken: stack.config.sandboxTwilioAuthToken,
      publicBaseUrl: stack.config.publicBaseUrl,
    };
    await fuzzIngress('twilioStatus', twilioStatusCase(context), http, ctx);
  });

  test(`POST /v1/sandbox/inbound: simulated patients' texts (${inputs('sandboxInbound')})`, async () => {
    await fuzzIngress('sandboxInbound', sandboxInboundCase, http, ctx);
  });

  test('afterwards, every workflow on the task queue and every signal an ingress sent is explained by an accepted input', async () => {
    const { problems, workflows } = await ctx.oracle.fullScan();
    expect({ workflows: workflows > POOL_APPOINTMENTS.length, problems }).toEqual({
      workflows: true,
      problems: [],
    });
  });
});

function summary(c: FuzzContext): string {
  const rows = [...c.stats].map(([name, s]) => {
    const sorted = [...s.latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
    const slow = s.slowOnce.length
      ? `  ${s.slowOnce.length} slow once (${Math.round(Math.max(...s.slowOnce))} ms; fast when resent)`
      : '';
    const answers = [...s.answers]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    return `  ${name.padEnd(18)} ${String(s.inputs).padStart(5)} inputs  ${String(s.accepted).padStart(4)} accepted  ${String(s.rejected).padStart(4)} rejected  ${String(s.failures).padStart(3)} failed  p99 ${Math.round(p99)} ms  max ${Math.round(sorted[sorted.length - 1] ?? 0)} ms  ${(s.wallMs / 1000).toFixed(1)} s (oracle ${(s.oracleMs / 1000).toFixed(1)} s)  workflows ${s.workflowsBefore ?? '?'}→${s.workflowsAfter ?? '?'}${slow}  [${answers}]`;
  });
  const total = [...c.stats.values()].reduce((n, s) => n + s.inputs, 0);
  return `\nIngress fuzzing: ${total} inputs, seed ${FUZZ_SEED}, ${((performance.now() - startedAt) / 1000).toFixed(1)} s in all\n${rows.join('\n')}\n`;
}
