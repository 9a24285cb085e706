/**
 * Pure: what a fault scenario promised against what the sandbox and the appointments show. Texts are told apart by
 * body (each scenario's texts to one phone all differ), so no template knowledge is needed: a phone that should have
 * N texts and shows fewer distinct bodies lost some; a body received twice is a duplicate.
 */

export interface ReceivedText {
  to: string;
  body: string;
}

export interface AppointmentOutcome {
  appointmentId: string;
  messages: ReadonlyArray<{ kind: string; status: string; sid?: string | null }>;
  callbacks: ReadonlyArray<{ type: string; status: string }>;
}

export interface ReceivedCallback {
  appointmentId: string;
  eventType: string;
}

export interface Figures {
  /** Texts a patient should have had and did not (fewer distinct texts than expected, or recorded as failed). */
  textsLost: number;
  /** Texts a patient received more than once. */
  textsDuplicated: number;
  /** Texts whose delivery status on the appointment is not final (no DELIVERED/UNDELIVERED/FAILED/READ report). */
  statusesStuck: number;
  /** Callbacks the EHR should have received and did not, or that the appointment shows undelivered. */
  callbacksLost: number;
  /** The same reply reaching the EHR as more than one callback (different Idempotency-Keys). */
  callbacksTwice: number;
}

export interface Expectation {
  /** Distinct texts each phone must have received. */
  textsPerPhone: ReadonlyMap<string, number>;
  /** EHR callbacks each appointment must have produced (event type, e.g. CONFIRM); absent: none. */
  callbacks: ReadonlyMap<string, string>;
}

/** Statuses after which Twilio reports nothing more (SKIPPED: a text never handed to Twilio, on purpose). */
export const FINAL_TEXT_STATUSES: ReadonlySet<string> = new Set([
  'DELIVERED',
  'UNDELIVERED',
  'FAILED',
  'READ',
  'SKIPPED',
]);
const FAILED_TEXT_STATUSES: ReadonlySet<string> = new Set(['FAILED', 'UNDELIVERED']);

export function textFigures(
  expected: ReadonlyMap<string, number>,
  texts: readonly ReceivedText[],
): Pick<Figures, 'textsLost' | 'textsDuplicated'> & { unexpected: number } {
  const bodiesByPhone = new Map<string, Map<string, number>>();
  for (const text of texts) {
    if (!expected.has(text.to)) continue; // another scenario's phone, or the clinic's own number
    const bodies = bodiesByPhone.get(text.to) ?? new Map<string, number>();
    bodies.set(text.body, (bodies.get(text.body) ?? 0) + 1);
    bodiesByPhone.set(text.to, bodies);
  }
  let textsLost = 0;
  let textsDuplicated = 0;
  let unexpected = 0;
  for (const [phone, count] of expected) {
    const bodies = bodiesByPhone.get(phone) ?? new Map<string, number>();
    textsLost += Math.max(0, count - bodies.size);
    unexpected += Math.max(0, bodies.size - count);
    for (const times of bodies.values()) textsDuplicated += times - 1;
  }
  return { textsLost, textsDuplicated, unexpected };
}

export function statusFigures(outcomes: readonly AppointmentOutcome[]): {
  statusesStuck: number;
  textsFailed: number;
  callbacksUndelivered: number;
  /** `appointmentId kind status sid` of each stuck text (ids only, no patient data), for the log. */
  stuck: string[];
} {
  let statusesStuck = 0;
  let textsFailed = 0;
  let callbacksUndelivered = 0;
  const stuck: string[] = [];
  for (const outcome of outcomes) {
    for (const message of outcome.messages) {
      if (!FINAL_TEXT_STATUSES.has(message.status)) {
        statusesStuck += 1;
        stuck.push(`${outcome.appointmentId} ${message.kind} ${message.status} ${message.sid ?? '-'}`);
      }
      if (FAILED_TEXT_STATUSES.has(message.status)) textsFailed += 1;
    }
    for (const callback of outcome.callbacks) if (callback.status !== 'DELIVERED') callbacksUndelivered += 1;
  }
  return { statusesStuck, textsFailed, callbacksUndelivered, stuck };
}

export function callbackFigures(
  expected: ReadonlyMap<string, string>,
  received: readonly ReceivedCallback[],
): Pick<Figures, 'callbacksLost' | 'callbacksTwice'> & { unexpected: number } {
  const counts = new Map<string, number>();
  for (const callback of received) {
    const key = `${callback.appointmentId}\u0000${callback.eventType}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let callbacksLost = 0;
  let callbacksTwice = 0;
  let unexpected = 0;
  const expectedKeys = new Set<string>();
  for (const [appointmentId, eventType] of expected) {
    const key = `${appointmentId}\u0000${eventType}`;
    expectedKeys.add(key);
    const times = counts.get(key) ?? 0;
    if (times === 0) callbacksLost += 1;
    callbacksTwice += Math.max(0, times - 1);
  }
  for (const [key, times] of counts) {
    // Callbacks of appointments this scenario did not make are another scenario's business.
    const appointmentId = key.split('\u0000')[0] ?? '';
    if (!expectedKeys.has(key) && expected.has(appointmentId)) unexpected += times;
  }
  return { callbacksLost, callbacksTwice, unexpected };
}

/** The five figures every scenario prints and asserts, from everything it observed. */
export function figures(
  expectation: Expectation,
  texts: readonly ReceivedText[],
  outcomes: readonly AppointmentOutcome[],
  callbacks: readonly ReceivedCallback[],
): { figures: Figures; notes: Record<string, number>; stuck: string[] } {
  const text = textFigures(expectation.textsPerPhone, texts);
  const status = statusFigures(outcomes);
  const callback = callbackFigures(expectation.callbacks, callbacks);
  return {
    figures: {
      // A text recorded FAILED never reached the patient even if a retry left no trace in the sandbox.
      textsLost: Math.max(text.textsLost, status.textsFailed),
      textsDuplicated: text.textsDuplicated,
      statusesStuck: status.statusesStuck,
      callbacksLost: Math.max(callback.callbacksLost, status.callbacksUndelivered),
      callbacksTwice: callback.callbacksTwice,
    },
    notes: {
      unexpectedTexts: text.unexpected,
      textsFailed: status.textsFailed,
      callbacksUndelivered: status.callbacksUndelivered,
      unexpectedCallbacks: callback.unexpected,
      appointmentsRead: outcomes.length,
    },
    stuck: status.stuck,
  };
}
