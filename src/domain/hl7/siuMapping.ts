/**
 * HL7 v2 SIU scheduling messages (ER7 text) → the canonical AppointmentEvent (ARCHITECTURE §3).
 * er7.ts reads the text (separators from MSH-1/MSH-2, repetitions, escape decoding); header.ts, timing.ts,
 * patient.ts, phone.ts and resources.ts pick the fields; this module puts them together and hands them to
 * the canonical JSON parser, which applies the rules all formats share (ingestRules.ts), so every ingress
 * format accepts and refuses the same values. Pure: no clock, no I/O, never throws.
 */
import { UNTIMED_EVENT_TYPES, type IngestedEvent } from '../../shared/appointment';
import { untextableReasonOf } from '../appointment/textability';
import { parseCanonicalEvent, type CanonicalEventBody, type FieldProblem } from '../events/canonicalEvent';
import type { PhoneReading } from '../phone/textablePhone';
import { Er7Message, type Er7Segment } from './er7';
import { SIU_TRIGGER_EVENTS, checkMessageType, eventIdFor, readHeader, type Hl7Header } from './header';
import { patientLanguage, patientName, readPatientKeys } from './patient';
import { clinicContactPhone } from './phone';
import {
  HL7_ERROR_CODES,
  problem,
  type FieldSource,
  type Hl7Problem,
  type Problems,
  type Sourced,
} from './problems';
import { appointmentLocation, personnel } from './resources';
import { readEventTime, readStart } from './timing';

export type SiuMappingResult =
  | { ok: true; event: IngestedEvent; controlId: string; header: Hl7Header; warnings: Hl7Problem[] }
  | { ok: false; code: 'AE' | 'AR'; controlId?: string; header?: Hl7Header; errors: Hl7Problem[] };

export interface SiuMappingContext {
  /** DEFAULT_COUNTRY: reads national phone numbers. */
  defaultCountry: string;
  /** DEFAULT_TIMEZONE (IANA): the zone of HL7 times without an offset. */
  defaultTimezone: string;
  /** ISO instant of receipt; the event time when MSH-7 is absent. */
  receivedAt: string;
  /** HL7_TEXT_TEST_MESSAGES: whether MSH-11 T (training) and D (debugging) messages text patients. */
  textTestMessages?: boolean;
}

/** MSH-11 processing ids of feeds that must never text a real patient (HL7 table 0103). */
const TEST_PROCESSING_IDS = new Set(['T', 'D']);

/** Stands in for PID-3 while an SIU without its (optional) PID group is validated; recorded as ''. */
const NO_PATIENT_ID = 'no-pid';

// MLLP start block (0x0B) and end block (0x1C), for bodies posted with their framing still on; and a BOM.
const FRAMING_CHARACTERS = new Set(['\u000b', '\u001c', '\ufeff']);

/** Maps one ER7 message to a canonical event, or to the AE/AR answer and every problem found. */
export function mapSiuMessage(text: string, context: SiuMappingContext): SiuMappingResult {
  const message = parseEr7(text);
  if (!message) {
    return reject('AR', undefined, [
      problem(
        'MSH',
        undefined,
        HL7_ERROR_CODES.segmentSequenceError,
        'not an HL7 v2 message: it must start with an MSH segment',
      ),
    ]);
  }
  let header: Hl7Header;
  try {
    header = readHeader(message);
  } catch {
    return reject('AR', undefined, [
      problem('MSH', undefined, HL7_ERROR_CODES.segmentSequenceError, 'the MSH segment cannot be read'),
    ]);
  }
  const unsupported = checkMessageType(header);
  if (unsupported.length > 0) return reject('AR', header, unsupported);
  try {
    return mapAppointment(message, header, context);
  } catch {
    // A value that cannot be decoded (Er7ReadError); the sender still gets an answer.
    return reject('AE', header, [
      problem('MSH', undefined, HL7_ERROR_CODES.applicationInternalError, 'the message could not be read'),
    ]);
  }
}

function parseEr7(text: string): Er7Message | undefined {
  // One CR between segments whatever the sender used (CR, LF, CRLF, blank lines).
  return Er7Message.parse(withoutFraming(text).replace(/[\r\n]+/g, '\r'));
}

