import fc from 'fast-check';
import {
  deriveEventId,
  parseCanonicalEvent,
  type FieldProblem,
  type ParseContext,
  type ParseResult,
} from '../../../src/domain/events/canonicalEvent';
import { EHR_EVENT_TYPES, type IngestedEvent } from '../../../src/shared/appointment';

const RECEIVED_AT = '2026-11-20T18:05:00.000Z';
const context: ParseContext = { defaultCountry: 'US', receivedAt: RECEIVED_AT };

const REQUIRED_FIELDS = [
  'event_type',
  'appointment_id',
  'appointment_datetime',
  'appointment_timezone',
  'patient_id',
] as const;

const OPTIONAL_FIELDS = [
  'event_id',
  'event_datetime_utc',
  'appointment_location',
  'patient_first_name',
  'patient_last_name',
  'patient_language',
  'provider_id',
  'provider_first_name',
  'provider_last_name',
  'provider_callback_phone',
  'patient_phone',
] as const;

const fullBody = (): Record<string, unknown> => ({
  event_type: 'BOOKED',
  event_id: 'evt-1001',
  event_datetime_utc: '2026-11-20T18:00:00Z',
  appointment_id: 'APPT-42',
  appointment_datetime: '2026-12-01T15:30:00',
  appointment_timezone: 'America/Denver',
  appointment_location: 'Main Clinic, Room 3',
  patient_id: 'P-7',
  patient_first_name: 'Ana',
  patient_last_name: 'Lopez',
  patient_phone: '+13035550123',
  patient_language: 'es',
  provider_id: 'DR-9',
  provider_first_name: 'Sam',
  provider_last_name: 'Ng',
  provider_callback_phone: '+13035550199',
});

const minimalBody = (): Record<string, unknown> => ({
  event_type: 'BOOKED',
  appointment_id: 'APPT-42',
  appointment_datetime: '2026-12-01T15:30:00',
  appointment_timezone: 'America/Denver',
  patient_id: 'P-7',
  patient_phone: '+13035550123',
});

function parse(body: unknown, ctx: ParseContext = context): ParseResult {
  return parseCanonicalEvent(body, ctx);
}

function expectEvent(body: unknown, ctx: ParseContext = context): IngestedEvent {
  const result = parse(body, ctx);
  if (!result.ok) throw new Error(`expected a valid event, got ${JSON.stringify(result.problems)}`);
  return result.event;
}

