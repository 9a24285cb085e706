import type {
  Appointment,
  Bundle,
  Location,
  MessageHeader,
  Patient,
  Practitioner,
  PractitionerRole,
} from '@medplum/fhirtypes';
import fc from 'fast-check';
import {
  FHIR_STATUS_EVENT,
  mapFhirAppointment,
  operationOutcome,
  type FhirMappingContext,
  type FhirProblem,
} from '../../src/domain/fhir/appointmentMapping';
import type { IngestedEvent } from '../../src/shared/appointment';

const RECEIVED_AT = '2026-11-20T18:05:00.000Z';
const context: FhirMappingContext = {
  defaultCountry: 'US',
  defaultTimezone: 'America/Denver',
  receivedAt: RECEIVED_AT,
};

function expectEvent(input: unknown, ctx: FhirMappingContext = context): IngestedEvent {
  const result = mapFhirAppointment(input, ctx);
  if (!result.ok) throw new Error(`expected an event, got ${JSON.stringify(result.problems)}`);
  return result.event;
}

function expectProblems(input: unknown, ctx: FhirMappingContext = context): FhirProblem[] {
  const result = mapFhirAppointment(input, ctx);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.event)}`);
  expect(result.problems.length).toBeGreaterThan(0);
  return result.problems;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: typed as R4 resources, so they are FHIR an EHR could really send.
// ---------------------------------------------------------------------------------------------------------------

/** An interface-engine export: everything contained, referenced as #id (Cerner-style ids and codings). */
function containedAppointment(): Appointment {
  return {
    resourceType: 'Appointment',
    id: '4817-20261204',
    meta: { versionId: '3', lastUpdated: '2026-11-20T18:00:00.000Z' },
    contained: [
      {
        resourceType: 'Patient',
        id: 'pat',
        identifier: [{ system: 'urn:oid:2.16.840.1.113883.3.13.6', value: 'MRN-100234' }],
        name: [
          { use: 'official', family: 'López', given: ['Ana', 'María'] },
          { use: 'old', family: 'García', given: ['Ana'] },
        ],
        telecom: [
          { system: 'phone', value: '(303) 555-0199', use: 'home' },
          { system: 'email', value: 'ana@example.org' },
          { system: 'phone', value: '+1 303 555 0142', use: 'mobile' },
        ],
        communication: [
          {
            language: {
              coding: [{ system: 'urn:ietf:bcp:47', code: 'es', display: 'Spanish' }],
              text: 'Spanish',
            },
            preferred: true,
          },
        ],
      },
      {
        resourceType: 'Practitioner',
        id: 'dr',
        identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' }],
        name: [{ use: 'official', family: 'Smith', given: ['Jo'], prefix: ['Dr.'] }],
        telecom: [
          { system: 'phone', value: '303-555-0177', use: 'mobile' },
          { system: 'phone', value: '303-555-0100', use: 'work' },
        ],
      },
      { resourceType: 'Location', id: 'loc', name: 'Main St Clinic', address: { text: '1 Main St, Denver' } },
    ],
    status: 'booked',
    serviceType: [{ text: 'Follow-up' }],
    start: '2026-12-04T09:30:00-07:00',
    end: '2026-12-04T10:00:00-07:00',
    participant: [
      { actor: { reference: '#pat', display: 'Ana López' }, status: 'accepted' },
      { actor: { reference: '#dr', display: 'Dr. Jo Smith' }, required: 'required', status: 'accepted' },
      { actor: { reference: '#loc', display: 'Main St Clinic' }, status: 'accepted' },
    ],
  };
}

/** An engine's transaction: fresh resources with urn:uuid fullUrls, a PractitionerRole, no server ids yet. */
function transactionBundle(): Bundle {
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:oid:1.2.840.114350', value: 'E4007' }],
    name: [
      { use: 'official', family: 'Nguyen', given: ['Robert'] },
      { use: 'usual', given: ['Bob'] },
    ],
    telecom: [{ system: 'phone', value: '720-555-0123', use: 'mobile' }],
  };
  const practitioner: Practitioner = {
    resourceType: 'Practitioner',
    id: 'PR-77',
    name: [{ family: 'Ng', given: ['Sam'] }],
  };
  const role: PractitionerRole = {
    resourceType: 'PractitionerRole',
    practitioner: { reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-111111111111' },
    telecom: [{ system: 'phone', value: '720-555-0100' }],
  };
  const location: Location = {
    resourceType: 'Location',
    address: { line: ['400 Elm St', 'Suite 2'], city: 'Boulder' },
  };
  const appointment: Appointment = {
    resourceType: 'Appointment',
    identifier: [{ system: 'urn:oid:1.2.840.114350.1.13', value: 'CSN-88231' }],
    status: 'booked',
    start: '2026-12-04T16:30:00Z',
    participant: [
      { actor: { reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000001' }, status: 'accepted' },
      { actor: { reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000002' }, status: 'accepted' },
      { actor: { reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000003' }, status: 'accepted' },
    ],
  };
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000000',
        resource: appointment,
        request: { method: 'POST', url: 'Appointment' },
      },
      {
        fullUrl: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000001',
        resource: patient,
        request: { method: 'POST', url: 'Patient' },
      },
      {
        fullUrl: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000002',
        resource: role,
        request: { method: 'POST', url: 'PractitionerRole' },
      },
      {
        fullUrl: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-111111111111',
        resource: practitioner,
        request: { method: 'POST', url: 'Practitioner' },
      },
      {
        fullUrl: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000003',
        resource: location,
        request: { method: 'POST', url: 'Location' },
      },
    ],
  };
}

const EPIC = 'https://fhir.example-health.org/api/FHIR/R4';

/** An Epic-style read collected into a Bundle: server ids, absolute fullUrls, relative references, UTC instants. */
function epicBundle(): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      {
        fullUrl: `${EPIC}/Appointment/eWLhfjXHp4RUczv0a.ivRMQ3`,
        resource: {
          resourceType: 'Appointment',
          id: 'eWLhfjXHp4RUczv0a.ivRMQ3',
          meta: { versionId: '7', lastUpdated: '2026-11-20T17:59:12Z' },
          identifier: [{ system: 'urn:oid:1.2.840.114350.1.13.0.1.7.3.698084.8', value: '27558' }],
          status: 'booked',
          start: '2026-12-04T16:30:00Z',
          end: '2026-12-04T16:45:00Z',
          minutesDuration: 15,
          participant: [
            {
              actor: { reference: 'Patient/erXuFYUfucBZaryVksYEcMg3', display: 'Lopez, Camila Maria' },
              status: 'accepted',
            },
            {
              actor: {
                reference: 'PractitionerRole/eZJ.hsOE5hB5xB7Sb7sDBgQ3',
                display: 'Physician Family Medicine',
              },
              status: 'accepted',
            },
            {
              actor: {
                reference: 'Location/e4W4rmGe9QzuGm2Dy4NBqVc0KDe6yGzS2G0yL3dgPS83',
                display: 'EMH Family Medicine',
              },
              status: 'accepted',
            },
          ],
        },
      },
      {
        fullUrl: `${EPIC}/Patient/erXuFYUfucBZaryVksYEcMg3`,
        resource: {
          resourceType: 'Patient',
          id: 'erXuFYUfucBZaryVksYEcMg3',
          name: [{ use: 'usual', text: 'Camila Maria Lopez', family: 'Lopez', given: ['Camila', 'Maria'] }],
          telecom: [
            { system: 'phone', value: '469-555-5555', use: 'home' },
            { system: 'phone', value: '469-888-8888', use: 'work' },
          ],
          communication: [
            {
              language: {
                coding: [{ system: 'urn:ietf:bcp:47', code: 'en', display: 'English' }],
                text: 'English',
              },
              preferred: true,
            },
          ],
        },
      },
      {
        fullUrl: `${EPIC}/PractitionerRole/eZJ.hsOE5hB5xB7Sb7sDBgQ3`,
        resource: {
          resourceType: 'PractitionerRole',
          id: 'eZJ.hsOE5hB5xB7Sb7sDBgQ3',
          practitioner: {
            reference: 'Practitioner/eM5CWtq15N0WJeuCet5bJlQ3',
            display: 'Physician Family Medicine',
          },
          telecom: [{ system: 'phone', value: '608-555-5555', use: 'work' }],
        },
      },
      {
        fullUrl: `${EPIC}/Practitioner/eM5CWtq15N0WJeuCet5bJlQ3`,
        resource: {
          resourceType: 'Practitioner',
          id: 'eM5CWtq15N0WJeuCet5bJlQ3',
          name: [
            { use: 'usual', text: 'Physician Family Medicine, MD', family: 'Medicine', given: ['Physician'] },
          ],
        },
      },
      {
        fullUrl: `${EPIC}/Location/e4W4rmGe9QzuGm2Dy4NBqVc0KDe6yGzS2G0yL3dgPS83`,
        resource: {
          resourceType: 'Location',
          id: 'e4W4rmGe9QzuGm2Dy4NBqVc0KDe6yGzS2G0yL3dgPS83',
          name: 'EMH Family Medicine',
        },
      },
    ],
  };
}

/** The Appointment of a Bundle fixture, for edits. */
function appointmentOf(bundle: Bundle): Appointment {
  const resource = bundle.entry?.find((e) => e.resource?.resourceType === 'Appointment')?.resource;
  if (resource?.resourceType !== 'Appointment') throw new Error('fixture has no Appointment');
  return resource;
}

function containedPatientOf(appointment: Appointment): Patient {
  const patient = appointment.contained?.find((r) => r.resourceType === 'Patient');
  if (patient?.resourceType !== 'Patient') throw new Error('fixture has no contained Patient');
  return patient;
}

// ---------------------------------------------------------------------------------------------------------------

describe('an Appointment with contained resources', () => {
  it('maps to a BOOKED event with the patient, provider and location it references', () => {
    expect(expectEvent(containedAppointment())).toEqual({
      eventId: 'Appointment/4817-20261204/_history/3',
      eventType: 'BOOKED',
      eventAt: '2026-11-20T18:00:00.000Z',
      receivedAt: RECEIVED_AT,
      appointmentId: '4817-20261204',
      start: '2026-12-04T16:30:00.000Z',
      localStart: '2026-12-04T09:30:00',
      timeZone: 'America/Denver',
      location: 'Main St Clinic',
      // A contained resource's id means nothing outside its container: the MRN and NPI are sent back instead.
      patient: {
        id: 'MRN-100234',
        firstName: 'Ana',
        lastName: 'López',
        phone: '+13035550142',
        language: 'es',
      },
      provider: { id: '1234567893', firstName: 'Jo', lastName: 'Smith', callbackPhone: '+13035550100' },
    });
  });

  it('texts the mobile even when a home phone comes first, and never gives out a doctor’s mobile', () => {
    const event = expectEvent(containedAppointment());
    expect(event.patient.phone).toBe('+13035550142');
    expect(event.provider?.callbackPhone).toBe('+13035550100');
  });

  it('falls back to the address text when the Location has no name', () => {
    const appointment = containedAppointment();
    const location = appointment.contained?.find((r) => r.resourceType === 'Location');
    if (location?.resourceType === 'Location') delete location.name;
    expect(expectEvent(appointment).location).toBe('1 Main St, Denver');
  });

  it('uses the display of a Location it cannot see', () => {
    const appointment = containedAppointment();
    appointment.participant[2] = {
      actor: { reference: 'Location/elsewhere', display: 'North Campus' },
      status: 'accepted',
    };
    expect(expectEvent(appointment).location).toBe('North Campus');
  });

  it('keeps the provider id of a Practitioner reference it cannot resolve', () => {
    const appointment = containedAppointment();
    appointment.participant[1] = {
      actor: { reference: 'Practitioner/PR-9', display: 'Dr. X' },
      status: 'accepted',
    };
    expect(expectEvent(appointment).provider).toEqual({ id: 'PR-9' });
  });

  it('leaves the provider out when no participant is a practitioner', () => {
    const appointment = containedAppointment();
    appointment.participant = appointment.participant.filter((p) => p.actor?.reference !== '#dr');
    expect('provider' in expectEvent(appointment)).toBe(false);
  });
});

describe('an Appointment in a Bundle', () => {
  it('resolves urn:uuid fullUrls, a PractitionerRole and identifiers in a transaction', () => {
    expect(expectEvent(transactionBundle())).toMatchObject({
      eventType: 'BOOKED',
      appointmentId: 'CSN-88231',
      start: '2026-12-04T16:30:00.000Z',
      // A UTC instant says nothing about the clinic's zone: DEFAULT_TIMEZONE shows it.
      localStart: '2026-12-04T09:30:00',
      timeZone: 'America/Denver',
      location: '400 Elm St, Suite 2, Boulder',
      // The name the patient goes by, with the official family name.
      patient: { id: 'E4007', firstName: 'Bob', lastName: 'Nguyen', phone: '+17205550123', language: 'en' },
      // The role's telecom is the work number patients may call.
      provider: { id: 'PR-77', firstName: 'Sam', lastName: 'Ng', callbackPhone: '+17205550100' },
    });
  });

  it('resolves relative Type/id references against absolute fullUrls (Epic-style)', () => {
    expect(expectEvent(epicBundle())).toEqual({
      eventId: 'Appointment/eWLhfjXHp4RUczv0a.ivRMQ3/_history/7',
      eventType: 'BOOKED',
      eventAt: '2026-11-20T17:59:12.000Z',
      receivedAt: RECEIVED_AT,
      appointmentId: 'eWLhfjXHp4RUczv0a.ivRMQ3',
      start: '2026-12-04T16:30:00.000Z',
      localStart: '2026-12-04T09:30:00',
      timeZone: 'America/Denver',
      location: 'EMH Family Medicine',
      // No mobile: the home phone is still texted (many landlines take texts; Twilio says when not).
      patient: {
        id: 'erXuFYUfucBZaryVksYEcMg3',
        firstName: 'Camila',
        lastName: 'Lopez',
        phone: '+14695555555',
        language: 'en',
      },
      provider: {
        id: 'eM5CWtq15N0WJeuCet5bJlQ3',
        firstName: 'Physician',
        lastName: 'Medicine',
        callbackPhone: '+16085555555',
      },
    });
  });

  it('reads a message Bundle led by its MessageHeader', () => {
    const bundle = transactionBundle();
    const header: MessageHeader = {
      resourceType: 'MessageHeader',
      eventCoding: { system: 'urn:example:events', code: 'appointment-booked' },
      source: { endpoint: 'urn:example:ehr' },
      focus: [{ reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000000' }],
    };
    const message: Bundle = {
      resourceType: 'Bundle',
      type: 'message',
      entry: [
        { fullUrl: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-999999999999', resource: header },
        ...(bundle.entry ?? []),
      ],
    };
    expect(expectEvent(message).appointmentId).toBe('CSN-88231');
  });

  it('accepts a batch, and a Bundle whose references carry a version', () => {
    const bundle = epicBundle();
    bundle.type = 'batch';
    const appointment = appointmentOf(bundle);
    const patientRef = appointment.participant[0]?.actor;
    if (patientRef) patientRef.reference = `${EPIC}/Patient/erXuFYUfucBZaryVksYEcMg3/_history/2`;
    expect(expectEvent(bundle).patient.id).toBe('erXuFYUfucBZaryVksYEcMg3');
  });

  it('refuses a Bundle type that does not carry an appointment to us', () => {
    const bundle = epicBundle();
    bundle.type = 'searchset';
    expect(expectProblems(bundle)).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: 'Bundle.type' }),
    ]);
  });

  it('refuses a Bundle without an Appointment, or with several', () => {
    const bundle = epicBundle();
    const withoutAppointment: Bundle = { ...bundle, entry: bundle.entry?.slice(1) };
    expect(expectProblems(withoutAppointment)).toEqual([
      expect.objectContaining({ code: 'required', expression: 'Bundle.entry' }),
    ]);
    const twice: Bundle = {
      ...bundle,
      entry: [...(bundle.entry ?? []), ...(bundle.entry ?? []).slice(0, 1)],
    };
    expect(expectProblems(twice)).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: 'Bundle.entry[5].resource' }),
    ]);
  });

  it('says which reference it could not resolve when the Patient is missing from the Bundle', () => {
    const bundle = epicBundle();
    bundle.entry = bundle.entry?.filter((e) => e.resource?.resourceType !== 'Patient');
    expect(expectProblems(bundle)).toEqual([
      expect.objectContaining({
        code: 'invalid',
        expression: 'Bundle.entry[0].resource.participant[0].actor.reference',
      }),
    ]);
  });
});

describe('phone numbers and language', () => {
  const withTelecom = (telecom: Patient['telecom']): Appointment => {
    const appointment = containedAppointment();
    containedPatientOf(appointment).telecom = telecom;
    return appointment;
  };

  it('normalises a national number with DEFAULT_COUNTRY', () => {
    expect(
      expectEvent(withTelecom([{ system: 'phone', value: '(303) 555-0142', use: 'mobile' }])).patient.phone,
    ).toBe('+13035550142');
    const mexico = { ...context, defaultCountry: 'MX' };
    expect(
      expectEvent(withTelecom([{ system: 'phone', value: '55 1234 5678', use: 'mobile' }]), mexico).patient
        .phone,
    ).toBe('+525512345678');
  });

  it('prefers sms and mobile, then rank, and never texts an old number', () => {
    expect(
      expectEvent(
        withTelecom([
          { system: 'phone', value: '303-555-0101', use: 'mobile', rank: 2 },
          { system: 'phone', value: '303-555-0102', use: 'old' },
          { system: 'sms', value: '303-555-0103', rank: 1 },
        ]),
      ).patient.phone,
    ).toBe('+13035550103');
    expect(
      expectEvent(
        withTelecom([
          { system: 'phone', value: '303-555-0102', use: 'old' },
          { system: 'phone', value: '303-555-0104' },
        ]),
      ).patient.phone,
    ).toBe('+13035550104');
  });

  it('skips an invalid mobile for a valid home phone', () => {
    expect(
      expectEvent(
        withTelecom([
          { system: 'phone', value: '12', use: 'mobile' },
          { system: 'phone', value: '303-555-0199', use: 'home' },
        ]),
      ).patient.phone,
    ).toBe('+13035550199');
  });

  it('reads the preferred language, a Spanish text without a code, and falls back to English', () => {
    const withCommunication = (communication: Patient['communication']): string => {
      const appointment = containedAppointment();
      containedPatientOf(appointment).communication = communication;
      return expectEvent(appointment).patient.language;
    };
    expect(
      withCommunication([
        { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en' }] } },
        { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es-MX' }] }, preferred: true },
      ]),
    ).toBe('es-MX');
    expect(withCommunication([{ language: { text: 'Spanish' } }])).toBe('es');
    expect(withCommunication([{ language: { coding: [{ code: 'es' }] } }])).toBe('es');
    expect(withCommunication([{ language: { text: 'Klingon (Qo’noS)' } }])).toBe('en');
    expect(withCommunication(undefined)).toBe('en');
  });
});

describe('status', () => {
  const withStatus = (status: Appointment['status']): Appointment => ({ ...containedAppointment(), status });

  it.each([
    ['booked', 'BOOKED'],
    ['arrived', 'BOOKED'],
    ['checked-in', 'BOOKED'],
    ['fulfilled', 'BOOKED'],
    ['cancelled', 'CANCELED'],
    ['entered-in-error', 'CANCELED'],
    ['noshow', 'NOSHOWED'],
  ] as const)('%s is sent as %s', (status, eventType) => {
    expect(expectEvent(withStatus(status)).eventType).toBe(eventType);
  });

  it.each(['arrived', 'checked-in', 'fulfilled'] as const)(
    '%s is marked attended (never a booking prompt or a reopening); booked is not',
    (status) => {
      expect(expectEvent(withStatus(status)).attended).toBe(true);
      expect(expectEvent(withStatus('booked')).attended).toBeUndefined();
    },
  );

  it.each(['proposed', 'pending', 'waitlist'] as const)('%s is refused: not a booking yet', (status) => {
    expect(expectProblems(withStatus(status))).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: 'Appointment.status' }),
    ]);
  });

  it('covers every R4 status', () => {
    expect(Object.keys(FHIR_STATUS_EVENT).sort()).toEqual(
      [
        'arrived',
        'booked',
        'cancelled',
        'checked-in',
        'entered-in-error',
        'fulfilled',
        'noshow',
        'pending',
        'proposed',
        'waitlist',
      ].sort(),
    );
  });

  it('refuses a status that is not an R4 code', () => {
    expect(expectProblems({ ...containedAppointment(), status: 'scheduled' })).toEqual([
      expect.objectContaining({ code: 'value', expression: 'Appointment.status' }),
    ]);
  });
});

describe('event identity and order', () => {
  it('gives the same version the same event id, so a resend is a duplicate', () => {
    const first = expectEvent(containedAppointment());
    const again = expectEvent(clone(containedAppointment()), {
      ...context,
      receivedAt: '2026-11-20T19:00:00.000Z',
    });
    expect(again.eventId).toBe(first.eventId);
    expect(again.eventAt).toBe(first.eventAt);
  });

  it('gives a new version a new id and its lastUpdated as the event time', () => {
    const cancelled: Appointment = {
      ...containedAppointment(),
      status: 'cancelled',
      meta: { versionId: '4', lastUpdated: '2026-11-21T08:15:00-07:00' },
    };
    expect(expectEvent(cancelled)).toMatchObject({
      eventId: 'Appointment/4817-20261204/_history/4',
      eventType: 'CANCELED',
      eventAt: '2026-11-21T15:15:00.000Z',
    });
  });

  it('without meta hashes what it read: same content, same id; the receive time orders it', () => {
    const bare = (): Appointment => {
      const appointment = containedAppointment();
      delete appointment.meta;
      return appointment;
    };
    const first = expectEvent(bare());
    const later = expectEvent(bare(), { ...context, receivedAt: '2026-11-21T00:00:00.000Z' });
    expect(first.eventId).toMatch(/^Appointment\/4817-20261204\/sha256-[0-9a-f]{32}$/);
    expect(later.eventId).toBe(first.eventId);
    expect(first.eventAt).toBe(RECEIVED_AT);

    const moved = bare();
    moved.start = '2026-12-05T09:30:00-07:00';
    expect(expectEvent(moved).eventId).not.toBe(first.eventId);
    const newPhone = bare();
    containedPatientOf(newPhone).telecom = [{ system: 'sms', value: '+13035550111' }];
    expect(expectEvent(newPhone).eventId).not.toBe(first.eventId);
  });
});

describe('time zone', () => {
  it('shows the time in the timezone extension, wherever the Appointment carries it', () => {
    const extension = [
      { url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'America/Chicago' },
    ];
    const onStart = { ...containedAppointment(), _start: { extension } };
    const onAppointment: Appointment = { ...containedAppointment(), extension };
    const onMeta: Appointment = { ...containedAppointment(), meta: { versionId: '3', extension } };
    const r4Name: Appointment = {
      ...containedAppointment(),
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/tz-code', valueCode: 'America/Chicago' }],
    };
    for (const input of [onStart, onAppointment, onMeta, r4Name]) {
      expect(expectEvent(input)).toMatchObject({
        start: '2026-12-04T16:30:00.000Z',
        localStart: '2026-12-04T10:30:00',
        timeZone: 'America/Chicago',
      });
    }
  });

  it('follows DST in DEFAULT_TIMEZONE when the start agrees with it', () => {
    const summer: Appointment = { ...containedAppointment(), start: '2026-07-01T09:30:00-06:00' };
    expect(expectEvent(summer)).toMatchObject({
      localStart: '2026-07-01T09:30:00',
      timeZone: 'America/Denver',
    });
  });

  it('keeps the EHR’s wall-clock time when the start’s offset is not DEFAULT_TIMEZONE’s', () => {
    const eastern: Appointment = { ...containedAppointment(), start: '2026-12-04T09:30:00-05:00' };
    expect(expectEvent(eastern)).toMatchObject({
      start: '2026-12-04T14:30:00.000Z',
      localStart: '2026-12-04T09:30:00',
      timeZone: 'UTC-5',
    });
    const utcDefault = { ...context, defaultTimezone: 'UTC' };
    expect(expectEvent(containedAppointment(), utcDefault)).toMatchObject({
      localStart: '2026-12-04T09:30:00',
      timeZone: 'UTC-7',
    });
  });

  it('refuses an extension that is not an IANA zone', () => {
    const appointment: Appointment = {
      ...containedAppointment(),
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: '-0700' }],
    };
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'value', expression: 'Appointment.extension[0].valueCode' }),
    ]);
  });
});

describe('invalid input', () => {
  it('a booked Appointment without a start', () => {
    const appointment = containedAppointment();
    delete appointment.start;
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'required', expression: 'Appointment.start' }),
    ]);
  });

  it('a start without an offset', () => {
    expect(expectProblems({ ...containedAppointment(), start: '2026-12-04T09:30:00' })).toEqual([
      expect.objectContaining({ code: 'value', expression: 'Appointment.start' }),
    ]);
  });

  it('no participant is a patient', () => {
    const appointment = containedAppointment();
    appointment.participant = appointment.participant.filter((p) => p.actor?.reference !== '#pat');
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'required', expression: 'Appointment.participant' }),
    ]);
  });

  it('a patient referenced but not sent with a lone Appointment', () => {
    const appointment = containedAppointment();
    appointment.participant[0] = { actor: { reference: 'Patient/123' }, status: 'accepted' };
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'invalid', expression: 'Appointment.participant[0].actor.reference' }),
    ]);
  });

  // Recorded all the same, with the reason instead of a number (issue 12): nothing to refuse.
  it.each([
    [[{ system: 'email', value: 'ana@example.org' }], 'NO_PHONE'],
    [
      [
        { system: 'email', value: 'ana@example.org' },
        { system: 'phone', value: '555', use: 'mobile' },
      ],
      'INVALID_PHONE',
    ],
    [[{ system: 'phone', value: '***-***-0123', use: 'mobile' }], 'MASKED_PHONE'],
    [[{ system: 'phone', value: '+44 20 7946 0958', use: 'home' }], 'NOT_MOBILE'],
  ] as const)('a patient whose telecom is %j is accepted without a number, as %s', (telecom, problem) => {
    const appointment = containedAppointment();
    containedPatientOf(appointment).telecom = telecom.map((t) => ({ ...t }));
    const result = mapFhirAppointment(appointment, context);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.event.patient.phone).toBeUndefined();
    expect(result.event.patient.phoneProblem).toBe(problem);
  });

  it('a textable number wins over others that cannot be texted', () => {
    const appointment = containedAppointment();
    containedPatientOf(appointment).telecom = [
      { system: 'phone', value: '+44 20 7946 0958', use: 'mobile' },
      { system: 'phone', value: '720-555-0123', use: 'home' },
    ];
    const result = mapFhirAppointment(appointment, context);
    expect(result.ok && result.event.patient.phone).toBe('+17205550123');
  });

  it('a patient without a phone in a Bundle is accepted without a number', () => {
    const bundle = epicBundle();
    const patient = bundle.entry?.[1]?.resource;
    if (patient?.resourceType === 'Patient') delete patient.telecom;
    const result = mapFhirAppointment(bundle, context);
    expect(result.ok && result.event.patient.phoneProblem).toBe('NO_PHONE');
  });

  it('lists every problem at once, without repeating patient data', () => {
    const appointment: Record<string, unknown> = {
      ...containedAppointment(),
      status: 'scheduled',
      id: 'has space',
    };
    delete appointment.start;
    const patient = containedPatientOf(appointment as unknown as Appointment);
    patient.telecom = [{ system: 'phone', value: '555-SECRET', use: 'mobile' }];
    const problems = expectProblems(appointment);
    expect(problems.map((p) => [p.code, p.expression])).toEqual([
      ['value', 'Appointment.id'],
      ['value', 'Appointment.status'],
      ['required', 'Appointment.start'],
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/SECRET|López|Ana/);
  });

  it('elements of the wrong JSON type', () => {
    expect(expectProblems({ ...containedAppointment(), participant: 'Ana', start: 20261204 })).toEqual([
      expect.objectContaining({ code: 'invalid', expression: 'Appointment.start' }),
      expect.objectContaining({ code: 'invalid', expression: 'Appointment.participant' }),
    ]);
    const appointment = containedAppointment();
    (containedPatientOf(appointment) as unknown as Record<string, unknown>).telecom = [
      { system: 'phone', value: 3035550142 },
    ];
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'invalid', expression: 'Appointment.contained[0].telecom[0].value' }),
    ]);
  });

  it('an Appointment without any id', () => {
    const appointment = containedAppointment();
    delete appointment.id;
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'required', expression: 'Appointment.id' }),
    ]);
  });

  it('another resource type', () => {
    const patient = containedPatientOf(containedAppointment());
    expect(expectProblems(patient)).toEqual([
      { code: 'not-supported', diagnostics: expect.any(String), expression: 'Patient' },
    ]);
    expect(expectProblems({ resourceType: '<script>' })).toEqual([
      { code: 'not-supported', diagnostics: expect.not.stringContaining('<script>') },
    ]);
    expect(expectProblems({ status: 'booked' })).toEqual([expect.objectContaining({ code: 'required' })]);
  });

  it.each([
    ['a string', 'MSH|^~\\&|EPIC|'],
    ['an array', [containedAppointment()]],
    ['null', null],
    ['a number', 42],
  ])('garbage: %s', (_what, input) => {
    expect(expectProblems(input)).toEqual([expect.objectContaining({ code: 'invalid' })]);
  });
});

describe('operationOutcome', () => {
  it('lists each problem as an error with its FHIRPath', () => {
    const problems = expectProblems({ ...containedAppointment(), start: undefined, status: 'pending' });
    expect(operationOutcome(problems)).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'not-supported',
          diagnostics: expect.stringContaining('pending'),
          expression: ['Appointment.status'],
        },
        {
          severity: 'error',
          code: 'required',
          diagnostics: expect.any(String),
          expression: ['Appointment.start'],
        },
      ],
    });
    expect(operationOutcome([{ code: 'invalid', diagnostics: 'not JSON' }]).issue[0]).not.toHaveProperty(
      'expression',
    );
  });
});

describe('properties', () => {
  const checkResult = (result: ReturnType<typeof mapFhirAppointment>): void => {
    if (result.ok) {
      // A number that can be texted, or the reason there is none: never both, never neither.
      if (result.event.patient.phone === undefined) expect(result.event.patient.phoneProblem).toBeDefined();
      else expect(result.event.patient.phone).toMatch(/^\+[1-9]\d{6,14}$/);
      if (result.event.start === undefined)
        expect(['CANCELED', 'NOSHOWED']).toContain(result.event.eventType);
      else expect(Number.isNaN(Date.parse(result.event.start))).toBe(false);
      expect(result.event.eventId.length).toBeGreaterThan(0);
    } else {
      expect(result.problems.length).toBeGreaterThan(0);
      for (const problem of result.problems) {
        expect(typeof problem.diagnostics).toBe('string');
        if (problem.expression !== undefined) expect(problem.expression).toMatch(/^[A-Z][A-Za-z]*(\.|\[|$)/);
      }
    }
  };

  it('never throws for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        checkResult(mapFhirAppointment(value, context));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for arbitrary JSON dressed as an Appointment or a Bundle', () => {
    const resourceish = fc.oneof(
      fc.dictionary(fc.string(), fc.jsonValue()).map((d) => ({ ...d, resourceType: 'Appointment' })),
      fc
        .record({ type: fc.jsonValue(), entry: fc.array(fc.jsonValue(), { maxLength: 4 }) })
        .map((r) => ({ ...r, resourceType: 'Bundle' })),
    );
    fc.assert(
      fc.property(resourceish, (value) => {
        checkResult(mapFhirAppointment(value, context));
      }),
      { numRuns: 500 },
    );
  });

  /** Every path to an element of a JSON value, for replacing one element of a realistic input. */
  function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
    if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
    if (typeof value === 'object' && value !== null) {
      return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
    }
    return [];
  }

  function replaced(root: unknown, path: Array<string | number>, value: unknown): unknown {
    const copy = clone(root);
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    if (last !== undefined) parent[last] = value;
    return copy;
  }

  it('never throws when any one element of a real Bundle or Appointment is replaced by arbitrary JSON', () => {
    const fixtures: unknown[] = [containedAppointment(), transactionBundle(), epicBundle()];
    const mutation = fc
      .constantFrom(...fixtures)
      .chain((fixture) => fc.tuple(fc.constant(fixture), fc.constantFrom(...paths(fixture)), fc.jsonValue()));
    fc.assert(
      fc.property(mutation, ([fixture, path, value]) => {
        checkResult(mapFhirAppointment(replaced(fixture, path, value), context));
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: the same input gives the same answer', () => {
    fc.assert(
      fc.property(fc.constantFrom(containedAppointment(), transactionBundle(), epicBundle()), (input) => {
        expect(mapFhirAppointment(clone(input), context)).toEqual(mapFhirAppointment(input, context));
      }),
      { numRuns: 20 },
    );
  });
});

describe('cancelled and noshow without start (issue 10.11)', () => {
  const withoutStart = (status: Appointment['status']): Appointment => {
    const { start: _start, end: _end, ...rest } = { ...containedAppointment(), status };
    return rest;
  };

  it.each([
    ['cancelled', 'CANCELED'],
    ['entered-in-error', 'CANCELED'],
    ['noshow', 'NOSHOWED'],
  ] as const)('%s without start is a %s without a time (the workflow has it)', (status, eventType) => {
    const event = expectEvent(withoutStart(status));
    expect(event.eventType).toBe(eventType);
    expect(event.start).toBeUndefined();
    expect(event.timeZone).toBeUndefined();
  });

  it.each(['booked', 'arrived', 'checked-in', 'fulfilled'] as const)(
    '%s without start is refused',
    (status) => {
      expect(expectProblems(withoutStart(status))).toEqual([
        expect.objectContaining({ code: 'required', expression: 'Appointment.start' }),
      ]);
    },
  );

  it('a resend of the same untimed cancellation has the same event id', () => {
    expect(expectEvent(withoutStart('cancelled')).eventId).toBe(
      expectEvent(withoutStart('cancelled')).eventId,
    );
  });
});