function withoutFraming(text: string): string {
  const isPadding = (ch: string | undefined): boolean =>
    ch !== undefined && (FRAMING_CHARACTERS.has(ch) || ch.trim() === '');
  let start = 0;
  let end = text.length;
  while (start < end && isPadding(text[start])) start++;
  while (end > start && isPadding(text[end - 1])) end--;
  return text.slice(start, end);
}

function reject(
  code: 'AE' | 'AR',
  header: Hl7Header | undefined,
  errors: Hl7Problem[],
): Extract<SiuMappingResult, { ok: false }> {
  const controlId = header?.controlId || undefined;
  return { ok: false, code, ...(controlId ? { controlId } : {}), ...(header ? { header } : {}), errors };
}

function mapAppointment(
  message: Er7Message,
  header: Hl7Header,
  context: SiuMappingContext,
): SiuMappingResult {
  const problems: Problems = [];
  if (!header.controlId) {
    problems.push(
      problem(
        'MSH',
        10,
        HL7_ERROR_CODES.requiredFieldMissing,
        'MSH-10 (message control id) is required: it is the event id',
      ),
    );
  }
  const sch = requiredSegment(message, 'SCH', problems);
  // The patient group of an SIU is optional: without a PID the appointment is recorded, untextable.
  const pid = message.segment('PID');
  const appointmentId = sch && readAppointmentId(sch, problems);
  const eventType = SIU_TRIGGER_EVENTS[header.triggerEvent];
  // A cancellation or no-show may come without timing (S15/S17/S26 often do): the workflow has it.
  const timeOptional = eventType !== undefined && UNTIMED_EVENT_TYPES.includes(eventType);
  const start = sch && readStart(message, sch, context.defaultTimezone, problems, timeOptional);
  const eventTime = readEventTime(message, context.defaultTimezone, problems);
  const patient = pid
    ? readPatientKeys(pid, context.defaultCountry, problems)
    : { id: NO_PATIENT_ID, phone: { ok: false, problem: 'NO_PHONE' } as const };
  if (problems.length > 0 || !appointmentId || start === undefined || !patient) {
    return reject('AE', header, problems);
  }

  const name = patientName(pid);
  const body: CanonicalEventBody = {
    event_type: eventType ?? header.triggerEvent,
    event_id: eventIdFor(header.controlId),
    ...(eventTime ? { event_datetime_utc: eventTime.instant } : {}),
    appointment_id: appointmentId.value,
    ...(start
      ? { appointment_datetime: start.value.localDateTime, appointment_timezone: start.value.timeZone }
      : {}),
    appointment_location: appointmentLocation(message),
    patient_id: patient.id,
    patient_last_name: name.lastName,
    patient_first_name: name.firstName,
    patient_phone: patient.phone.ok ? patient.phone.phone : undefined,
    patient_language: patientLanguage(pid),
    ...personnel(message),
    provider_callback_phone: clinicContactPhone(sch, context.defaultCountry),
  };
  const parsed = parseCanonicalEvent(body, {
    defaultCountry: context.defaultCountry,
    receivedAt: context.receivedAt,
  });
  if (!parsed.ok) {
    const sources = {
      ...CANONICAL_FIELD_SOURCES,
      appointment_id: appointmentId,
      ...(start ? { appointment_datetime: start } : {}),
    };
    return reject(
      'AE',
      header,
      parsed.problems.map((p) => atHl7Field(p, sources)),
    );
  }
  // The instant from the timestamp itself: in a fall-back hour the offset says which of the two it is.
  const timed =
    start && parsed.event.start !== undefined
      ? { ...parsed.event, start: start.value.instant }
      : parsed.event;
  // PID-13's own reading says why there is no number (the canonical parser saw none at all).
  const testFeed =
    TEST_PROCESSING_IDS.has((header.processingId[0] ?? '').toUpperCase()) && !context.textTestMessages;
  const phone: PhoneReading = testFeed ? { ok: false, problem: 'TEST_MESSAGE' } : patient.phone;
  const patientOfEvent = {
    ...(phone.ok ? timed.patient : { ...withoutPhone(timed.patient), phoneProblem: phone.problem }),
    ...(pid ? {} : { id: '' }),
  };
  const event = { ...timed, patient: patientOfEvent };
  return {
    ok: true,
    event,
    controlId: header.controlId,
    header,
    warnings: untextableWarnings(event, Date.parse(context.receivedAt)),
  };
}

