/**
 * JSON, HL7 v2 and FHIR accept and refuse the same values (ARCHITECTURE §3: three formats, one canonical event).
 * For each rule of ingestRules.ts, every value of a table goes through all three mappers in the field that
 * carries it there, and the three answers are compared.
 *
 * What a format does with a value the rule does not read is its own, as the README says: the JSON body has one
 * value per field, so it is answered 400 naming the field; HL7 and FHIR read the next candidate or leave an
 * optional detail out. Both are "not read" here. Differences kept on purpose are rows with `except`, and `why`.
 */
import type { Appointment, Location, Patient, Practitioner } from '@medplum/fhirtypes';
import { parseCanonicalEvent, type ParseResult } from '../../../../src/domain/events/canonicalEvent';
import { FIELD_LIMITS } from '../../../../src/domain/events/ingestRules';
import { mapFhirAppointment, type FhirMappingResult } from '../../../../src/domain/fhir/appointmentMapping';
import { escapeEr7 } from '../../../../src/domain/hl7/ack';
import { mapSiuMessage, type SiuMappingResult } from '../../../../src/domain/hl7/siuMapping';

const RECEIVED_AT = '2026-12-01T15:31:00.000Z';
const DEFAULTS = { defaultCountry: 'US', defaultTimezone: 'America/Denver', receivedAt: RECEIVED_AT };

type Format = 'json' | 'hl7' | 'fhir';
const FORMATS: readonly Format[] = ['json', 'hl7', 'fhir'];

// ---------------------------------------------------------------------------------------------------------------
// One appointment in each format, with one field replaced
// ---------------------------------------------------------------------------------------------------------------

function json(fields: Record<string, unknown>): ParseResult {
  return parseCanonicalEvent(
    {
      event_type: 'BOOKED',
      event_id: 'evt-1',
      appointment_id: 'APPT-42',
      appointment_datetime: '2026-12-04T09:30:00',
      appointment_timezone: 'America/Denver',
      appointment_location: 'Main St Clinic',
      patient_id: 'P-7',
      patient_first_name: 'Ana',
      patient_phone: '+13035550142',
      provider_id: 'DR-9',
      ...fields,
    },
    DEFAULTS,
  );
}

interface Hl7Fields {
  appointmentId?: string;
  start?: string;
  callbackPhone?: string;
  patientId?: string;
  givenName?: string;
  phone?: string;
  language?: string;
  location?: string;
}

function hl7(f: Hl7Fields): SiuMappingResult {
  const text = [
    'MSH|^~\\&|EPIC|VALLEY|SMS|VALLEY|20261201083000||SIU^S12^SIU_S12|900001|P|2.5.1',
    `SCH||${f.appointmentId ?? 'APPT-42'}|||||||30|MIN|^^30^${f.start ?? '20261204093000'}||||||${f.callbackPhone ?? ''}`,
    `PID|1||${f.patientId ?? 'P-7'}||ROSE^${f.givenName ?? 'Ana'}||||||||${f.phone ?? '+13035550142^PRN^CP'}||${f.language ?? ''}`,
    `AIL|1||^^^^^^^^${f.location ?? 'Main St Clinic'}`,
    'AIP|1||DR-9',
  ].join('\r');
  return mapSiuMessage(text, DEFAULTS);
}

/** What a rule changes in the FHIR appointment's resources (merged over the defaults). */
interface FhirEdits {
  appointment?: Partial<Appointment>;
  patient?: Partial<Patient>;
  practitioner?: Partial<Practitioner>;
  location?: Partial<Location>;
}

function fhir(edits: FhirEdits): FhirMappingResult {
  const patient: Patient = {
    resourceType: 'Patient',
    id: 'pat',
    identifier: [{ value: 'P-7' }],
    name: [{ given: ['Ana'], family: 'Rose' }],
    telecom: [{ system: 'phone', value: '+13035550142', use: 'mobile' }],
    ...edits.patient,
  };
  const practitioner: Practitioner = {
    resourceType: 'Practitioner',
    id: 'dr',
    identifier: [{ value: 'DR-9' }],
    ...edits.practitioner,
  };
  const location: Location = {
    resourceType: 'Location',
    id: 'loc',
    name: 'Main St Clinic',
    ...edits.location,
  };
  const appointment: Appointment = {
    resourceType: 'Appointment',
    id: 'APPT-42',
    meta: { versionId: '1' },
    status: 'booked',
    start: '2026-12-04T09:30:00-07:00',
    contained: [patient, practitioner, location],
    participant: [
      { actor: { reference: '#pat' }, status: 'accepted' },
      { actor: { reference: '#dr' }, status: 'accepted' },
      { actor: { reference: '#loc' }, status: 'accepted' },
    ],
    ...edits.appointment,
  };
  return mapFhirAppointment(appointment, DEFAULTS);
}

