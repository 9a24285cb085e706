/**
 * When (timing.ts): the appointment start from SCH-11, TQ1-7 or AIS-4, HL7 timestamps with and without an
 * offset, the zone texts show, and cancellations that carry no time at all.
 */
import { readHl7Timestamp } from '../../../../src/domain/hl7/timing';
import { EPIC_S12, context, cr, expectOk, expectRefused, map, withSegment, withTrigger } from './fixtures';

describe('appointment start: SCH-11, else TQ1-7, else AIS-4', () => {
  const sch = (timing: string): string => `SCH||A1|||||||30|MIN|${timing}`;

  test('SCH-11 wins over TQ1-7 and AIS-4', () => {
    const segments = withSegment(EPIC_S12, 'TQ1', 'TQ1|1||||||20261205080000');
    expect(expectOk(map(cr(segments))).event.localStart).toBe('2026-12-04T09:30:00');
  });

  test('TQ1-7 when SCH-11 is empty (v2.5 deprecated SCH-11)', () => {
    const segments = withSegment(withSegment(EPIC_S12, 'SCH', sch('')), 'TQ1', 'TQ1|1||||||202612051015');
    expect(expectOk(map(cr(segments))).event.localStart).toBe('2026-12-05T10:15:00');
  });

  test('the first valued AIS-4 when there is no timing at all', () => {
    const segments = [
      ...withSegment(
        withSegment(withSegment(EPIC_S12, 'SCH', sch('')), 'TQ1', null),
        'AIS',
        'AIS|1||LAB^Lab draw',
      ),
      'AIS|2||CONS^Consult|20261206131500',
      'AIS|3||CONS^Consult|20261206140000',
    ];
    expect(expectOk(map(cr(segments))).event.localStart).toBe('2026-12-06T13:15:00');
  });

  test('a TS with its degree-of-precision part still reads (v2.5 SCH-11.4 subcomponents, AIS-4 components)', () => {
    const inTiming = withSegment(EPIC_S12, 'SCH', sch('^^30^20261204093000&S'));
    expect(expectOk(map(cr(inTiming))).event.localStart).toBe('2026-12-04T09:30:00');
    const inAis = withSegment(
      withSegment(withSegment(EPIC_S12, 'SCH', sch('')), 'TQ1', null),
      'AIS',
      'AIS|1||X|20261204093000^S',
    );
    expect(expectOk(map(cr(inAis))).event.localStart).toBe('2026-12-04T09:30:00');
  });

  test('no start anywhere is an AE naming SCH-11', () => {
    const segments = withSegment(
      withSegment(withSegment(EPIC_S12, 'SCH', sch('')), 'TQ1', null),
      'AIS',
      'AIS|1||X',
    );
    const refused = expectRefused(map(cr(segments)));
    expect(refused.code).toBe('AE');
    expect(refused.errors).toEqual([
      expect.objectContaining({ segment: 'SCH', field: 11, hl7ErrorCode: 101 }),
    ]);
  });

  test('a malformed start is reported at the field that carried it, not silently replaced by a later one', () => {
    const segments = withSegment(EPIC_S12, 'SCH', sch('^^30^2026-12-04 09:30'));
    const refused = expectRefused(map(cr(segments)));
    expect(refused.errors).toEqual([
      expect.objectContaining({ segment: 'SCH', field: 11, hl7ErrorCode: 102 }),
    ]);
  });
});

