/**
 * parseCanonicalEvent: phone numbers, event_id and event_datetime_utc, identifiers and language.
 */
import { deriveEventId } from '../../../../src/domain/events/canonicalEvent';
import {
  RECEIVED_AT,
  context,
  fullBody,
  minimalBody,
  expectEvent,
  expectProblems,
  fieldsOf,
} from './fixtures';

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