// ---------------------------------------------------------------------------------------------------------------
// The table runner
// ---------------------------------------------------------------------------------------------------------------

/** What a format made of the value: the value read (normalised), 'not read', or the whole input 'refused'. */
type Outcome = string;

interface Row {
  value: string;
  /** The outcome in every format… */
  all: Outcome;
  /** …except these, kept different on purpose. */
  except?: Partial<Record<Format, Outcome>>;
  why?: string;
}

/** Where one rule's value goes in each format, and what of the mapped event the rule reads. */
interface Readers {
  /** The JSON field that carries the value. */
  json: string;
  /** JSON answers 400 for a value this field does not read: such a 400, naming the field only, is 'not read'. */
  jsonNotRead?: boolean;
  hl7: (value: string) => SiuMappingResult;
  fhir: (value: string) => FhirMappingResult;
  read: (event: MappedEvent) => Outcome;
}

function rule(
  name: string,
  { json: field, jsonNotRead, hl7: hl7Of, fhir: fhirOf, read }: Readers,
  rows: Row[],
): void {
  const readers: Record<Format, (value: string) => Outcome> = {
    json: (value) => {
      const result = json({ [field]: value });
      return jsonNotRead ? jsonOutcome(result, field, read) : outcome(result, read);
    },
    hl7: (value) => outcome(hl7Of(value), read),
    fhir: (value) => outcome(fhirOf(value), read),
  };
  describe(name, () => {
    test.each(rows.map((row) => [label(row), row] as const))('%s', (_label, { value, all, except = {} }) => {
      const expected = Object.fromEntries(FORMATS.map((format) => [format, except[format] ?? all]));
      const actual = Object.fromEntries(FORMATS.map((format) => [format, readers[format](value)]));
      expect(actual).toEqual(expected);
    });
  });
}

const shown = (text: string): string =>
  text.length > 40
    ? `${JSON.stringify(text.slice(0, 12))}… (${text.length} characters)`
    : JSON.stringify(text);

function label({ value, all, except, why }: Row): string {
  const outcome = all === 'refused' || all === 'not read' ? all : `read as ${shown(all)}`;
  const kept = except
    ? `; except ${Object.entries(except)
        .map(([format, other]) => `${format} ${other}`)
        .join(', ')}: ${why ?? ''}`
    : '';
  return `${shown(value)}: ${outcome}${kept}`;
}

type Mapped = ParseResult | SiuMappingResult | FhirMappingResult;
type MappedEvent = Extract<Mapped, { ok: true }>['event'];

/** The outcome of a mapping: `read` of its event, or 'refused'. */
function outcome(result: Mapped, read: (event: MappedEvent) => Outcome): Outcome {
  return result.ok ? read(result.event) : 'refused';
}

/** JSON answers 400 for a value its field does not read: that is 'not read' when the 400 names that field only. */
function jsonOutcome(result: ParseResult, field: string, read: (event: MappedEvent) => Outcome): Outcome {
  if (!result.ok && result.problems.every((p) => p.field === field)) return 'not read';
  return outcome(result, read);
}

const long = (length: number): string => 'x'.repeat(length);

// ---------------------------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------------------------

rule(
  'the EHR id rule: appointment ids (JSON appointment_id, HL7 SCH-2, FHIR Appointment.id)',
  {
    json: 'appointment_id',
    hl7: (value) => hl7({ appointmentId: escapeEr7(value) }),
    fhir: (value) => fhir({ appointment: { id: value } }),
    read: (e) => e.appointmentId,
  },
  [
    { value: 'APPT-42', all: 'APPT-42' },
    { value: 'A.b_c:d@e-1', all: 'A.b_c:d@e-1' },
    { value: ' A1 ', all: 'A1' },
    { value: long(FIELD_LIMITS.identifier), all: long(FIELD_LIMITS.identifier) },
    { value: long(FIELD_LIMITS.identifier + 1), all: 'refused' },
    { value: '', all: 'refused' },
    { value: 'APPT/42', all: 'refused' },
    { value: 'APPT 42', all: 'refused' },
    { value: 'Á1', all: 'refused' },
    { value: 'A\\B', all: 'refused' },
    { value: 'A|B', all: 'refused' },
  ],
);

rule(
  'the patient id rule (JSON patient_id, HL7 PID-3, FHIR Patient identifier)',
  {
    json: 'patient_id',
    hl7: (value) => hl7({ patientId: escapeEr7(value) }),
    fhir: (value) => fhir({ patient: { identifier: [{ value }] } }),
    read: (e) => e.patient.id,
  },
  [
    { value: 'P-7', all: 'P-7' },
    { value: 'P/7 *', all: 'P/7 *' },
    { value: ' MRN 123 ', all: 'MRN 123' },
    { value: long(FIELD_LIMITS.identifier), all: long(FIELD_LIMITS.identifier) },
    { value: long(FIELD_LIMITS.identifier + 1), all: 'refused' },
    { value: 'P\u00007', all: 'refused' },
    { value: 'P\t7', all: 'refused' },
  ],
);

