/**
 * parseCanonicalEvent (POST /v1/ehr/events): valid bodies, missing and mistyped fields, event_type, bodies
 * that are not objects, every problem at once. Times: canonicalEvent.time.test.ts; phones, ids and
 * language: canonicalEvent.fields.test.ts; fast-check properties: canonicalEvent.property.test.ts.
 */
import { EHR_EVENT_TYPES } from '../../../../src/shared/appointment';
import {
  RECEIVED_AT,
  REQUIRED_FIELDS,
  fullBody,
  minimalBody,
  parse,
  expectEvent,
  expectProblems,
  fieldsOf,
} from './fixtures';

describe('parseCanonicalEvent: valid bodies', () => {
  it('maps a full body to an AppointmentEvent with every field', () => {
    expect(expectEvent(fullBody())).toEqual({
      eventId: 'evt-1001',
      eventType: 'BOOKED',
      eventAt: '2026-11-20T18:00:00.000Z',
      receivedAt: RECEIVED_AT,
      appointmentId: 'APPT-42',
      // America/Denver is MST (-07:00) in December.
      start: '2026-12-01T22:30:00.000Z',
      localStart: '2026-12-01T15:30:00',
      timeZone: 'America/Denver',
      location: 'Main Clinic, Room 3',
      patient: { id: 'P-7', firstName: 'Ana', lastName: 'Lopez', phone: '+13035550123', language: 'es' },
      provider: { id: 'DR-9', firstName: 'Sam', lastName: 'Ng', callbackPhone: '+13035550199' },
    });
  });

  it('accepts a minimal body with only the required fields and fills the defaults', () => {
    const event = expectEvent(minimalBody());
    expect(event).toMatchObject({
      eventType: 'BOOKED',
      eventAt: RECEIVED_AT,
      receivedAt: RECEIVED_AT,
      appointmentId: 'APPT-42',
      start: '2026-12-01T22:30:00.000Z',
      localStart: '2026-12-01T15:30:00',
      timeZone: 'America/Denver',
      patient: { id: 'P-7', phone: '+13035550123', language: 'en' },
    });
    expect(event.eventId).toMatch(/^sha256-[0-9a-f]{32}$/);
    expect(event.location).toBeUndefined();
    expect(event.patient.firstName).toBeUndefined();
    expect(event.patient.lastName).toBeUndefined();
    expect('provider' in event).toBe(false);
  });

  it('accepts a local time without seconds', () => {
    expect(expectEvent({ ...minimalBody(), appointment_datetime: '2026-12-01T15:30' }).start).toBe(
      '2026-12-01T22:30:00.000Z',
    );
  });

  it('trims surrounding whitespace from every text field', () => {
    const event = expectEvent({
      ...fullBody(),
      event_type: '  booked ',
      appointment_id: ' APPT-42 ',
      appointment_datetime: ' 2026-12-01T15:30:00 ',
      appointment_timezone: ' America/Denver ',
      patient_first_name: '  Ana ',
      patient_phone: ' +13035550123 ',
      patient_language: ' es ',
    });
    expect(event.appointmentId).toBe('APPT-42');
    expect(event.localStart).toBe('2026-12-01T15:30:00');
    expect(event.timeZone).toBe('America/Denver');
    expect(event.patient).toMatchObject({ firstName: 'Ana', phone: '+13035550123', language: 'es' });
  });

  it.each([...EHR_EVENT_TYPES])('accepts event_type %s in lower case', (type) => {
    expect(expectEvent({ ...minimalBody(), event_type: type.toLowerCase() }).eventType).toBe(type);
  });

  it('treats empty or null optional text fields as absent', () => {
    const event = expectEvent({
      ...minimalBody(),
      appointment_location: '',
      patient_first_name: null,
      patient_last_name: '   ',
      patient_language: '',
      provider_id: null,
      provider_first_name: '',
      provider_last_name: null,
      provider_callback_phone: '',
    });
    expect(event.location).toBeUndefined();
    expect(event.patient).toEqual({ id: 'P-7', phone: '+13035550123', language: 'en' });
    expect('provider' in event).toBe(false);
  });

  it('keeps a provider that has only a callback phone', () => {
    const event = expectEvent({ ...minimalBody(), provider_callback_phone: '(303) 555-0199' });
    expect(event.provider).toEqual({
      id: undefined,
      firstName: undefined,
      lastName: undefined,
      callbackPhone: '+13035550199',
    });
  });

  it('ignores fields it does not know', () => {
    const event = expectEvent({ ...fullBody(), extra: { nested: true }, sending_facility: 'X' });
    expect(event).toEqual(expectEvent(fullBody()));
  });

  it('accepts a language tag with a region (es-MX)', () => {
    expect(expectEvent({ ...minimalBody(), patient_language: 'es-MX' }).patient.language).toBe('es-MX');
  });
});

