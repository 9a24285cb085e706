/**
 * HL7 v2 SIU scheduling messages (ER7 text) → the canonical AppointmentEvent (ARCHITECTURE §3).
 * node-hl7-client does the ER7 parsing (separators from MSH-1/MSH-2, repetitions, escape decoding);
 * this module picks the fields, and the canonical JSON parser validates them, so both ingress
 * formats accept and refuse exactly the same values. Pure: no clock, no I/O, never throws.
 */
import { createHash } from 'node:crypto';
import { Message, type HL7Node } from 'node-hl7-client';
import {
  normalisePhone,
  parseCanonicalEvent,
  type CanonicalEventBody,
  type FieldProblem,
} from '../events/canonicalEvent';
import { localToInstant, parseAppointmentZone, resolveZone } from '../time/zone';
import { UNTIMED_EVENT_TYPES, type EhrEventType, type IngestedEvent } from '../../shared/appointment';
import { readTextablePhone, type PhoneReading } from '../phone/textablePhone';
import { untextableReasonOf } from '../appointment/textability';

/** SIU trigger events we act on (HL7 table 0003) and the canonical event each one is. */
export const SIU_TRIGGER_EVENTS: Readonly<Record<string, EhrEventType>> = {
  S12: 'BOOKED',
  S13: 'RESCHEDULED',
  S14: 'MODIFIED',
  S15: 'CANCELED',
  // S17 "deletion": the slot is gone, which for the patient is a cancellation.
  S17: 'CANCELED',
  S26: 'NOSHOWED',
};

/** HL7 table 0357 (message error condition codes), the ones this service reports. */
export const HL7_ERROR_CODES = {
  /** With severity W: recorded, with something the sender should know (e.g. no number to text). */
  messageAccepted: 0,
  segmentSequenceError: 100,
  requiredFieldMissing: 101,
  dataTypeError: 102,
  unsupportedMessageType: 200,
  unsupportedEventCode: 201,
  unsupportedVersionId: 203,
  applicationInternalError: 207,
} as const;
export type Hl7ErrorCode = (typeof HL7_ERROR_CODES)[keyof typeof HL7_ERROR_CODES];

/** One reason a message was not accepted, located the way an ERR segment names it. */
export interface Hl7Problem {
  segment: string;
  /** Field position (SCH-2 → 2); absent when the whole segment is the problem. */
  field?: number;
  /** Human-readable; goes back to the sender in the ACK, so never carries the offending value. */
  message: string;
  hl7ErrorCode: Hl7ErrorCode;
}

/** What the ACK needs from the message header (MSH), decoded; HD/PT fields keep their components. */
export interface Hl7Header {
  sendingApplication: string[];
  sendingFacility: string[];
  receivingApplication: string[];
  receivingFacility: string[];
  /** MSH-9.1, e.g. SIU. */
  messageCode: string;
  /** MSH-9.2, e.g. S12. */
  triggerEvent: string;
  /** MSH-10; empty when the sender left it out. */
  controlId: string;
  /** MSH-11 (processing id ^ processing mode). */
  processingId: string[];
  /** MSH-12.1, e.g. 2.5.1. */
  versionId: string;
  /** MSH-15 / MSH-16: either valued means enhanced acknowledgment mode. */
  acceptAckType: string;
  applicationAckType: string;
}

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
    // The library can throw on malformed nodes we did not foresee; the sender still gets an answer.
    return reject('AE', header, [
      problem('MSH', undefined, HL7_ERROR_CODES.applicationInternalError, 'the message could not be read'),
    ]);
  }
}

