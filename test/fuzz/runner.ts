/**
 * Runs fuzz batches against the live stack and judges each answer.
 *
 * Per input: no 5xx (for HL7 also no "not stored" AR/CR, the ACK's 5xx), no answer slower than
 * LATENCY_LIMIT_MS, an answer at all, and a forged or unauthenticated request never accepted.
 * Accepted inputs (2xx; ACK AA/CA) hand the oracle the ids they may touch; everything else is
 * rejected, and around each batch the oracle proves no rejected input started or changed a workflow.
 */
import fc from 'fast-check';
import { MllpFrameDecoder, mllpFrame } from '../../src/api/mllp';
import { mapSiuMessage } from '../../src/domain/hl7/siuMapping';
import type { HttpCase } from './ehrCommon';
import type { MllpScript } from './ehrHl7Cases';
import type { WorkflowOracle } from './oracle';
import {
  BATCH_SIZE,
  CONCURRENCY,
  FUZZ_RUNS,
  FUZZ_SEED,
  LATENCY_LIMIT_MS,
  STRICT_LATENCY,
  batchesFor,
  seedFor,
  type IngressName,
} from './settings';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inPool, mllpExchange, preview, sendHttp, type FuzzRequest, type HttpAnswer } from './transport';

export type Verdict = 'accepted' | 'rejected' | 'failure';

export interface Judged {
  verdict: Verdict;
  /** HTTP status, or the ACK code for HL7. */
  answer: string;
  ms: number;
  /** Why it is a failure. */
  reason?: string;
  description: string;
  shape: string;
  /** What the answer said (for FUZZ_VERBOSE). */
  detail?: string;
  /** Over LATENCY_LIMIT_MS once, but not when sent again alone: the machine's load, not the input (reported). */
  slowOnceMs?: number;
  /** The exact input, written out in full when it fails. */
  raw: { request: FuzzRequest } | { mllpFrame: string };
}

export interface IngressStats {
  inputs: number;
  accepted: number;
  rejected: number;
  failures: number;
  answers: Map<string, number>;
  shapes: Map<string, { inputs: number; accepted: number }>;
  latencies: number[];
  /** Answers over the limit once that were within it when sent again alone. */
  slowOnce: number[];
  wallMs: number;
  /** Of wallMs, the time spent reading Temporal (snapshots, histories). */
  oracleMs: number;
  workflowsBefore?: number;
  workflowsAfter?: number;
}

export interface FuzzContext {
  base: URL;
  mllpPort: number;
  oracle: WorkflowOracle;
  defaultCountry: string;
  defaultTimezone: string;
  stats: Map<IngressName, IngressStats>;
  /** Every rejected input, described, to name the suspect when a workflow change is unexplained. */
  rejected: string[];
}

/** Safety net: a request still unanswered this long is a hang (already a failure at LATENCY_LIMIT_MS). */
const HANG_MS = 15_000;

