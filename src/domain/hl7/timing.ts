/**
 * When: the appointment start (SCH-11, else TQ1-7, else AIS-4) and the message time (MSH-7), read from HL7
 * timestamps. HL7 times often carry no offset (they are the sender's wall clock, read in DEFAULT_TIMEZONE);
 * with one, the instant is exact and the shared display-zone rule (ingestRules.ts) picks the zone texts show.
 */
import { displayZone } from '../events/ingestRules';
import { localToInstant, parseAppointmentZone } from '../time/zone';
import type { Er7Message, Er7Segment } from './er7';
import { HL7_ERROR_CODES, problem, type Problems, type Sourced } from './problems';

// YYYYMMDDHHMM[SS[.S[S[S[S]]]]][+/-ZZZZ]: appointments need at least the minute.
const HL7_TIMESTAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?([+-]\d{4})?$/;

export interface Hl7Time {
  /** ISO instant (UTC). */
  instant: string;
  /** Wall-clock time as the sender wrote it, YYYY-MM-DDTHH:MM:SS (no fraction). */
  localDateTime: string;
  /** DEFAULT_TIMEZONE, or the sender's fixed offset (±HHMM) when it disagrees with that zone. */
  timeZone: string;
}

/**
 * Reads an HL7 timestamp. Without an offset it is wall-clock time in `defaultTimezone`. With one, the
 * instant is exact, and the zone stays `defaultTimezone` (DST-aware) when that zone has the same offset
 * at that instant; otherwise it is the sender's fixed offset, so texts show the clock time the EHR sent.
 */
export function readHl7Timestamp(
  text: string,
  defaultTimezone: string,
): { ok: true; value: Hl7Time } | { ok: false; reason: string } {
  const match = HL7_TIMESTAMP.exec(text.trim());
  if (!match) return { ok: false, reason: 'must be an HL7 timestamp YYYYMMDDHHMM[SS[.S]][+/-ZZZZ]' };
  const [, year, month, day, hour, minute, second = '00', fraction, offset] = match;
  const localDateTime = `${year}-${month}-${day}T${hour}:${minute}:${second}`;
  const withFraction = fraction ? `${localDateTime}.${fraction.slice(0, 3)}` : localDateTime;
  if (!offset) {
    const result = localToInstant(withFraction, defaultTimezone);
    return result.ok
      ? { ok: true, value: { instant: result.instant, localDateTime, timeZone: defaultTimezone } }
      : { ok: false, reason: 'is not a valid date and time' };
  }
  const fixedZone = parseAppointmentZone(offset);
  const result = fixedZone ? localToInstant(withFraction, fixedZone) : undefined;
  if (!fixedZone || !result?.ok) return { ok: false, reason: 'is not a valid date, time and offset' };
  const offsetMinutes =
    (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const timeZone = displayZone(Date.parse(result.instant), offsetMinutes, defaultTimezone, 'is-an-offset');
  return { ok: true, value: { instant: result.instant, localDateTime, timeZone } };
}

/** The start; null when absent and `optional` (a cancellation or no-show); undefined when a problem was reported. */
export function readStart(
  message: Er7Message,
  sch: Er7Segment,
  defaultTimezone: string,
  problems: Problems,
  optional: boolean,
): Sourced<Hl7Time> | null | undefined {
  const source = appointmentStartSource(message, sch);
  if (!source && optional) return null;
  if (!source) {
    problems.push(
      problem(
        'SCH',
        11,
        HL7_ERROR_CODES.requiredFieldMissing,
        'an appointment start is required: SCH-11.4, TQ1-7 or AIS-4',
      ),
    );
    return undefined;
  }
  const time = readHl7Timestamp(source.value, defaultTimezone);
  if (!time.ok) {
    problems.push(
      problem(
        source.segment,
        source.field,
        HL7_ERROR_CODES.dataTypeError,
        `appointment start ${time.reason}`,
      ),
    );
    return undefined;
  }
  return { ...source, value: time.value };
}

/** MSH-7 orders the events; when absent the receive time does (the canonical parser's default). */
export function readEventTime(
  message: Er7Message,
  defaultTimezone: string,
  problems: Problems,
): Hl7Time | undefined {
  const text = message.segment('MSH')?.field(7).value(1) ?? '';
  if (!text) return undefined;
  const time = readHl7Timestamp(text, defaultTimezone);
  if (time.ok) return time.value;
  problems.push(problem('MSH', 7, HL7_ERROR_CODES.dataTypeError, `MSH-7 (message date/time) ${time.reason}`));
  return undefined;
}

/** SCH-11 timing (TQ: start is component 4), else the first TQ1-7, else the first AIS-4. */
function appointmentStartSource(message: Er7Message, sch: Er7Segment): Sourced<string> | undefined {
  // TQ's start is a TS inside a component, so its own parts are subcomponents: the first is the time.
  const timing = sch.field(11).value(4);
  if (timing) return { segment: 'SCH', field: 11, value: timing };
  for (const tq1 of message.segments('TQ1')) {
    const text = tq1.field(7).value(1);
    if (text) return { segment: 'TQ1', field: 7, value: text };
  }
  for (const ais of message.segments('AIS')) {
    const text = ais.field(4).value(1);
    if (text) return { segment: 'AIS', field: 4, value: text };
  }
  return undefined;
}