function requiredSegment(message: Er7Message, name: string, problems: Problems): Er7Segment | undefined {
  const segment = message.segment(name);
  if (!segment) {
    problems.push(
      problem(name, undefined, HL7_ERROR_CODES.segmentSequenceError, `the ${name} segment is required`),
    );
  }
  return segment;
}

/** SCH-2 (filler appointment id), else SCH-1 (placer): the filler owns the schedule. */
function readAppointmentId(sch: Er7Segment, problems: Problems): Sourced<string> | undefined {
  for (const field of [2, 1]) {
    const value = sch.field(field).value(1);
    if (value) return { segment: 'SCH', field, value };
  }
  problems.push(
    problem(
      'SCH',
      2,
      HL7_ERROR_CODES.requiredFieldMissing,
      'an appointment id is required: SCH-2 (filler) or SCH-1 (placer)',
    ),
  );
  return undefined;
}

function withoutPhone<T extends { phone?: string }>(patient: T): Omit<T, 'phone'> {
  const { phone: _dropped, ...rest } = patient;
  return rest;
}

/** What the ACK says (severity W) about an appointment recorded that will not be texted; no PHI. */
const UNTEXTABLE_WARNINGS: Readonly<Record<string, { field?: number; segment: string; message: string }>> = {
  NO_PHONE: { segment: 'PID', field: 13, message: 'recorded; no texts: PID-13 holds no phone number' },
  INVALID_PHONE: {
    segment: 'PID',
    field: 13,
    message: 'recorded; no texts: PID-13 holds no valid phone number',
  },
  MASKED_PHONE: { segment: 'PID', field: 13, message: 'recorded; no texts: the PID-13 number is masked' },
  NOT_MOBILE: { segment: 'PID', field: 13, message: 'recorded; no texts: PID-13 holds no mobile number' },
  APPOINTMENT_PASSED: {
    segment: 'SCH',
    field: 11,
    message: 'recorded; no texts: the appointment start has passed',
  },
  TEST_MESSAGE: {
    segment: 'MSH',
    field: 11,
    message: 'recorded; no texts: a training or debugging message (MSH-11 T or D)',
  },
};

function untextableWarnings(event: IngestedEvent, receivedAtMs: number): Hl7Problem[] {
  const reason = untextableReasonOf(event, receivedAtMs);
  const warning = reason && UNTEXTABLE_WARNINGS[reason];
  return warning
    ? [problem(warning.segment, warning.field, HL7_ERROR_CODES.messageAccepted, warning.message)]
    : [];
}

/** A canonical parser problem, located at the HL7 field its value came from. */
function atHl7Field(p: FieldProblem, sources: Readonly<Record<string, FieldSource>>): Hl7Problem {
  const source = sources[p.field];
  const code =
    p.message === 'is required' ? HL7_ERROR_CODES.requiredFieldMissing : HL7_ERROR_CODES.dataTypeError;
  if (!source) return problem('MSH', undefined, code, `${p.field} ${p.message}`);
  return problem(source.segment, source.field, code, `${source.segment}-${source.field} ${p.message}`);
}

/** Which HL7 field each canonical field came from (ARCHITECTURE §3 mapping), for error locations. */
const CANONICAL_FIELD_SOURCES: Readonly<Record<string, FieldSource>> = {
  event_type: { segment: 'MSH', field: 9 },
  event_id: { segment: 'MSH', field: 10 },
  event_datetime_utc: { segment: 'MSH', field: 7 },
  appointment_datetime: { segment: 'SCH', field: 11 },
  appointment_timezone: { segment: 'SCH', field: 11 },
  appointment_location: { segment: 'AIL', field: 3 },
  patient_id: { segment: 'PID', field: 3 },
  patient_first_name: { segment: 'PID', field: 5 },
  patient_last_name: { segment: 'PID', field: 5 },
  patient_phone: { segment: 'PID', field: 13 },
  patient_language: { segment: 'PID', field: 15 },
  provider_id: { segment: 'AIP', field: 3 },
  provider_first_name: { segment: 'AIP', field: 3 },
  provider_last_name: { segment: 'AIP', field: 3 },
};
