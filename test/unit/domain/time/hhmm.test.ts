import { hhmmToMinutes, parseHhmm, parseTimeOfDay } from '../../../../src/domain/time/hhmm';

describe('parseHhmm', () => {
  it.each([
    ['0000', 0, 0],
    ['0130', 1, 30],
    ['2400', 24, 0],
    ['4800', 48, 0],
    ['9959', 99, 59],
    ['0059', 0, 59],
  ])('reads %s as %i h %i min', (text, hours, minutes) => {
    expect(parseHhmm(text)).toEqual({ hours, minutes });
  });

  it('allows hours beyond a day because reminder offsets can be 48 h or more', () => {
    expect(parseHhmm('7200')).toEqual({ hours: 72, minutes: 0 });
  });

  it.each(['0060', '0099', '2460'])('rejects minutes of 60 or more: %s', (text) => {
    expect(parseHhmm(text)).toBeUndefined();
  });

  it.each([
    '',
    '000',
    '00000',
    '12:00',
    '1a00',
    ' 1200',
    '1200 ',
    '+120',
    '-120',
    '12.0',
    '１２００',
    '0x10',
  ])('rejects anything but exactly four ASCII digits: %j', (text) => {
    expect(parseHhmm(text)).toBeUndefined();
  });
});

describe('hhmmToMinutes', () => {
  it('counts hours as 60 minutes each', () => {
    expect(hhmmToMinutes({ hours: 48, minutes: 0 })).toBe(2880);
    expect(hhmmToMinutes({ hours: 1, minutes: 30 })).toBe(90);
    expect(hhmmToMinutes({ hours: 0, minutes: 0 })).toBe(0);
  });

  it('round-trips every valid HHMM text', () => {
    for (let hours = 0; hours <= 99; hours++) {
      for (let minutes = 0; minutes < 60; minutes++) {
        const text = `${String(hours).padStart(2, '0')}${String(minutes).padStart(2, '0')}`;
        expect(hhmmToMinutes(parseHhmm(text)!)).toBe(hours * 60 + minutes);
      }
    }
  });
});

describe('parseTimeOfDay', () => {
  it('reads midnight at the start of the day as 0', () => {
    expect(parseTimeOfDay('0000')).toBe(0);
  });

  it('reads 0800 as 480 and 2000 as 1200', () => {
    expect(parseTimeOfDay('0800')).toBe(480);
    expect(parseTimeOfDay('2000')).toBe(1200);
  });

  it('reads 2359 as the last minute of the day', () => {
    expect(parseTimeOfDay('2359')).toBe(1439);
  });

  it('reads 2400 as end of day (1440) so a window can run until midnight', () => {
    expect(parseTimeOfDay('2400')).toBe(1440);
  });

  it.each(['2401', '2459', '2500', '4800', '9959'])('rejects times after 2400: %s', (text) => {
    expect(parseTimeOfDay(text)).toBeUndefined();
  });

  it.each(['0060', '2360', '12:00', '800', 'abcd', ''])('rejects malformed text: %j', (text) => {
    expect(parseTimeOfDay(text)).toBeUndefined();
  });
});
