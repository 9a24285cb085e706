/**
 * The service's Prometheus metrics (README "Metrics and alerts"): one registry per process, every
 * metric defined here with its help text and label names, and the default process metrics.
 *
 * No PHI by construction: every label is a kind, an outcome, a format or a code taken from a fixed
 * set below, and a value outside its set is counted as `other`; ids, phone numbers and names are
 * never labels (ARCHITECTURE §9). Under `npm start` the API and the worker share this registry (one
 * process); `npm run worker` serves it on WORKER_METRICS_PORT.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PHONE_PROBLEMS } from '../shared/appointment';
import { MESSAGE_KINDS } from '../domain/messages/templates';

export const METRIC_PREFIX = 'appointment_messaging_';
/** What a label value outside its fixed set is counted as. */
export const OTHER = 'other';

// --- Fixed label values ------------------------------------------------------------------------

export const EVENT_FORMATS = ['json', 'hl7', 'fhir', 'fhir_notification'] as const;
export const EVENT_OUTCOMES = ['accepted', 'duplicate', 'refused', 'unavailable'] as const;
/** MSA-1: original mode AA/AE/AR, enhanced mode CA/CE/CR. */
export const ACK_CODES = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as const;
/** Why an accepted appointment gets no texts (untextableReasonOf). */
export const UNTEXTABLE_REASONS = [...PHONE_PROBLEMS, 'APPOINTMENT_PASSED'] as const;
export const TEXT_KINDS = MESSAGE_KINDS;
export const TEXT_OUTCOMES = ['sent', 'failed_permanent', 'failed_retryable', 'duplicate_skipped'] as const;
export const REMINDER_TEXT_KINDS = ['REMINDER', 'REMINDER_CONFIRMED'] as const;
export const CALLBACK_OUTCOMES = ['delivered', 'rejected', 'retry'] as const;
export const SNAPSHOT_RECORDS = ['appointment', 'phone'] as const;
export const SNAPSHOT_OUTCOMES = ['written', 'stale', 'conflict', 'invalid', 'failed'] as const;

type LabelSets = Readonly<Record<string, readonly string[]>>;
/** Labels as callers give them: a value of the set, or any string (counted as `other` when outside it). */
type LabelsOf<S extends LabelSets> = { [K in keyof S]: S[K][number] | (string & Record<never, never>) };

/** The value itself when it is in the set, else `other`. */
export function labelValue(allowed: readonly string[], value: string): string {
  return allowed.includes(value) ? value : OTHER;
}

function sanitize<S extends LabelSets>(sets: S, labels: LabelsOf<S>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(sets)) {
    out[name] = labelValue(sets[name] as readonly string[], String(labels[name as keyof S]));
  }
  return out;
}

/** One registry per process. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** A counter whose label values are forced into fixed sets. */
export class SafeCounter<S extends LabelSets> {
  readonly metric: Counter<string>;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelSets: S,
  ) {
    this.metric = new Counter({ name, help, labelNames: Object.keys(labelSets), registers: [registry] });
  }

  inc(labels: LabelsOf<S>, by = 1): void {
    this.metric.inc(sanitize(this.labelSets, labels), by);
  }
}

/** A histogram whose label values are forced into fixed sets. */
export class SafeHistogram<S extends LabelSets> {
  readonly metric: Histogram<string>;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelSets: S,
    buckets: number[],
  ) {
    this.metric = new Histogram({
      name,
      help,
      labelNames: Object.keys(labelSets),
      buckets,
      registers: [registry],
    });
  }

  observe(labels: LabelsOf<S>, value: number): void {
    this.metric.observe(sanitize(this.labelSets, labels), value);
  }
}

// --- Definitions ---------------------------------------------------------------------------------

export const ehrEvents = new SafeCounter(
  `${METRIC_PREFIX}ehr_events_total`,
  'EHR events received, by ingress format and outcome (accepted, duplicate, refused, unavailable)',
  { format: EVENT_FORMATS, outcome: EVENT_OUTCOMES },
);

export const hl7Acks = new SafeCounter(
  `${METRIC_PREFIX}hl7_acks_total`,
  'HL7 v2 acknowledgments sent (HTTP and MLLP), by MSA-1 code',
  { code: ACK_CODES },
);

export const untextableEvents = new SafeCounter(
  `${METRIC_PREFIX}untextable_events_total`,
  'Accepted EHR events whose appointment cannot be texted (HL7: an AA with a warning), by format and reason',
  { format: EVENT_FORMATS, reason: UNTEXTABLE_REASONS },
);

export const texts = new SafeCounter(
  `${METRIC_PREFIX}texts_total`,
  'Text send attempts (sendSms), by message kind and outcome',
  { kind: TEXT_KINDS, outcome: TEXT_OUTCOMES },
);

