/**
 * parseCanonicalEvent: the appointment's date-time and zone, and the cancellations and no-shows that
 * need neither.
 */
import { minimalBody, expectEvent, expectProblems, fieldsOf } from './fixtures';

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
