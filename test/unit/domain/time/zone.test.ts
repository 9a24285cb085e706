import { DateTime, Info } from 'luxon';
import {
  firstOffsetChangeAfter,
  formatInstantInZone,
  localToInstant,
  offsetStretchStart,
  parseAppointmentZone,
  parseInstant,
  resolveZone,
} from '../../../../src/domain/time/zone';

describe('parseAppointmentZone', () => {
  it.each(['America/Denver', 'UTC', 'Etc/UTC', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'])(
    'keeps the IANA name %s unchanged',
    (name) => {
      expect(parseAppointmentZone(name)).toBe(name);
    },
  );

  it('answers the same when asked again (valid names are remembered, unknown ones are not)', () => {
    for (let i = 0; i < 3; i++) {
      expect(parseAppointmentZone('Europe/Lisbon')).toBe('Europe/Lisbon');
      expect(parseAppointmentZone('Mars/Olympus_Mons')).toBeUndefined();
    }
  });

  it('keeps Etc/GMT+7 as an IANA name (its POSIX sign means UTC-7)', () => {
    expect(parseAppointmentZone('Etc/GMT+7')).toBe('Etc/GMT+7');
  });

  it.each([
    ['-0700', 'UTC-7'],
    ['+0530', 'UTC+5:30'],
    ['+0545', 'UTC+5:45'],
    ['-0930', 'UTC-9:30'],
    ['+1400', 'UTC+14'],
    ['-1400', 'UTC-14'],
    ['-1200', 'UTC-12'],
    ['+0000', 'UTC'],
    ['-0000', 'UTC'],
  ])('turns the fixed offset %s into the luxon zone %s', (text, zone) => {
    expect(parseAppointmentZone(text)).toBe(zone);
  });

  it.each([
    ['-07:00', 'UTC-7'],
    ['+05:30', 'UTC+5:30'],
    ['+14:00', 'UTC+14'],
  ])('also accepts the colon form %s', (text, zone) => {
    expect(parseAppointmentZone(text)).toBe(zone);
  });

  it('pads single-digit minutes because luxon cannot parse its own "UTC+5:7" name', () => {
    expect(parseAppointmentZone('+0507')).toBe('UTC+5:07');
    expect(Info.normalizeZone('UTC+5:07').offset(0)).toBe(307);
  });

  it('every accepted fixed offset names a luxon zone with exactly that offset', () => {
    for (let total = -14 * 60; total <= 14 * 60; total++) {
      const magnitude = Math.abs(total);
      const hhmm = `${String(Math.floor(magnitude / 60)).padStart(2, '0')}${String(magnitude % 60).padStart(2, '0')}`;
      const zone = parseAppointmentZone(`${total < 0 ? '-' : '+'}${hhmm}`);
      expect(zone).toBeDefined();
      expect(resolveZone(zone!)?.offset(0)).toBe(total);
    }
  });

  it.each(['0700', '+1401', '+1500', '-1430', '+0760', '+07', '+7', '-7:00', '+070', '+07:0', '−0700'])(
    'rejects malformed or out-of-range offsets: %j',
    (text) => {
      expect(parseAppointmentZone(text)).toBeUndefined();
    },
  );

  it.each([
    '',
    'Mars/Olympus',
    'America/Denverr',
    ' America/Denver',
    'America/Denver ',
    'UTC-7',
    'GMT+7',
    'Z',
  ])('rejects unknown zone names: %j', (text) => {
    expect(parseAppointmentZone(text)).toBeUndefined();
  });

  it.each(['local', 'system'])(
    'rejects the machine zone %j because it depends on where the code runs',
    (text) => {
      expect(parseAppointmentZone(text)).toBeUndefined();
    },
  );
});

describe('resolveZone', () => {
  it('resolves IANA names and luxon fixed-offset names', () => {
    expect(resolveZone('America/Denver')?.name).toBe('America/Denver');
    expect(resolveZone('UTC-7')?.offset(0)).toBe(-420);
  });

  it.each(['local', 'system', 'Mars/Olympus', ''])('refuses %j', (zone) => {
    expect(resolveZone(zone)).toBeUndefined();
  });
});

describe('parseInstant', () => {
  it('reads instants with Z or a numeric offset', () => {
    expect(parseInstant('2026-12-01T22:30:00Z')).toBe(Date.UTC(2026, 11, 1, 22, 30));
    expect(parseInstant('2026-12-01T15:30:00.250-07:00')).toBe(Date.UTC(2026, 11, 1, 22, 30, 0, 250));
    expect(parseInstant('2026-12-01T15:30-0700')).toBe(Date.UTC(2026, 11, 1, 22, 30));
  });

  it.each(['2026-12-01T22:30:00', '2026-12-01', '2026-02-30T10:00:00Z', 'garbage', '2026-12-01T25:00:00Z'])(
    'rejects %j (no offset, or not a real instant)',
    (text) => {
      expect(parseInstant(text)).toBeUndefined();
    },
  );
});

describe('localToInstant', () => {
  it('converts a Denver winter wall time using MST (-07:00)', () => {
    expect(localToInstant('2026-12-01T15:30:00', 'America/Denver')).toEqual({
      ok: true,
      instant: '2026-12-01T22:30:00.000Z',
    });
  });

  it('accepts the wall time without seconds', () => {
    expect(localToInstant('2026-12-01T15:30', 'America/Denver')).toEqual({
      ok: true,
      instant: '2026-12-01T22:30:00.000Z',
    });
  });

  it('keeps seconds and milliseconds', () => {
    expect(localToInstant('2026-12-01T15:30:45.5', 'America/Denver')).toEqual({
      ok: true,
      instant: '2026-12-01T22:30:45.500Z',
    });
  });

  it('converts a Denver summer wall time using MDT (-06:00)', () => {
    expect(localToInstant('2026-07-01T15:30', 'America/Denver')).toEqual({
      ok: true,
      instant: '2026-07-01T21:30:00.000Z',
    });
  });

  it('converts with a fixed offset zone', () => {
    expect(localToInstant('2026-12-01T15:30', 'UTC+5:30')).toEqual({
      ok: true,
      instant: '2026-12-01T10:00:00.000Z',
    });
    expect(localToInstant('2026-12-01T15:30', 'UTC')).toEqual({
      ok: true,
      instant: '2026-12-01T15:30:00.000Z',
    });
  });

  it('converts in a half-hour zone without DST (Asia/Kolkata)', () => {
    expect(localToInstant('2026-12-01T15:30', 'Asia/Kolkata')).toEqual({
      ok: true,
      instant: '2026-12-01T10:00:00.000Z',
    });
  });

  it('accepts 29 February in a leap year', () => {
    expect(localToInstant('2028-02-29T12:00', 'UTC')).toEqual({
      ok: true,
      instant: '2028-02-29T12:00:00.000Z',
    });
  });

  describe('DST gap (spring forward): the wall time shifts forward by the gap, like luxon', () => {
    it('02:30 on the New York spring-forward day becomes 03:30 EDT', () => {
      expect(localToInstant('2026-03-08T02:30', 'America/New_York')).toEqual({
        ok: true,
        instant: '2026-03-08T07:30:00.000Z',
      });
      expect(DateTime.fromISO('2026-03-08T02:30', { zone: 'America/New_York' }).toUTC().toISO()).toBe(
        '2026-03-08T07:30:00.000Z',
      );
    });

    it('02:15 on the Lord Howe 30-minute spring-forward day becomes 02:45 (+11:00)', () => {
      expect(localToInstant('2026-10-04T02:15', 'Australia/Lord_Howe')).toEqual({
        ok: true,
        instant: '2026-10-03T15:45:00.000Z',
      });
    });

    it('01:30 on the London spring-forward day becomes 02:30 BST', () => {
      expect(localToInstant('2026-03-29T01:30', 'Europe/London')).toEqual({
        ok: true,
        instant: '2026-03-29T01:30:00.000Z',
      });
    });
  });

  describe('DST overlap (fall back): the earlier of the two instants, whatever the current date', () => {
    it('01:30 on the New York fall-back day is 01:30 EDT', () => {
      expect(localToInstant('2026-11-01T01:30', 'America/New_York')).toEqual({
        ok: true,
        instant: '2026-11-01T05:30:00.000Z',
      });
    });

    it('01:30 on the London fall-back day is 01:30 BST', () => {
      expect(localToInstant('2026-10-25T01:30', 'Europe/London')).toEqual({
        ok: true,
        instant: '2026-10-25T00:30:00.000Z',
      });
    });

    it('01:45 on the Lord Howe fall-back day is 01:45 (+11:00)', () => {
      expect(localToInstant('2026-04-05T01:45', 'Australia/Lord_Howe')).toEqual({
        ok: true,
        instant: '2026-04-04T14:45:00.000Z',
      });
    });

    it('the wall time just after the overlap has only one instant', () => {
      expect(localToInstant('2026-11-01T02:00', 'America/New_York')).toEqual({
        ok: true,
        instant: '2026-11-01T07:00:00.000Z',
      });
    });
  });

  it.each([
    '2026-12-01T15:30:00Z',
    '2026-12-01T15:30:00z',
    '2026-12-01T15:30:00-07:00',
    '2026-12-01T15:30+0530',
    '2026-12-01T15:30:00.000Z',
    '2026-12-01T15:30-07',
  ])('rejects %j because it carries an offset', (text) => {
    expect(localToInstant(text, 'America/Denver')).toEqual({
      ok: false,
      reason: 'local date-time must not carry an offset or Z',
    });
  });

  it.each([
    '2026-02-30T10:00',
    '2026-13-01T10:00',
    '2026-12-01T24:00',
    '2026-12-01T23:60',
    '2026-12-01T23:59:60',
  ])('rejects the impossible date or time %j', (text) => {
    expect(localToInstant(text, 'America/Denver')).toEqual({
      ok: false,
      reason: `invalid date or time: ${text}`,
    });
  });

  it.each([
    '',
    '2026-12-01',
    '2026-12-01 15:30',
    '20261201T1530',
    '2026-12-01T15',
    '2026-12-01T15:30:00.1234',
  ])('rejects the malformed text %j', (text) => {
    expect(localToInstant(text, 'America/Denver')).toEqual({
      ok: false,
      reason: 'expected a local date-time YYYY-MM-DDTHH:MM[:SS[.sss]]',
    });
  });

  it.each(['Mars/Olympus', 'local'])('rejects the zone %j', (zone) => {
    expect(localToInstant('2026-12-01T15:30', zone)).toEqual({
      ok: false,
      reason: `unknown time zone: ${zone}`,
    });
  });
});

describe('formatInstantInZone', () => {
  it('writes the instant with the zone offset in winter', () => {
    expect(formatInstantInZone('2026-12-01T22:30:00Z', 'America/Denver')).toBe(
      '2026-12-01T15:30:00.000-07:00',
    );
  });

  it('writes the instant with the zone offset in summer', () => {
    expect(formatInstantInZone('2026-07-01T21:30:00.000Z', 'America/Denver')).toBe(
      '2026-07-01T15:30:00.000-06:00',
    );
  });

  it('writes half-hour and fixed offsets', () => {
    expect(formatInstantInZone('2026-12-01T22:30:00Z', 'UTC+5:30')).toBe('2026-12-02T04:00:00.000+05:30');
    expect(formatInstantInZone('2026-12-01T22:30:00Z', 'Asia/Kolkata')).toBe('2026-12-02T04:00:00.000+05:30');
    expect(formatInstantInZone('2026-12-01T22:30:00Z', 'Australia/Lord_Howe')).toBe(
      '2026-12-02T09:30:00.000+11:00',
    );
  });

  it('writes Z for the fixed UTC zone and +00:00 for Etc/UTC (luxon behaviour)', () => {
    expect(formatInstantInZone('2026-12-01T22:30:00Z', 'UTC')).toBe('2026-12-01T22:30:00.000Z');
    expect(formatInstantInZone('2026-12-01T22:30:00Z', 'Etc/UTC')).toBe('2026-12-01T22:30:00.000+00:00');
  });

  it('accepts an instant written with another offset', () => {
    expect(formatInstantInZone('2026-12-02T04:00:00+05:30', 'America/Denver')).toBe(
      '2026-12-01T15:30:00.000-07:00',
    );
  });

  it('shows both New York 01:30s on the fall-back day', () => {
    expect(formatInstantInZone('2026-11-01T05:30:00Z', 'America/New_York')).toBe(
      '2026-11-01T01:30:00.000-04:00',
    );
    expect(formatInstantInZone('2026-11-01T06:30:00Z', 'America/New_York')).toBe(
      '2026-11-01T01:30:00.000-05:00',
    );
  });

  it('round-trips an existing wall time through localToInstant', () => {
    const converted = localToInstant('2026-06-15T09:05:00', 'Europe/London');
    expect(converted.ok && formatInstantInZone(converted.instant, 'Europe/London')).toBe(
      '2026-06-15T09:05:00.000+01:00',
    );
  });

  it.each(['2026-12-01T22:30:00', 'garbage', ''])('throws RangeError for the instant %j', (instant) => {
    expect(() => formatInstantInZone(instant, 'America/Denver')).toThrow(RangeError);
  });

  it('throws RangeError for an unknown zone', () => {
    expect(() => formatInstantInZone('2026-12-01T22:30:00Z', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('offset transitions', () => {
  const newYork = resolveZone('America/New_York')!;
  const lordHowe = resolveZone('Australia/Lord_Howe')!;

  it('finds the New York spring-forward instant going forward', () => {
    expect(
      firstOffsetChangeAfter(newYork, Date.parse('2026-03-07T12:00:00Z'), Date.parse('2026-03-09T00:00:00Z')),
    ).toBe(Date.parse('2026-03-08T07:00:00Z'));
  });

  it('finds a change that falls exactly on the end of the range', () => {
    expect(
      firstOffsetChangeAfter(newYork, Date.parse('2026-03-08T06:59:30Z'), Date.parse('2026-03-08T07:00:00Z')),
    ).toBe(Date.parse('2026-03-08T07:00:00Z'));
  });

  it('reports no change inside a stretch of constant offset', () => {
    expect(
      firstOffsetChangeAfter(newYork, Date.parse('2026-06-01T00:00:00Z'), Date.parse('2026-06-05T00:00:00Z')),
    ).toBeUndefined();
  });

  it('finds the start of the Lord Howe summer-time stretch going backward', () => {
    expect(
      offsetStretchStart(lordHowe, Date.parse('2026-10-04T12:00:00Z'), Date.parse('2026-10-02T00:00:00Z')),
    ).toBe(Date.parse('2026-10-03T15:30:00Z'));
  });

  it('reports no stretch start when the offset already held at the lower bound', () => {
    expect(
      offsetStretchStart(lordHowe, Date.parse('2026-10-04T12:00:00Z'), Date.parse('2026-10-03T15:30:00Z')),
    ).toBeUndefined();
  });
});