describe('time zones', () => {
  test('a time without an offset is wall-clock time in DEFAULT_TIMEZONE', () => {
    const event = expectOk(map(cr(EPIC_S12), { defaultTimezone: 'America/New_York' })).event;
    expect(event).toMatchObject({
      timeZone: 'America/New_York',
      localStart: '2026-12-04T09:30:00',
      start: '2026-12-04T14:30:00.000Z',
    });
  });

  test('an offset that agrees with DEFAULT_TIMEZONE keeps the IANA zone (DST-aware)', () => {
    const segments = withSegment(EPIC_S12, 'SCH', 'SCH||A1|||||||||^^30^20261204093000-0700');
    expect(expectOk(map(cr(segments))).event).toMatchObject({
      timeZone: 'America/Denver',
      localStart: '2026-12-04T09:30:00',
      start: '2026-12-04T16:30:00.000Z',
    });
  });

  test('an offset that disagrees with DEFAULT_TIMEZONE becomes a fixed-offset zone showing the sent clock time', () => {
    const segments = withSegment(EPIC_S12, 'SCH', 'SCH||A1|||||||||^^30^20261204093000-0500');
    expect(expectOk(map(cr(segments))).event).toMatchObject({
      timeZone: 'UTC-5',
      localStart: '2026-12-04T09:30:00',
      start: '2026-12-04T14:30:00.000Z',
    });
  });

  test('in the fall-back hour the offset tells the two 01:30s apart', () => {
    // 2026-11-01: Denver goes from MDT (-0600) to MST (-0700) at 02:00.
    const first = withSegment(EPIC_S12, 'SCH', 'SCH||A1|||||||||^^30^202611010130-0600');
    const second = withSegment(EPIC_S12, 'SCH', 'SCH||A1|||||||||^^30^202611010130-0700');
    expect(expectOk(map(cr(first))).event).toMatchObject({
      timeZone: 'America/Denver',
      start: '2026-11-01T07:30:00.000Z',
    });
    expect(expectOk(map(cr(second))).event).toMatchObject({
      timeZone: 'America/Denver',
      start: '2026-11-01T08:30:00.000Z',
    });
  });

  test('MSH-7 with an offset is that instant; without one it is read in DEFAULT_TIMEZONE', () => {
    const withOffset = EPIC_S12.map((s) => s.replace('|20261201083000|', '|20261201083000.25+0100|'));
    expect(expectOk(map(cr(withOffset))).event.eventAt).toBe('2026-12-01T07:30:00.250Z');
    expect(expectOk(map(cr(EPIC_S12))).event.eventAt).toBe('2026-12-01T15:30:00.000Z');
  });

  test('no MSH-7 means the receive time orders the event', () => {
    const noTime = EPIC_S12.map((s) => s.replace('|20261201083000|', '||'));
    expect(expectOk(map(cr(noTime))).event.eventAt).toBe(context.receivedAt);
  });

  test.each([
    ['20261204', 'date only'],
    ['202612040930+25', 'bad offset'],
    ['202613040930', 'month 13'],
    ['202612042430', 'hour 24'],
    ['20261204093000+1500', 'offset beyond ±14h'],
  ])('readHl7Timestamp refuses %s (%s)', (text) => {
    expect(readHl7Timestamp(text, 'UTC').ok).toBe(false);
  });
});

describe('cancellations and no-shows without timing (issue 10.11)', () => {
  /** EPIC_S12 as `trigger` with no start anywhere: SCH-11 empty, no TQ1, AIS without AIS-4. */
  const untimed = (trigger: string): string =>
    cr(
      withSegment(
        withSegment(withSegment(withTrigger(EPIC_S12, trigger), 'SCH', 'SCH||4567890^EPIC'), 'TQ1', null),
        'AIS',
        'AIS|1|A|99213^OFFICE VISIT^CPT',
      ),
    );

  test.each([
    ['S15', 'CANCELED'],
    ['S17', 'CANCELED'],
    ['S26', 'NOSHOWED'],
  ])('%s without timing maps to %s without a time (the workflow has it)', (trigger, eventType) => {
    const { event } = expectOk(map(untimed(trigger)));
    expect(event).toMatchObject({ eventType, appointmentId: '4567890' });
    expect(event.start).toBeUndefined();
    expect(event.timeZone).toBeUndefined();
  });

  test.each(['S12', 'S13', 'S14'])('%s without timing is still refused AE at SCH-11', (trigger) => {
    const refused = expectRefused(map(untimed(trigger)));
    expect(refused.code).toBe('AE');
    expect(refused.errors).toEqual([
      expect.objectContaining({ segment: 'SCH', field: 11, hl7ErrorCode: 101 }),
    ]);
  });

  test('a cancellation with timing keeps it', () => {
    const timed = cr(withTrigger(EPIC_S12, 'S15'));
    expect(expectOk(map(timed)).event.localStart).toBe('2026-12-04T09:30:00');
  });

  test('a cancellation with an unreadable start is refused (a bad time is not an absent one)', () => {
    const bad = cr(
      withSegment(withTrigger(EPIC_S12, 'S15'), 'SCH', 'SCH||4567890^EPIC|||||||30|MIN|^^30^2026AB'),
    );
    expect(expectRefused(map(bad)).code).toBe('AE');
  });
});