/** Seconds: on time is 0-2 s (timer plus a workflow task); a worker down shows in the long buckets. */
export const REMINDER_LATENESS_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600];

export const reminderLateness = new SafeHistogram(
  `${METRIC_PREFIX}reminder_lateness_seconds`,
  'Reminder texts: seconds between the planned send time and the moment Twilio took the text',
  { kind: REMINDER_TEXT_KINDS },
  REMINDER_LATENESS_BUCKETS,
);

export const ehrCallbacks = new SafeCounter(
  `${METRIC_PREFIX}ehr_callbacks_total`,
  'EHR callback (write-back) attempts, by outcome: delivered, rejected (4xx, final) or retry (will be retried)',
  { outcome: CALLBACK_OUTCOMES },
);

export const snapshotWrites = new SafeCounter(
  `${METRIC_PREFIX}snapshot_writes_total`,
  'Snapshot and phone record writes, by record and outcome (written, stale, conflict, invalid, failed)',
  { record: SNAPSHOT_RECORDS, outcome: SNAPSHOT_OUTCOMES },
);

/**
 * EHR callbacks this process saw fail and not yet delivered or rejected: counted by idempotency key
 * (kept in memory only, never a label), forgotten after CALLBACK_RETRY_MEMORY_MS without an attempt
 * (another worker may have taken the retry). Sum it over workers.
 */
export const CALLBACK_RETRY_MEMORY_MS = 15 * 60_000;
const MAX_REMEMBERED_CALLBACKS = 10_000;
const callbacksInRetry = new Map<string, number>();

export const ehrCallbacksInRetry = new Gauge({
  name: `${METRIC_PREFIX}ehr_callbacks_in_retry`,
  help: 'EHR callbacks whose last attempt on this worker failed and will be retried (seen in the last 15 minutes)',
  registers: [registry],
  collect() {
    const oldest = Date.now() - CALLBACK_RETRY_MEMORY_MS;
    for (const [key, at] of callbacksInRetry) if (at < oldest) callbacksInRetry.delete(key);
    this.set(callbacksInRetry.size);
  },
});

// --- Counting helpers ----------------------------------------------------------------------------

export type EventFormat = (typeof EVENT_FORMATS)[number];
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

export function countEhrEvent(format: EventFormat, outcome: EventOutcome, untextable?: string): void {
  ehrEvents.inc({ format, outcome });
  if (untextable !== undefined) untextableEvents.inc({ format, reason: untextable });
}

export type TextOutcome = (typeof TEXT_OUTCOMES)[number];

/**
 * One text's outcome; for a reminder with its planned send time, its lateness (negative, a timer
 * that fired a little early, counts as 0).
 */
export function countText(
  kind: string,
  outcome: TextOutcome,
  reminder?: { plannedAt: string; sentAtMs: number },
): void {
  texts.inc({ kind, outcome });
  if (reminder === undefined || !(REMINDER_TEXT_KINDS as readonly string[]).includes(kind)) return;
  const planned = Date.parse(reminder.plannedAt);
  if (!Number.isFinite(planned) || !Number.isFinite(reminder.sentAtMs)) return;
  reminderLateness.observe({ kind }, Math.max(0, (reminder.sentAtMs - planned) / 1000));
}

export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

/** One EHR callback attempt; `key` (its idempotency key) only tracks what is in retry, never a label. */
export function countEhrCallback(key: string, outcome: CallbackOutcome, nowMs = Date.now()): void {
  ehrCallbacks.inc({ outcome });
  if (outcome !== 'retry') {
    callbacksInRetry.delete(key);
    return;
  }
  callbacksInRetry.delete(key); // re-inserted last: the oldest entries come first
  callbacksInRetry.set(key, nowMs);
  if (callbacksInRetry.size > MAX_REMEMBERED_CALLBACKS) {
    const oldest = callbacksInRetry.keys().next().value;
    if (oldest !== undefined) callbacksInRetry.delete(oldest);
  }
}

export type SnapshotRecord = (typeof SNAPSHOT_RECORDS)[number];
export type SnapshotOutcome = (typeof SNAPSHOT_OUTCOMES)[number];

export function countSnapshotWrite(record: SnapshotRecord, outcome: SnapshotOutcome): void {
  snapshotWrites.inc({ record, outcome });
}

/** Every metric this module defines, with its label names and allowed values (for docs and tests). */
export const SERVICE_METRICS: ReadonlyArray<{ name: string; labelSets: LabelSets }> = [
  ehrEvents,
  hl7Acks,
  untextableEvents,
  texts,
  reminderLateness,
  ehrCallbacks,
  snapshotWrites,
  { name: `${METRIC_PREFIX}ehr_callbacks_in_retry`, labelSets: {} },
];
