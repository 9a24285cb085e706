/**
 * How much the ingress fuzz suite runs: FUZZ_RUNS inputs in all (default 2,200, split over the
 * ingresses by weight), from FUZZ_SEED (fixed by default, so CI is reproducible; printed on failure).
 */

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

export const FUZZ_SEED = intFromEnv('FUZZ_SEED', 20_261_215);
export const FUZZ_RUNS = Math.max(1, intFromEnv('FUZZ_RUNS', 2_200));

/** Inputs per property run: one before/after workflow comparison covers a batch. */
export const BATCH_SIZE = 25;
/** Requests in flight at once (2 shared cores: modest). */
export const CONCURRENCY = 4;
/** No answer may take longer than this. */
export const LATENCY_LIMIT_MS = 2_000;
/**
 * An answer over the limit is sent again alone and fails only if slow again (the machine's load, or
 * Temporal serializing concurrent signals to one workflow, otherwise fails CI at random);
 * FUZZ_STRICT_LATENCY=1 fails on the first slow answer.
 */
export const STRICT_LATENCY = process.env.FUZZ_STRICT_LATENCY === '1';

export type IngressName =
  | 'jsonEvents'
  | 'hl7Http'
  | 'mllp'
  | 'fhir'
  | 'fhirNotifications'
  | 'twilioInbound'
  | 'twilioStatus'
  | 'sandboxInbound';

/** Shares of FUZZ_RUNS (MLLP's in connections): the parsers with the most surface get the most inputs. */
const WEIGHTS: Readonly<Record<IngressName, number>> = {
  jsonEvents: 450,
  hl7Http: 350,
  // A connection carries 1-4 frames (2.5 on average): 150 connections are about 370 messages.
  mllp: 150,
  fhir: 350,
  fhirNotifications: 275,
  twilioInbound: 225,
  twilioStatus: 200,
  sandboxInbound: 200,
};

const TOTAL_WEIGHT = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);

/** Property runs (batches) for an ingress; at least one. */
export function batchesFor(ingress: IngressName): number {
  return Math.max(1, Math.round((FUZZ_RUNS * WEIGHTS[ingress]) / TOTAL_WEIGHT / BATCH_SIZE));
}

/** Each ingress draws from its own seed, so adding inputs to one leaves the others' unchanged. */
export function seedFor(ingress: IngressName): number {
  return (FUZZ_SEED + Object.keys(WEIGHTS).indexOf(ingress) * 7_919) | 0;
}