describe('parseCanonicalEvent: missing and mistyped fields', () => {
  it('lists every required field when all are missing, each as "is required"', () => {
    const problems = expectProblems({});
    expect(fieldsOf(problems)).toEqual([...REQUIRED_FIELDS].sort());
    for (const problem of problems) expect(problem.message).toBe('is required');
  });

  it.each([...REQUIRED_FIELDS])('reports %s alone when only it is missing', (field) => {
    const body = minimalBody();
    delete body[field];
    expect(expectProblems(body)).toEqual([{ field, message: 'is required' }]);
  });

  it.each([...REQUIRED_FIELDS])('reports %s sent as null as required', (field) => {
    expect(expectProblems({ ...minimalBody(), [field]: null })).toEqual([{ field, message: 'is required' }]);
  });

  it('says a field of the wrong type has the wrong type, not that it is missing', () => {
    const problems = expectProblems({ ...minimalBody(), event_type: 42, appointment_id: ['A'] });
    expect(fieldsOf(problems)).toEqual(['appointment_id', 'event_type']);
    for (const problem of problems) expect(problem.message).not.toBe('is required');
  });

  it.each(['', '   '])('reports an empty required text (%j)', (blank) => {
    const problems = expectProblems({ ...minimalBody(), patient_id: blank, appointment_id: blank });
    expect(fieldsOf(problems)).toEqual(['appointment_id', 'patient_id']);
    for (const field of ['appointment_id', 'patient_id']) {
      expect(problems).toContainEqual({ field, message: 'must not be empty' });
    }
  });

  it('lists problems of several fields in one answer', () => {
    const problems = expectProblems({
      ...minimalBody(),
      event_type: 'ARRIVED',
      appointment_timezone: 'Mars/Olympus',
      patient_language: 'english!',
      provider_callback_phone: 'call me',
      event_datetime_utc: 'yesterday',
    });
    expect(fieldsOf(problems)).toEqual([
      'appointment_timezone',
      'event_datetime_utc',
      'event_type',
      'patient_language',
      'provider_callback_phone',
    ]);
  });

  it('lists an impossible date beside problems in other fields', () => {
    const problems = expectProblems({
      ...minimalBody(),
      appointment_datetime: '2026-02-30T10:00:00',
      appointment_id: 'has space',
    });
    expect(fieldsOf(problems)).toEqual(['appointment_datetime', 'appointment_id']);
  });

  it('never reports the same problem twice', () => {
    const problems = expectProblems({
      ...minimalBody(),
      appointment_timezone: 'Nowhere/Else',
      patient_phone: 'x',
    });
    const keys = problems.map((p) => `${p.field}|${p.message}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('parseCanonicalEvent: event_type', () => {
  it('rejects a value outside the enum and names the allowed values', () => {
    const [problem] = expectProblems({ ...minimalBody(), event_type: 'ARRIVED' });
    expect(problem?.field).toBe('event_type');
    expect(problem?.message).toContain('BOOKED');
    expect(problem?.message).toContain('OPTED-OUT');
  });

  it('rejects OPTED_OUT with an underscore', () => {
    expect(fieldsOf(expectProblems({ ...minimalBody(), event_type: 'OPTED_OUT' }))).toEqual(['event_type']);
  });
});

describe('parseCanonicalEvent: bodies that are not objects', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an array', [minimalBody()]],
    ['a string', JSON.stringify(minimalBody())],
    ['a number', 42],
    ['a boolean', true],
  ])('answers %s with a body problem instead of throwing', (_label, body) => {
    expect(parse(body)).toEqual({
      ok: false,
      problems: [{ field: '(body)', message: 'must be a JSON object' }],
    });
  });
});

describe('parseCanonicalEvent: every problem at once', () => {
  test('an impossible date is reported even when the zone is also invalid', () => {
    expect(
      fieldsOf(
        expectProblems({
          ...minimalBody(),
          appointment_datetime: '2026-13-01T25:00:00',
          appointment_timezone: 'Mars/Olympus',
        }),
      ),
    ).toEqual(['appointment_datetime', 'appointment_timezone']);
  });
});