/** HL7 and FHIR get a second candidate, French, so a value that is not read shows as French there. */
const languageOf = (e: MappedEvent): Outcome =>
  e.patient.language === 'fr' ? 'not read' : e.patient.language;

rule(
  'the language rule (JSON patient_language, HL7 PID-15, FHIR Patient.communication)',
  {
    json: 'patient_language',
    jsonNotRead: true,
    hl7: (value) => hl7({ language: `${escapeEr7(value)}^fr` }),
    fhir: (value) =>
      fhir({
        patient: {
          communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: value }], text: 'fr' } }],
        },
      }),
    read: languageOf,
  },
  [
    { value: 'es', all: 'es' },
    { value: ' en ', all: 'en' },
    {
      value: 'es-MX',
      all: 'es-MX',
      except: { hl7: 'es-mx' },
      why: 'HL7 lowercases PID-15 (its codes are case-insensitive); the templates read the primary subtag either way',
    },
    { value: 'zh-Hant-TW', all: 'zh-Hant-TW', except: { hl7: 'zh-hant-tw' }, why: 'as above' },
    { value: 'eng', all: 'en' },
    { value: 'SPA', all: 'es' },
    { value: 'es_MX', all: 'not read' },
    { value: 'english!', all: 'not read' },
    { value: '12', all: 'not read' },
    { value: 'constructor', all: 'not read' },
    { value: `en-${'abcdefgh-'.repeat(4)}x1`, all: 'not read' },
    {
      value: 'Spanish',
      all: 'es',
      except: { json: 'not read' },
      why: 'PID-15 and language codings carry language names; the JSON field is a BCP 47 tag (ARCHITECTURE §3)',
    },
    { value: 'Español', all: 'es', except: { json: 'not read' }, why: 'as above' },
  ],
);

const phoneOf = (e: MappedEvent): Outcome => e.patient.phone ?? e.patient.phoneProblem ?? 'none';

rule(
  'the phone rule: the number we text (JSON patient_phone, HL7 PID-13, FHIR Patient.telecom)',
  {
    json: 'patient_phone',
    hl7: (value) => hl7({ phone: `${escapeEr7(value)}^PRN^CP` }),
    fhir: (value) => fhir({ patient: { telecom: [{ system: 'phone', value, use: 'mobile' }] } }),
    read: phoneOf,
  },
  [
    { value: '(303) 555-0123', all: '+13035550123' },
    { value: '303.555.0142', all: '+13035550142' },
    { value: '+44 7911 123456', all: '+447911123456' },
    { value: '', all: 'NO_PHONE' },
    { value: '12345', all: 'INVALID_PHONE' },
    { value: 'not a phone', all: 'INVALID_PHONE' },
    { value: '***-***-0123', all: 'MASKED_PHONE' },
    { value: '(XXX) XXX-0123', all: 'MASKED_PHONE' },
    { value: '+44 20 7946 0958', all: 'NOT_MOBILE' },
    { value: '1-800-555-0199', all: 'NOT_MOBILE' },
    {
      value: 'tel: +1 (303) 555-0142 / cell / Ana Maria Rose',
      all: '+13035550142',
      except: { json: 'refused' },
      why: `the JSON field takes at most ${FIELD_LIMITS.phoneText} characters; HL7 and FHIR read the number in it`,
    },
    {
      value: 'ana@example.org',
      all: 'INVALID_PHONE',
      except: { hl7: 'NO_PHONE' },
      why: 'an e-mail in PID-13 is an e-mail entry, not a phone that does not read',
    },
  ],
);

const callbackOf = (e: MappedEvent): Outcome => e.provider?.callbackPhone ?? 'not read';

rule(
  "the phone rule: the clinic's number (JSON provider_callback_phone, HL7 SCH-17, FHIR work phone)",
  {
    json: 'provider_callback_phone',
    jsonNotRead: true,
    hl7: (value) => hl7({ callbackPhone: escapeEr7(value) }),
    fhir: (value) => fhir({ practitioner: { telecom: [{ system: 'phone', value, use: 'work' }] } }),
    read: callbackOf,
  },
  [
    { value: '303.555.0199', all: '+13035550199' },
    { value: '+44 20 7946 0958', all: '+442079460958' },
    { value: '1-800-555-0199', all: '+18005550199' },
    { value: '555', all: 'not read' },
    { value: 'call us', all: 'not read' },
  ],
);