function expectProblems(body: unknown, ctx: ParseContext = context): FieldProblem[] {
  const result = parse(body, ctx);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.event)}`);
  expect(result.problems.length).toBeGreaterThan(0);
  return result.problems;
}

const fieldsOf = (problems: FieldProblem[]): string[] => [...new Set(problems.map((p) => p.field))].sort();

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

describe('parseCanonicalEvent: appointment_datetime and appointment_timezone', () => {
  it.each([
    ['with an offset', '2026-12-01T15:30:00-07:00'],
    ['with Z', '2026-12-01T15:30:00Z'],
    ['with a lowercase z', '2026-12-01T15:30:00z'],
    ['date only', '2026-12-01'],
    ['with a space instead of T', '2026-12-01 15:30:00'],
    ['with milliseconds', '2026-12-01T15:30:00.000'],
    ['as free text', 'next Tuesday'],
  ])('rejects a date-time %s', (_label, value) => {
    expect(fieldsOf(expectProblems({ ...minimalBody(), appointment_datetime: value }))).toEqual([
      'appointment_datetime',
    ]);
  });

  it.each(['2026-02-30T10:00:00', '2026-13-01T10:00:00', '2026-12-01T24:00:00', '2026-12-01T10:60:00'])(
    'rejects the impossible date-time %s',
    (value) => {
      expect(fieldsOf(expectProblems({ ...minimalBody(), appointment_datetime: value }))).toEqual([
        'appointment_datetime',
      ]);
    },
  );

  it('accepts 29 February in a leap year only', () => {
    expect(expectEvent({ ...minimalBody(), appointment_datetime: '2028-02-29T09:00:00' }).start).toBe(
      '2028-02-29T16:00:00.000Z',
    );
    expect(
      fieldsOf(expectProblems({ ...minimalBody(), appointment_datetime: '2027-02-29T09:00:00' })),
    ).toEqual(['appointment_datetime']);
  });

  it('reads the wall-clock time in the IANA zone, with its summer offset', () => {
    // America/Denver is MDT (-06:00) in July.
    const event = expectEvent({ ...minimalBody(), appointment_datetime: '2026-07-01T15:30:00' });
    expect(event.start).toBe('2026-07-01T21:30:00.000Z');
    expect(event.timeZone).toBe('America/Denver');
  });

  it('reads the wall-clock time at a fixed -0700 offset, whatever the season', () => {
    const event = expectEvent({
      ...minimalBody(),
      appointment_datetime: '2026-07-01T15:30:00',
      appointment_timezone: '-0700',
    });
    expect(event.start).toBe('2026-07-01T22:30:00.000Z');
    expect(event.timeZone).toBe('UTC-7');
    expect(event.localStart).toBe('2026-07-01T15:30:00');
  });

  it('accepts a fixed offset with a colon and minutes (+05:30)', () => {
    const event = expectEvent({
      ...minimalBody(),
      appointment_datetime: '2026-12-01T15:30:00',
      appointment_timezone: '+05:30',
    });
    expect(event.start).toBe('2026-12-01T10:00:00.000Z');
    expect(event.timeZone).toBe('UTC+5:30');
  });

  it.each(['Mars/Olympus', 'America/Denverr', '0700', '-1500', 'UTC-7', 'local', '+07'])(
    'rejects the zone %s',
    (zone) => {
      expect(fieldsOf(expectProblems({ ...minimalBody(), appointment_timezone: zone }))).toEqual([
        'appointment_timezone',
      ]);
    },
  );

  it('reports a bad zone and a bad date-time together', () => {
    const problems = expectProblems({
      ...minimalBody(),
      appointment_timezone: 'Nowhere/Else',
      appointment_datetime: '2026-12-01T15:30:00Z',
    });
    expect(fieldsOf(problems)).toEqual(['appointment_datetime', 'appointment_timezone']);
  });
});

describe('parseCanonicalEvent: phone numbers', () => {
  it('normalises a national number with DEFAULT_COUNTRY US to E.164', () => {
    expect(expectEvent({ ...minimalBody(), patient_phone: '(303) 555-0123' }).patient.phone).toBe(
      '+13035550123',
    );
  });

  it('reads a national number in the configured default country', () => {
    const event = expectEvent(
      { ...minimalBody(), patient_phone: '07911 123456' },
      { ...context, defaultCountry: 'GB' },
    );
    expect(event.patient.phone).toBe('+447911123456');
  });

  it('keeps an E.164 number from another country whatever the default', () => {
    expect(expectEvent({ ...minimalBody(), patient_phone: '+44 7911 123456' }).patient.phone).toBe(
      '+447911123456',
    );
  });

  // The appointment is recorded all the same, with the reason instead of a number (issue 12).
  it.each([
    [undefined, 'NO_PHONE'],
    [null, 'NO_PHONE'],
    ['', 'NO_PHONE'],
    ['   ', 'NO_PHONE'],
    ['12345', 'INVALID_PHONE'],
    ['not a phone', 'INVALID_PHONE'],
    ['+1 303 555 01234567', 'INVALID_PHONE'],
    ['+999 123', 'INVALID_PHONE'],
    ['***-***-0123', 'MASKED_PHONE'],
    ['(XXX) XXX-0123', 'MASKED_PHONE'],
    ['+44 20 7946 0958', 'NOT_MOBILE'],
    ['1-800-555-0199', 'NOT_MOBILE'],
  ])('accepts the phone %j without a number, as %s', (phone, problem) => {
    const body: Record<string, unknown> = { ...minimalBody(), patient_phone: phone };
    if (phone === undefined) delete body.patient_phone;
    const event = expectEvent(body);
    expect(event.patient.phone).toBeUndefined();
    expect(event.patient.phoneProblem).toBe(problem);
  });

  it('rejects a phone longer than 40 characters', () => {
    expect(
      fieldsOf(expectProblems({ ...minimalBody(), patient_phone: `+1303555012${'3'.repeat(40)}` })),
    ).toEqual(['patient_phone']);
  });

  it('normalises the provider callback phone and rejects an invalid one', () => {
    expect(
      expectEvent({ ...fullBody(), provider_callback_phone: '303.555.0199' }).provider?.callbackPhone,
    ).toBe('+13035550199');
    expect(fieldsOf(expectProblems({ ...fullBody(), provider_callback_phone: '555' }))).toEqual([
      'provider_callback_phone',
    ]);
  });
});

describe('parseCanonicalEvent: event_id and event_datetime_utc', () => {
  it('uses event_id as given', () => {
    expect(expectEvent({ ...minimalBody(), event_id: 'MSG-00017' }).eventId).toBe('MSG-00017');
  });

  it('derives an id when event_id is absent: the same body gives the same id', () => {
    const first = expectEvent(minimalBody(), { ...context, receivedAt: '2026-11-20T18:05:00.000Z' });
    const resend = expectEvent(minimalBody(), { ...context, receivedAt: '2026-11-21T09:00:00.000Z' });
    expect(first.eventId).toMatch(/^sha256-[0-9a-f]{32}$/);
    expect(resend.eventId).toBe(first.eventId);
  });

  it('derives a different id for a different body', () => {
    const booked = expectEvent(minimalBody()).eventId;
    expect(expectEvent({ ...minimalBody(), event_type: 'CANCELED' }).eventId).not.toBe(booked);
    expect(expectEvent({ ...minimalBody(), appointment_datetime: '2026-12-01T15:45:00' }).eventId).not.toBe(
      booked,
    );
    expect(expectEvent({ ...minimalBody(), event_datetime_utc: '2026-11-20T18:00:00Z' }).eventId).not.toBe(
      booked,
    );
  });

  it('derives the same id whatever the key order', () => {
    const body = minimalBody();
    const reversed = Object.fromEntries(Object.entries(body).reverse());
    expect(Object.keys(reversed)).not.toEqual(Object.keys(body));
    expect(expectEvent(reversed).eventId).toBe(expectEvent(body).eventId);
    expect(deriveEventId(reversed)).toBe(deriveEventId(body));
  });

  it('derives an id that passes the identifier rules', () => {
    const id = expectEvent(minimalBody()).eventId;
    expect(expectEvent({ ...minimalBody(), event_id: id }).eventId).toBe(id);
  });

  it.each([null, '', '  '])('treats event_id %j as absent and derives one', (value) => {
    expect(expectEvent({ ...minimalBody(), event_id: value }).eventId).toBe(
      expectEvent(minimalBody()).eventId,
    );
  });

  it('deriveEventId ignores event_id itself and null, empty or undefined values', () => {
    const body = minimalBody();
    expect(
      deriveEventId({
        ...body,
        event_id: 'x',
        patient_first_name: null,
        patient_last_name: '',
        extra: undefined,
      }),
    ).toBe(deriveEventId(body));
  });

  it.each([
    ['with an offset', '2026-11-20T11:00:00-07:00'],
    ['without any zone', '2026-11-20T18:00:00'],
    ['as a date', '2026-11-20'],
    ['as an impossible date', '2026-02-30T00:00:00Z'],
    ['as free text', 'now'],
  ])('rejects event_datetime_utc %s', (_label, value) => {
    expect(fieldsOf(expectProblems({ ...minimalBody(), event_datetime_utc: value }))).toEqual([
      'event_datetime_utc',
    ]);
  });

  it('normalises event_datetime_utc to a millisecond ISO instant', () => {
    expect(expectEvent({ ...minimalBody(), event_datetime_utc: '2026-11-20T18:00:00Z' }).eventAt).toBe(
      '2026-11-20T18:00:00.000Z',
    );
    expect(expectEvent({ ...minimalBody(), event_datetime_utc: '2026-11-20T18:00:00.123456Z' }).eventAt).toBe(
      '2026-11-20T18:00:00.123Z',
    );
  });

  it.each([undefined, null, ''])('defaults event time %j to receivedAt', (value) => {
    const body = { ...minimalBody(), event_datetime_utc: value };
    expect(expectEvent(body).eventAt).toBe(RECEIVED_AT);
  });
});

describe('parseCanonicalEvent: identifiers and language', () => {
  it.each(['APPT/42', 'APPT 42', '../etc/passwd', 'A\\B', 'Á1', 'a'.repeat(129)])(
    'rejects appointment_id #%#',
    (id) => {
      expect(fieldsOf(expectProblems({ ...minimalBody(), appointment_id: id }))).toEqual(['appointment_id']);
    },
  );

  // Patient ids only go back to the EHR (never into workflow ids or paths): masked or spaced ids are kept.
  it('keeps a patient_id with a slash, a space or a mask; refuses control characters', () => {
    for (const id of ['P/7', 'P 7', '*', 'MRN^123']) {
      expect(expectEvent({ ...minimalBody(), patient_id: id }).patient.id).toBe(id);
    }
    expect(fieldsOf(expectProblems({ ...minimalBody(), patient_id: 'P\u00007' }))).toEqual(['patient_id']);
    expect(fieldsOf(expectProblems({ ...minimalBody(), patient_id: 'x'.repeat(129) }))).toEqual([
      'patient_id',
    ]);
  });

  it('accepts identifiers with letters, digits and . _ : @ - up to 128 characters', () => {
    const id = `A.b_c:d@e-${'9'.repeat(118)}`;
    expect(id).toHaveLength(128);
    expect(expectEvent({ ...minimalBody(), appointment_id: id, patient_id: id }).appointmentId).toBe(id);
  });

  it('rejects an event_id with a slash', () => {
    expect(fieldsOf(expectProblems({ ...minimalBody(), event_id: 'a/b' }))).toEqual(['event_id']);
  });

  it('defaults the language to en', () => {
    expect(expectEvent(minimalBody()).patient.language).toBe('en');
  });

  it.each(['english!', 'e', 'es_MX', '12'])('rejects the language tag %j', (language) => {
    expect(fieldsOf(expectProblems({ ...minimalBody(), patient_language: language }))).toEqual([
      'patient_language',
    ]);
  });

  it('rejects a location longer than 200 characters', () => {
    expect(fieldsOf(expectProblems({ ...minimalBody(), appointment_location: 'x'.repeat(201) }))).toEqual([
      'appointment_location',
    ]);
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

describe('parseCanonicalEvent properties', () => {
  const ALL_FIELDS = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS];

  // Plausible and implausible values for every field, so generated bodies sometimes parse.
  const fieldValue = fc.oneof(
    fc.jsonValue(),
    fc.string(),
    fc.constantFrom(
      '',
      '  ',
      'BOOKED',
      'opted-in',
      'A-1',
      'P/1',
      '2026-12-01T15:30:00',
      '2026-02-30T10:00:00',
      '2026-12-01T15:30:00Z',
      '2026-11-20T18:00:00Z',
      'America/Denver',
      '-0700',
      '+14:00',
      'Mars/Olympus',
      '(303) 555-0123',
      '+13035550123',
      'en',
      'es-MX',
      '__proto__',
    ),
  );

  const bodyWithKnownKeys = fc.dictionary(fc.constantFrom(...ALL_FIELDS, 'extra', '__proto__'), fieldValue);

  function checkResult(result: ParseResult): void {
    if (result.ok) {
      expect(EHR_EVENT_TYPES).toContain(result.event.eventType);
      // A number that can be texted, or the reason there is none: never both, never neither.
      if (result.event.patient.phone === undefined) expect(result.event.patient.phoneProblem).toBeDefined();
      else {
        expect(result.event.patient.phone).toMatch(/^\+\d+$/);
        expect(result.event.patient.phoneProblem).toBeUndefined();
      }
      expect(result.event.eventId).toMatch(/^[A-Za-z0-9._:@-]{1,128}$/);
      expect(result.event.appointmentId).toMatch(/^[A-Za-z0-9._:@-]{1,128}$/);
      if (result.event.start === undefined)
        expect(['CANCELED', 'NOSHOWED']).toContain(result.event.eventType);
      else expect(new Date(result.event.start).toISOString()).toBe(result.event.start);
      expect(new Date(result.event.eventAt).toISOString()).toBe(result.event.eventAt);
    } else {
      expect(result.problems.length).toBeGreaterThan(0);
      for (const problem of result.problems) {
        expect(typeof problem.field).toBe('string');
        expect(typeof problem.message).toBe('string');
      }
    }
  }

  it('never throws for an arbitrary JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        checkResult(parseCanonicalEvent(value, context));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for an arbitrary object with the canonical keys', () => {
    fc.assert(
      fc.property(bodyWithKnownKeys, (body) => {
        checkResult(parseCanonicalEvent(body, context));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws when a valid body has one field replaced by anything', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_FIELDS), fieldValue, (field, value) => {
        checkResult(parseCanonicalEvent({ ...fullBody(), [field]: value }, context));
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: the same body always gives the same answer', () => {
    fc.assert(
      fc.property(bodyWithKnownKeys, (body) => {
        const copy = JSON.parse(JSON.stringify(body)) as unknown;
        expect(parseCanonicalEvent(body, context)).toEqual(parseCanonicalEvent(copy, context));
      }),
      { numRuns: 300 },
    );
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

describe('parseCanonicalEvent: cancellations and no-shows need no time (issue 10.11)', () => {
  const untimed = (eventType: string): Record<string, unknown> => {
    const body: Record<string, unknown> = { ...minimalBody(), event_type: eventType };
    delete body.appointment_datetime;
    delete body.appointment_timezone;
    return body;
  };

  it.each(['CANCELED', 'NOSHOWED', 'canceled'])(
    'a %s without appointment_datetime and timezone is accepted without a time',
    (type) => {
      const event = expectEvent(untimed(type));
      expect(event.eventType).toBe(type.toUpperCase());
      expect(event.start).toBeUndefined();
      expect(event.localStart).toBeUndefined();
      expect(event.timeZone).toBeUndefined();
      expect('start' in event).toBe(false);
    },
  );

  it.each(['BOOKED', 'RESCHEDULED', 'MODIFIED', 'CONFIRMED', 'OPTED-IN', 'OPTED-OUT'])(
    'a %s without a time is refused, both fields "is required"',
    (type) => {
      expect(expectProblems(untimed(type))).toEqual([
        { field: 'appointment_datetime', message: 'is required' },
        { field: 'appointment_timezone', message: 'is required' },
      ]);
    },
  );

  it('a cancellation with a time but no zone (or the reverse) is refused: a time needs its zone', () => {
    expect(expectProblems({ ...untimed('CANCELED'), appointment_datetime: '2026-12-01T15:30:00' })).toEqual([
      { field: 'appointment_timezone', message: 'is required' },
    ]);
    expect(expectProblems({ ...untimed('CANCELED'), appointment_timezone: 'America/Denver' })).toEqual([
      { field: 'appointment_datetime', message: 'is required' },
    ]);
  });

  it('a cancellation with its time keeps it', () => {
    expect(expectEvent({ ...minimalBody(), event_type: 'CANCELED' }).start).toBe('2026-12-01T22:30:00.000Z');
  });
});

describe('parseCanonicalEvent: language codes the templates know by another name', () => {
  // ISO 639-2 codes have a BCP 47 tag's shape; kept as sent, `spa` would pick the English templates.
  it.each([
    ['eng', 'en'],
    ['spa', 'es'],
    ['SPA', 'es'],
  ])('reads patient_language %j as %s', (language, tag) => {
    expect(expectEvent({ ...minimalBody(), patient_language: language }).patient.language).toBe(tag);
  });

  it('keeps refusing a language name: the field takes a BCP 47 tag', () => {
    expect(fieldsOf(expectProblems({ ...minimalBody(), patient_language: 'Spanish' }))).toEqual([
      'patient_language',
    ]);
  });
});