// ----- judging answers --------------------------------------------------------------------------------------

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringField(value: unknown, name: string): string | undefined {
  const v =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function base(c: HttpCase, answer: HttpAnswer): Judged {
  const judged: Judged = {
    verdict: 'rejected',
    answer: String(answer.status),
    ms: answer.ms,
    description: `${c.ingress} ${fc.stringify(c)}`,
    shape: c.shape.replace(/\[.*$/, ''),
    detail: answer.body.slice(0, 300),
    raw: { request: c.request },
  };
  if (answer.status === 0) return { ...judged, verdict: 'failure', reason: `no answer: ${answer.body}` };
  if (answer.status >= 500)
    return { ...judged, verdict: 'failure', reason: `HTTP ${answer.status}: ${preview(answer.body, 300)}` };
  if (answer.status >= 200 && answer.status < 300) {
    if (c.forged)
      return {
        ...judged,
        verdict: 'failure',
        reason: `a forged/unauthenticated request was accepted (${answer.status})`,
      };
    return { ...judged, verdict: 'accepted' };
  }
  if (answer.status < 400)
    return { ...judged, verdict: 'failure', reason: `unexpected HTTP ${answer.status}` };
  return judged;
}

/** JSON events and FHIR (posted or notified): an accepted answer names the appointment and event (and an ingest). */
function judgeAppointmentAnswer(c: HttpCase, answer: HttpAnswer, ctx: FuzzContext, fhir: boolean): Judged {
  const judged = base(c, answer);
  // An URL that names no endpoint gets the API's plain 404; every endpoint's own refusals are OperationOutcomes.
  const noRoute = answer.status === 404 && answer.body.includes('"not_found"');
  if (judged.verdict === 'rejected' && fhir && !isOperationOutcome(answer) && !noRoute) {
    return {
      ...judged,
      verdict: 'failure',
      reason: `a refusal that is not an OperationOutcome: ${answer.contentType} ${preview(answer.body, 200)}`,
    };
  }
  if (judged.verdict !== 'accepted') return judged;
  const body = jsonOf(answer.body);
  const entries: unknown[] =
    c.ingress === 'fhirNotifications'
      ? ((typeof body === 'object' &&
        body !== null &&
        Array.isArray((body as { appointments?: unknown }).appointments)
          ? (body as { appointments: unknown[] }).appointments
          : undefined) ?? [body])
      : [body];
  for (const entry of entries) {
    const appointmentId = stringField(entry, 'appointmentId');
    const eventId = stringField(entry, 'eventId');
    if (appointmentId) ctx.oracle.accepted.appointmentIds.add(appointmentId);
    if (eventId) ctx.oracle.accepted.eventIds.add(eventId);
    if (eventId && (entry as { resolving?: unknown }).resolving === true)
      ctx.oracle.accepted.ingestEventIds.add(eventId);
  }
  return judged;
}

function isOperationOutcome(answer: HttpAnswer): boolean {
  return (
    answer.contentType.startsWith('application/fhir+json') &&
    stringField(jsonOf(answer.body), 'resourceType') === 'OperationOutcome'
  );
}

export interface AckReading {
  code: string;
  /** ERR texts: a "not stored" error is the HL7 answer's 5xx. */
  errors: string[];
}

export function readAck(text: string): AckReading | undefined {
  const segments = text.split('\r').filter(Boolean);
  if (!segments[0]?.startsWith('MSH|')) return undefined;
  const msa = segments.find((s) => s.startsWith('MSA|'));
  if (!msa) return undefined;
  return {
    code: msa.split('|')[1] ?? '',
    errors: segments.filter((s) => s.startsWith('ERR|') || s.startsWith('MSA|')),
  };
}

/** An ACK for `message` (the text as the server decoded it): AA/CA accepted, AE/AR/CE/CR rejected. */
function judgeAck(
  ack: string,
  message: string,
  ctx: FuzzContext,
): Pick<Judged, 'verdict' | 'answer' | 'reason' | 'detail'> {
  const reading = readAck(ack);
  if (!reading) return { verdict: 'failure', answer: '?', reason: `not an ACK: ${preview(ack, 200)}` };
  const notStored = reading.errors.some((e) => /not stored|temporarily unavailable/.test(e));
  if (notStored)
    return {
      verdict: 'failure',
      answer: reading.code,
      reason: `${reading.code}: ${preview(reading.errors.join(' / '), 300)}`,
    };
  if (reading.code === 'AA' || reading.code === 'CA') {
    const mapped = mapSiuMessage(message, {
      defaultCountry: ctx.defaultCountry,
      defaultTimezone: ctx.defaultTimezone,
      receivedAt: new Date().toISOString(),
    });
    if (!mapped.ok)
      return {
        verdict: 'failure',
        answer: reading.code,
        reason: 'accepted (AA), but the SIU mapping refuses the same text',
      };
    ctx.oracle.accepted.appointmentIds.add(mapped.event.appointmentId);
    ctx.oracle.accepted.eventIds.add(mapped.event.eventId);
    return { verdict: 'accepted', answer: reading.code };
  }
  if (['AE', 'AR', 'CE', 'CR'].includes(reading.code)) {
    // The mapping's catch-all: the library threw on this input. The sender still got an answer; noted.
    const crashed = reading.errors.some((e) => e.includes('could not be read'));
    return {
      verdict: 'rejected',
      answer: crashed ? `${reading.code}(parser threw)` : reading.code,
      detail: reading.errors.join(' / '),
    };
  }
  return {
    verdict: 'failure',
    answer: reading.code,
    reason: `unknown acknowledgment code ${JSON.stringify(reading.code)}`,
  };
}

/** What express.text decoded the body to: latin1 for a latin1 charset, else UTF-8. */
function serverText(c: HttpCase): string {
  const latin1 = /charset=(iso-8859-1|latin1)/i.test(c.request.headers['Content-Type'] ?? '');
  return (c.request.body ?? Buffer.alloc(0)).toString(latin1 ? 'latin1' : 'utf8');
}

function judgeHl7Http(c: HttpCase, answer: HttpAnswer, ctx: FuzzContext): Judged {
  const judged = base(c, answer);
  if (judged.verdict !== 'accepted') return judged;
  // 200 whatever MSA-1 says: the ACK decides.
  return { ...judged, ...judgeAck(answer.body, serverText(c), ctx) };
}

function judgeTwilio(c: HttpCase, answer: HttpAnswer, ctx: FuzzContext): Judged {
  const judged = base(c, answer);
  if (judged.verdict !== 'accepted') return judged;
  const sid = new URLSearchParams(c.request.body?.toString('utf8') ?? '').get('MessageSid');
  if (sid)
    (c.ingress === 'twilioInbound' ? ctx.oracle.accepted.inboundSids : ctx.oracle.accepted.statusSids).add(
      sid,
    );
  return judged;
}

function judgeSandboxInbound(c: HttpCase, answer: HttpAnswer, ctx: FuzzContext): Judged {
  const judged = base(c, answer);
  if (judged.verdict !== 'accepted') return judged;
  const sid = stringField(jsonOf(answer.body), 'messageSid');
  if (sid) ctx.oracle.accepted.inboundSids.add(sid);
  return judged;
}

export function judgeHttp(c: HttpCase, answer: HttpAnswer, ctx: FuzzContext): Judged {
  switch (c.ingress) {
    case 'hl7Http':
      return judgeHl7Http(c, answer, ctx);
    case 'twilioInbound':
    case 'twilioStatus':
      return judgeTwilio(c, answer, ctx);
    case 'sandboxInbound':
      return judgeSandboxInbound(c, answer, ctx);
    default:
      return judgeAppointmentAnswer(
        c,
        answer,
        ctx,
        c.ingress === 'fhir' || c.ingress === 'fhirNotifications',
      );
  }
}

/**
 * An answer over the limit is sent again alone: slow again, the input is slow (a failure); fast, it was the
 * moment (CI shares 2 cores with the dev server and the worker; Temporal serializes concurrent signals to
 * one workflow), noted in the summary. FUZZ_STRICT_LATENCY=1 fails at once.
 */
async function withinLimit(judged: Judged, again: () => Promise<Judged>): Promise<Judged> {
  if (judged.verdict === 'failure' || judged.ms <= LATENCY_LIMIT_MS) return judged;
  if (STRICT_LATENCY)
    return { ...judged, verdict: 'failure', reason: `answered after ${Math.round(judged.ms)} ms` };
  const second = await again();
  if (second.verdict !== 'failure' && second.ms <= LATENCY_LIMIT_MS)
    return { ...judged, slowOnceMs: judged.ms };
  return {
    ...judged,
    verdict: 'failure',
    reason: `answered after ${Math.round(judged.ms)} ms, and after ${Math.round(second.ms)} ms when sent again alone (${second.answer})`,
  };
}

export async function runHttpBatch(cases: readonly HttpCase[], ctx: FuzzContext): Promise<Judged[]> {
  const send = async (c: HttpCase): Promise<Judged> =>
    judgeHttp(c, await sendHttp(ctx.base, c.request, HANG_MS), ctx);
  const first = await inPool(cases, CONCURRENCY, send);
  return oneAtATime(first, (judged, i) => withinLimit(judged, () => send(cases[i] as HttpCase)));
}

// ----- MLLP -------------------------------------------------------------------------------------------------

/** The byte stream of a script, and the frames the listener will cut from it (its own decoder decides). */
export function mllpBytes(script: MllpScript): { chunks: Buffer[]; frames: string[] } {
  const parts: Buffer[] = [];
  if (script.garbage) parts.push(script.garbage, Buffer.from([0x1c, 0x0d]));
  script.messages.forEach((message, i) => {
    parts.push(Buffer.from(script.noise[i % Math.max(1, script.noise.length)] ?? ''), mllpFrame(message));
  });
  const bytes = Buffer.concat(parts);
  const frames = new MllpFrameDecoder().push(bytes).map((f) => f.toString('utf8'));
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = script.splits[i % script.splits.length] ?? bytes.length;
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return { chunks, frames };
}

/** `work` over `items` in order, one at a time (re-sends must not queue behind each other). */
async function oneAtATime<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (const [index, item] of items.entries()) results.push(await work(item, index));
  return results;
}

/** One frame alone on a new connection (the re-send of a slow one). */
async function sendFrameAlone(frame: string, ctx: FuzzContext): Promise<Judged> {
  const exchange = await mllpExchange(ctx.mllpPort, [mllpFrame(frame)], (acks) => acks.length >= 1, HANG_MS);
  const ack = exchange.acks[0];
  const base = {
    ms: exchange.ms[0] ?? HANG_MS,
    shape: 'resent',
    description: 'resent',
    raw: { mllpFrame: frame },
  };
  if (ack === undefined)
    return { ...base, verdict: 'failure', answer: 'none', reason: exchange.error ?? 'no ACK' };
  return { ...base, ...judgeAck(ack, frame, ctx) };
}

export async function runMllpBatch(scripts: readonly MllpScript[], ctx: FuzzContext): Promise<Judged[]> {
  const perScript = await inPool(scripts, CONCURRENCY, async (script) => {
    const { chunks, frames } = mllpBytes(script);
    const exchange = await mllpExchange(
      ctx.mllpPort,
      chunks,
      (acks) => acks.length >= frames.length,
      HANG_MS,
    );
    const description = `mllp ${fc.stringify(script)}`;
    return frames.map((frame, i): Judged => {
      const ack = exchange.acks[i];
      const ms = exchange.ms[i] ?? HANG_MS;
      const shape = script.garbage ? 'garbage-framing' : 'framed';
      const raw = { mllpFrame: frame };
      if (ack === undefined) {
        return {
          verdict: 'failure',
          answer: 'none',
          ms,
          shape,
          description,
          raw,
          reason: `no ACK for frame ${i + 1} of ${frames.length}: ${exchange.error ?? ''}`,
        };
      }
      return {
        ...judgeAck(ack, frame, ctx),
        ms,
        shape,
        raw,
        description: `${description} (frame ${i + 1}: ${preview(frame, 200)})`,
      };
    });
  });
  return oneAtATime(perScript.flat(), (judged) =>
    withinLimit(judged, () => sendFrameAlone('mllpFrame' in judged.raw ? judged.raw.mllpFrame : '', ctx)),
  );
}

// ----- the property -----------------------------------------------------------------------------------------

function statsFor(ctx: FuzzContext, name: IngressName): IngressStats {
  let stats = ctx.stats.get(name);
  if (!stats) {
    stats = {
      inputs: 0,
      accepted: 0,
      rejected: 0,
      failures: 0,
      answers: new Map(),
      shapes: new Map(),
      latencies: [],
      slowOnce: [],
      wallMs: 0,
      oracleMs: 0,
    };
    ctx.stats.set(name, stats);
  }
  return stats;
}

/** FUZZ_VERBOSE=1: one line per input (verdict, answer, input), to see what the generators reach. */
const VERBOSE = process.env.FUZZ_VERBOSE === '1';

function record(stats: IngressStats, results: readonly Judged[], ctx: FuzzContext): void {
  for (const r of results) {
    if (VERBOSE) {
      process.stdout.write(
        `${r.verdict.padEnd(8)} ${r.answer.padEnd(6)} ${String(Math.round(r.ms)).padStart(5)}ms ${r.description.slice(0, 400)}\n`,
      );
      if (r.detail) process.stdout.write(`         ↳ ${JSON.stringify(r.detail)}\n`);
    }
    stats.inputs++;
    stats[r.verdict === 'accepted' ? 'accepted' : r.verdict === 'rejected' ? 'rejected' : 'failures']++;
    stats.answers.set(r.answer, (stats.answers.get(r.answer) ?? 0) + 1);
    const shape = stats.shapes.get(r.shape) ?? { inputs: 0, accepted: 0 };
    shape.inputs++;
    if (r.verdict === 'accepted') shape.accepted++;
    stats.shapes.set(r.shape, shape);
    stats.latencies.push(r.ms);
    if (r.slowOnceMs !== undefined) stats.slowOnce.push(r.slowOnceMs);
    if (r.verdict === 'rejected') ctx.rejected.push(r.description);
  }
}

/** Failing inputs byte for byte (bodies as UTF-8 text, or base64 when they are not), for replaying with curl or nc. */
function saveFailures(name: IngressName, failures: readonly Judged[]): string {
  const dir = path.join(os.tmpdir(), 'ingress-fuzz-failures');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-seed${FUZZ_SEED}-${Date.now()}.jsonl`);
  const lines = failures.map((f) => {
    if ('mllpFrame' in f.raw) return JSON.stringify({ reason: f.reason, mllpFrame: f.raw.mllpFrame });
    const { body, ...request } = f.raw.request;
    const text = body?.toString('utf8');
    const exact = body !== undefined && Buffer.from(text ?? '', 'utf8').equals(body);
    return JSON.stringify({
      reason: f.reason,
      ...request,
      ...(body === undefined ? {} : exact ? { body: text } : { bodyBase64: body.toString('base64') }),
    });
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Rejected inputs whose text names what a problem names (quoted values and workflow ids). */
function suspects(problem: string, ctx: FuzzContext): string[] {
  const needles = [...problem.matchAll(/"([^"]{3,})"|workflow (\S+)/g)]
    .map((m) => m[1] ?? (m[2] ?? '').replace(/^(appointment|fhir-ingest)-/, ''))
    .filter((n) => n.length >= 3);
  return ctx.rejected.filter((d) => needles.some((n) => d.includes(n))).slice(0, 5);
}

/**
 * fast-check generates the batches (a fixed seed per ingress) and runs them; every batch runs even after
 * a failure, so one run reports every problem it meets. Shrinking is off: each run costs real requests,
 * and each problem already names its input (and the run writes the failing inputs out in full).
 */
export async function fuzzIngress<C>(
  name: IngressName,
  arbitrary: fc.Arbitrary<C>,
  run: (batch: C[]) => Promise<Judged[]>,
  ctx: FuzzContext,
): Promise<void> {
  const stats = statsFor(ctx, name);
  const started = performance.now();
  stats.workflowsBefore = (await ctx.oracle.snapshot()).executions;
  const seed = seedFor(name);
  const numRuns = batchesFor(name);
  const problems: string[] = [];
  const failing: Judged[] = [];
  let batchNumber = 0;
  const property = fc.asyncProperty(
    fc.array(arbitrary, { minLength: BATCH_SIZE, maxLength: BATCH_SIZE }),
    async (batch) => {
      batchNumber++;
      let t = performance.now();
      const before = await ctx.oracle.snapshot();
      stats.oracleMs += performance.now() - t;
      const results = await run(batch);
      record(stats, results, ctx);
      t = performance.now();
      const { problems: changes, after } = await ctx.oracle.verify(before);
      stats.oracleMs += performance.now() - t;
      stats.workflowsAfter = after.executions;
      const failures = results.filter((r) => r.verdict === 'failure');
      failing.push(...failures);
      problems.push(
        ...failures.map((f) => `- batch ${batchNumber}: ${f.reason}\n    input: ${f.description}`),
        ...changes.map((p) => {
          const named = suspects(p, ctx);
          return `- batch ${batchNumber}: a rejected input changed Temporal: ${p}${named.length ? `\n    rejected inputs naming it:\n      ${named.join('\n      ')}` : ''}`;
        }),
      );
    },
  );
  try {
    const details = await fc.check(property, { seed, numRuns });
    if (details.failed) throw details.errorInstance;
  } finally {
    stats.wallMs += performance.now() - started;
  }
  if (problems.length > 0) {
    const saved = failing.length > 0 ? `\nThe failing inputs in full: ${saveFailures(name, failing)}` : '';
    throw new Error(
      `${name}: ${problems.length} problem(s) in ${numRuns} batches of ${BATCH_SIZE}. Reproduce with FUZZ_SEED=${FUZZ_SEED} ` +
        `FUZZ_RUNS=${FUZZ_RUNS} npx jest test/fuzz (fast-check seed ${seed}).${saved}\n${problems.slice(0, 20).join('\n')}` +
        (problems.length > 20 ? `\n… and ${problems.length - 20} more` : ''),
    );
  }
  // A run that accepted nothing (signing or seeding broke) or refused nothing proves nothing about the other side.
  if (stats.accepted === 0 || stats.rejected === 0) {
    throw new Error(
      `${name}: ${stats.accepted} input(s) accepted and ${stats.rejected} rejected in ${numRuns} batches: ` +
        'a fuzz run must exercise both sides',
    );
  }
}