rule(
  'the length rule: provider ids (JSON provider_id, HL7 AIP-3, FHIR Practitioner identifier)',
  {
    json: 'provider_id',
    hl7: (value) =>
      mapSiuMessage(
        [
          'MSH|^~\\&|EPIC|VALLEY|SMS|VALLEY|20261201083000||SIU^S12|900001|P|2.5.1',
          'SCH||APPT-42|||||||30|MIN|^^30^20261204093000',
          'PID|1||P-7||ROSE^Ana||||||||+13035550142^PRN^CP',
          `AIP|1||${escapeEr7(value)}^SMITH^JO`,
        ].join('\r'),
        DEFAULTS,
      ),
    fhir: (value) => fhir({ practitioner: { identifier: [{ value }] } }),
    read: (e) => e.provider?.id ?? 'not read',
  },
  [
    { value: 'DR-9', all: 'DR-9' },
    { value: long(FIELD_LIMITS.identifier), all: long(FIELD_LIMITS.identifier) },
    {
      value: long(FIELD_LIMITS.identifier + 1),
      all: 'refused',
      except: { fhir: 'not read' },
      why: 'FHIR leaves out any provider detail it cannot read; JSON and HL7 refuse the field',
    },
  ],
);

rule(
  'the length rule: names (JSON patient_first_name, HL7 PID-5.2, FHIR HumanName.given)',
  {
    json: 'patient_first_name',
    hl7: (value) => hl7({ givenName: escapeEr7(value) }),
    fhir: (value) => fhir({ patient: { name: [{ given: [value], family: 'Rose' }] } }),
    read: (e) => e.patient.firstName ?? 'none',
  },
  [
    { value: 'Ana María', all: 'Ana María' },
    { value: long(FIELD_LIMITS.name), all: long(FIELD_LIMITS.name) },
    { value: long(FIELD_LIMITS.name + 1), all: 'refused' },
  ],
);

rule(
  'the length rule: locations (JSON appointment_location, HL7 AIL-3, FHIR Location.name)',
  {
    json: 'appointment_location',
    hl7: (value) => hl7({ location: escapeEr7(value) }),
    fhir: (value) => fhir({ location: { name: value } }),
    read: (e) => e.location ?? 'none',
  },
  [
    { value: 'Main St & 5th', all: 'Main St & 5th' },
    { value: long(FIELD_LIMITS.location), all: long(FIELD_LIMITS.location) },
    { value: long(FIELD_LIMITS.location + 1), all: 'refused' },
  ],
);

// ---------------------------------------------------------------------------------------------------------------
// The display zone: HL7 and FHIR only (a JSON event names its zone); JSON given that zone must agree.
// ---------------------------------------------------------------------------------------------------------------

describe('the display-zone rule (HL7 SCH-11 with an offset, FHIR Appointment.start)', () => {
  const timing = (result: Mapped): string =>
    result.ok ? `${result.event.start} ${result.event.localStart} ${result.event.timeZone}` : 'refused';

  test.each([
    ['2026-12-04T09:30:00', '-0700', 'America/Denver', '2026-12-04T16:30:00.000Z'],
    ['2026-07-01T09:30:00', '-0600', 'America/Denver', '2026-07-01T15:30:00.000Z'],
    ['2026-12-04T09:30:00', '-0500', '-0500', '2026-12-04T14:30:00.000Z'],
    ['2026-12-04T09:30:00', '+0530', '+0530', '2026-12-04T04:00:00.000Z'],
  ])('%s%s is shown in %s, at the same instant, in all three', (local, offset, zone, instant) => {
    const hl7Time = `${local.replace(/[-T:]/g, '')}${offset}`;
    const fhirTime = `${local}${offset.slice(0, 3)}:${offset.slice(3)}`;
    const answers = {
      json: timing(json({ appointment_datetime: local, appointment_timezone: zone })),
      hl7: timing(hl7({ start: hl7Time })),
      fhir: timing(fhir({ appointment: { start: fhirTime } })),
    };
    expect(answers.json).toContain(instant);
    expect(answers).toEqual({ json: answers.json, hl7: answers.json, fhir: answers.json });
  });

  // README: FHIR servers write every instant in UTC, so there `Z` says nothing about the clinic's zone; an HL7
  // timestamp's offset is the sender's local one.
  test('a zero offset: FHIR shows DEFAULT_TIMEZONE, HL7 shows UTC (kept different on purpose)', () => {
    expect(timing(hl7({ start: '20261204163000+0000' }))).toBe(
      '2026-12-04T16:30:00.000Z 2026-12-04T16:30:00 UTC',
    );
    expect(timing(fhir({ appointment: { start: '2026-12-04T16:30:00Z' } }))).toBe(
      '2026-12-04T16:30:00.000Z 2026-12-04T09:30:00 America/Denver',
    );
  });
});