function parseEr7(text: string): Message | undefined {
  // One CR between segments whatever the sender used (CR, LF, CRLF, blank lines); the library splits on it.
  const er7 = withoutFraming(text).replace(/[\r\n]+/g, '\r');
  // MSH plus the five encoding characters is the least the library can read separators from.
  if (!/^MSH[^\r]{5}/.test(er7)) return undefined;
  try {
    return new Message({ text: er7 });
  } catch {
    return undefined;
  }
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

function problem(
  segment: string,
  field: number | undefined,
  hl7ErrorCode: Hl7ErrorCode,
  message: string,
): Hl7Problem {
  return { segment, ...(field === undefined ? {} : { field }), message, hl7ErrorCode };
}

function readHeader(message: Message): Hl7Header {
  const msh = segmentsNamed(message, 'MSH')[0];
  const messageType = firstRepetition(msh, 9);
  return {
    sendingApplication: components(firstRepetition(msh, 3)),
    sendingFacility: components(firstRepetition(msh, 4)),
    receivingApplication: components(firstRepetition(msh, 5)),
    receivingFacility: components(firstRepetition(msh, 6)),
    messageCode: component(messageType, 1).toUpperCase(),
    triggerEvent: component(messageType, 2).toUpperCase(),
    // Untrimmed: MSA-2 must echo it exactly.
    controlId: firstRepetition(msh, 10)?.get(0).toString() ?? '',
    processingId: components(firstRepetition(msh, 11)),
    versionId: component(firstRepetition(msh, 12), 1),
    acceptAckType: component(firstRepetition(msh, 15), 1).toUpperCase(),
    applicationAckType: component(firstRepetition(msh, 16), 1).toUpperCase(),
  };
}

/** The basic checks of HL7's acknowledgment rules (MSH-9, MSH-12): failing one is a reject (AR). */
function checkMessageType(header: Hl7Header): Hl7Problem[] {
  const problems: Hl7Problem[] = [];
  if (header.messageCode !== 'SIU') {
    problems.push(
      problem(
        'MSH',
        9,
        HL7_ERROR_CODES.unsupportedMessageType,
        `unsupported message type ${printable(header.messageCode)}: only SIU is accepted`,
      ),
    );
  } else if (!Object.hasOwn(SIU_TRIGGER_EVENTS, header.triggerEvent)) {
    problems.push(
      problem(
        'MSH',
        9,
        HL7_ERROR_CODES.unsupportedEventCode,
        `unsupported trigger event ${printable(header.triggerEvent)}: accepted are ${Object.keys(SIU_TRIGGER_EVENTS).join(', ')}`,
      ),
    );
  }
  // Every v2.x has the SIU fields we read; an empty MSH-12 is tolerated, v3 or garbage is not.
  if (header.versionId && !/^2\.\d/.test(header.versionId)) {
    problems.push(
      problem(
        'MSH',
        12,
        HL7_ERROR_CODES.unsupportedVersionId,
        'unsupported HL7 version: only 2.x is accepted',
      ),
    );
  }
  return problems;
}

/** Message type codes are short codes, not patient data; still bounded and printable for the ACK. */
function printable(code: string): string {
  return code ? `"${code.replace(/[^\x20-\x7e]/g, '?').slice(0, 20)}"` : '(empty)';
}

interface FieldSource {
  segment: string;
  field: number;
}

/** A value and the field it was read from, so a bad value is reported where the sender put it. */
interface Sourced<T> extends FieldSource {
  value: T;
}

/** Problems found so far; each reader adds its own, so one answer lists them all. */
type Problems = Hl7Problem[];

function mapAppointment(message: Message, header: Hl7Header, context: SiuMappingContext): SiuMappingResult {
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
  const pid = segmentsNamed(message, 'PID')[0];
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

  const name = firstRepetition(pid, 5);
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
    patient_last_name: component(name, 1) || undefined,
    patient_first_name: component(name, 2) || undefined,
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

function requiredSegment(message: Message, name: string, problems: Problems): HL7Node | undefined {
  const segment = segmentsNamed(message, name)[0];
  if (!segment) {
    problems.push(
      problem(name, undefined, HL7_ERROR_CODES.segmentSequenceError, `the ${name} segment is required`),
    );
  }
  return segment;
}

/** SCH-2 (filler appointment id), else SCH-1 (placer): the filler owns the schedule. */
function readAppointmentId(sch: HL7Node, problems: Problems): Sourced<string> | undefined {
  for (const field of [2, 1]) {
    const value = component(firstRepetition(sch, field), 1);
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

/** The start; null when absent and `optional` (a cancellation or no-show); undefined when a problem was reported. */
function readStart(
  message: Message,
  sch: HL7Node,
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
function readEventTime(message: Message, defaultTimezone: string, problems: Problems): Hl7Time | undefined {
  const text = component(firstRepetition(segmentsNamed(message, 'MSH')[0], 7), 1);
  if (!text) return undefined;
  const time = readHl7Timestamp(text, defaultTimezone);
  if (time.ok) return time.value;
  problems.push(problem('MSH', 7, HL7_ERROR_CODES.dataTypeError, `MSH-7 (message date/time) ${time.reason}`));
  return undefined;
}

/** PID-3 (first repetition's id) and the phone the texts go to, or why there is none (not a problem). */
function readPatientKeys(
  pid: HL7Node,
  defaultCountry: string,
  problems: Problems,
): { id: string; phone: PhoneReading } | undefined {
  const id = component(firstRepetition(pid, 3), 1);
  if (!id) {
    problems.push(
      problem('PID', 3, HL7_ERROR_CODES.requiredFieldMissing, 'PID-3 (patient identifier) is required'),
    );
    return undefined;
  }
  return { id, phone: patientPhone(pid, defaultCountry) };
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

const EVENT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * MSH-10 is the event id. HL7 lets it hold characters our ids may not (spaces, slashes), so such
 * a control id is hashed: still stable, so a resent message is still recognised as a duplicate.
 */
function eventIdFor(controlId: string): string {
  if (EVENT_ID.test(controlId)) return controlId;
  return `hl7-${createHash('sha256').update(controlId).digest('hex').slice(0, 32)}`;
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

/** SCH-11 timing (TQ: start is component 4), else the first TQ1-7, else the first AIS-4. */
function appointmentStartSource(message: Message, sch: HL7Node): Sourced<string> | undefined {
  // TQ's start is a TS inside a component, so its own parts are subcomponents: the first is the time.
  const timing = component(firstRepetition(sch, 11), 4);
  if (timing) return { segment: 'SCH', field: 11, value: timing };
  for (const tq1 of segmentsNamed(message, 'TQ1')) {
    const text = component(firstRepetition(tq1, 7), 1);
    if (text) return { segment: 'TQ1', field: 7, value: text };
  }
  for (const ais of segmentsNamed(message, 'AIS')) {
    const text = component(firstRepetition(ais, 4), 1);
    if (text) return { segment: 'AIS', field: 4, value: text };
  }
  return undefined;
}

/** A resource segment the sender deleted from the appointment (segment action code, AIx-2 = D). */
function deleted(segment: HL7Node): boolean {
  return component(firstRepetition(segment, 2), 1).toUpperCase() === 'D';
}

/** A place (PL): its description (PL-9) when sent, else point of care (PL-1), else facility (PL-4). */
function placeName(place: HL7Node | undefined): string {
  return component(place, 9) || component(place, 1) || component(place, 4);
}

/** The first AIL-3 the sender kept; else PV1-3 (assigned patient location), which some feeds fill instead. */
function appointmentLocation(message: Message): string | undefined {
  for (const ail of segmentsNamed(message, 'AIL')) {
    if (deleted(ail)) continue;
    const text = placeName(firstRepetition(ail, 3));
    if (text) return text;
  }
  return placeName(firstRepetition(segmentsNamed(message, 'PV1')[0], 3)) || undefined;
}

type Personnel = Pick<CanonicalEventBody, 'provider_id' | 'provider_first_name' | 'provider_last_name'>;

/**
 * Who the appointment is with: the first AIP-3 (XCN: id ^ family ^ given) the sender kept that names
 * someone; else a general resource (AIG-3, CWE: id ^ text) whose text reads as a person's name
 * ("Pullen, Jeri"; athenaNet and Cerner feeds put the provider there); else PV1-7 (attending doctor).
 */
function personnel(message: Message): Personnel {
  for (const aip of segmentsNamed(message, 'AIP')) {
    if (deleted(aip)) continue;
    const person = xcnPersonnel(firstRepetition(aip, 3));
    if (person) return person;
  }
  for (const aig of segmentsNamed(message, 'AIG')) {
    if (deleted(aig)) continue;
    const resource = firstRepetition(aig, 3);
    const id = component(resource, 1);
    const text = component(resource, 2) || (id.includes(',') ? id : '');
    const name = /^\s*([^,]+),\s*([^,]+?)\s*$/.exec(text);
    if (name) {
      return {
        provider_id: id && id !== text ? id : undefined,
        provider_last_name: name[1]?.trim(),
        provider_first_name: name[2]?.replace(/\s*,?\s*(M\.?D\.?|D\.?O\.?)$/i, '').trim(),
      };
    }
  }
  return xcnPersonnel(firstRepetition(segmentsNamed(message, 'PV1')[0], 7)) ?? {};
}

function xcnPersonnel(person: HL7Node | undefined): Personnel | undefined {
  const id = component(person, 1);
  const lastName = component(person, 2);
  const firstName = component(person, 3);
  if (!id && !lastName && !firstName) return undefined;
  return {
    provider_id: id || undefined,
    provider_last_name: lastName || undefined,
    provider_first_name: firstName || undefined,
  };
}

/**
 * SCH-17 (filler contact phone number): who to call about this appointment, so texts can say how to
 * reach the clinic. AIP has no phone field. Optional: a number that does not read is left out, not refused.
 */
function clinicContactPhone(sch: HL7Node, defaultCountry: string): string | undefined {
  for (const xtn of repetitions(sch, 17)) {
    const phone = normalisePhone(telephoneNumber(xtn), defaultCountry);
    if (phone) return phone;
  }
  return undefined;
}

// XTN-3 equipment types that cannot receive a text (fax, modem, beeper, e-mail, X.400, TDD/TTY).
const NOT_TEXTABLE_EQUIPMENT = new Set(['FX', 'MD', 'BP', 'INTERNET', 'X.400', 'TDD', 'TTY']);

// XTN-2 use or XTN-3 equipment codes vendors use for a mobile: HL7's CP, and MOBILE/CELL seen in the field.
const MOBILE_CODES = new Set(['CP', 'MOBILE', 'CELL', 'MOB']);

/**
 * PID-13, mobile first: the repetitions marked mobile (XTN-2 or XTN-3), then the others in the
 * sender's order; the first that can be texted wins. Without one, the first candidate's problem
 * (in the same order) says why; no candidate at all is NO_PHONE.
 */
function patientPhone(pid: HL7Node, defaultCountry: string): PhoneReading {
  const candidates = repetitions(pid, 13)
    .map((xtn) => ({
      equipment: component(xtn, 3).toUpperCase(),
      use: component(xtn, 2).toUpperCase(),
      number: telephoneNumber(xtn),
    }))
    .filter(
      (c) =>
        c.number && c.use !== 'NET' && !NOT_TEXTABLE_EQUIPMENT.has(c.equipment) && !c.number.includes('@'),
    );
  const isMobile = (c: { equipment: string; use: string }): boolean =>
    MOBILE_CODES.has(c.equipment) || MOBILE_CODES.has(c.use);
  const readings = [...candidates.filter(isMobile), ...candidates.filter((c) => !isMobile(c))].map((c) =>
    readTextablePhone(c.number, defaultCountry),
  );
  return readings.find((r) => r.ok) ?? readings[0] ?? { ok: false, problem: 'NO_PHONE' };
}

/**
 * The dialable number of one XTN: v2.5 splits it into country code (XTN-5), area code (XTN-6) and
 * local number (XTN-7), and deprecates the free-text XTN-1 that v2.3 feeds still fill; XTN-12 is
 * the unformatted number of v2.6+. The extension (XTN-8) is left out: no SMS reaches one.
 */
function telephoneNumber(xtn: HL7Node): string {
  const local = component(xtn, 7);
  if (local) {
    const country = component(xtn, 5).replace(/^\+/, '');
    const national = `${component(xtn, 6)}${local}`;
    return country ? `+${country}${national}` : national;
  }
  return component(xtn, 1) || component(xtn, 12);
}

const BCP47 = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
// PID-15 often carries ISO 639-2 codes or names; the templates are picked by ISO 639-1 code.
const LANGUAGE_ALIASES: Readonly<Record<string, string>> = {
  eng: 'en',
  english: 'en',
  spa: 'es',
  spanish: 'es',
  espanol: 'es',
  español: 'es',
};

/** PID-15 (CE/CWE: identifier ^ text): a BCP 47 tag, or undefined so the default language applies. */
function patientLanguage(pid: HL7Node | undefined): string | undefined {
  const language = firstRepetition(pid, 15);
  for (const candidate of [component(language, 1), component(language, 2)]) {
    const key = candidate.trim().toLowerCase();
    if (!key) continue;
    const alias = LANGUAGE_ALIASES[key];
    if (alias) return alias;
    if (BCP47.test(key)) return key;
  }
  return undefined;
}

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
  const instantMs = Date.parse(result.instant);
  const offsetMinutes =
    (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const sameAsDefault = resolveZone(defaultTimezone)?.offset(instantMs) === offsetMinutes;
  return {
    ok: true,
    value: { instant: result.instant, localDateTime, timeZone: sameAsDefault ? defaultTimezone : offset },
  };
}

// ---- Reading the library's node tree: HL7 numbers fields and components from 1, the library's children from 0.

/** All segments with that name, in message order. */
function segmentsNamed(message: Message, name: string): HL7Node[] {
  return children(message).filter((segment) => segment.get(0).toString() === name);
}

/**
 * The repetitions of a field. Children are read by index: the library's path lookups throw past a
 * segment's last field. In MSH the field separator itself is MSH-1, so MSH-n is child n-1.
 */
function repetitions(segment: HL7Node | undefined, field: number): HL7Node[] {
  if (!segment) return [];
  const index = segment.get(0).toString() === 'MSH' ? field - 1 : field;
  return children(segment.get(index));
}

function firstRepetition(segment: HL7Node | undefined, field: number): HL7Node | undefined {
  return repetitions(segment, field)[0];
}

/** Component n (from 1), decoded; a composite's first subcomponent. Empty when absent or HL7's null `""`. */
function component(repetition: HL7Node | undefined, n: number): string {
  const value = repetition
    ? repetition
        .get(n - 1)
        .toString()
        .trim()
    : '';
  return value === '""' ? '' : value;
}

function components(repetition: HL7Node | undefined): string[] {
  return repetition ? children(repetition).map((part) => part.toString()) : [];
}

/** By index rather than forEach, which the library's stand-in for an absent node does not implement. */
function children(node: HL7Node): HL7Node[] {
  const found: HL7Node[] = [];
  for (let i = 0; i < node.length; i++) found.push(node.get(i));
  return found;
}
