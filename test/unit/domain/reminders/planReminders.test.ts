import {
  nextPendingReminder,
  planReminders,
  type PlannedReminder,
  type ReminderPolicy,
} from '../../../../src/domain/reminders/planReminders';
import { formatInstantInZone } from '../../../../src/domain/time/zone';

// 48 h and 24 h before, texting only 08:00-20:00 local.
const standardPolicy: ReminderPolicy = {
  firstOffsetMinutes: 48 * 60,
  secondOffsetMinutes: 24 * 60,
  windowStartMinutes: 8 * 60,
  windowFinishMinutes: 20 * 60,
};

function plan(
  start: string,
  plannedAt: string,
  policy: Partial<ReminderPolicy> = {},
  zone = 'America/Denver',
) {
  return planReminders({ start, zone, plannedAt, policy: { ...standardPolicy, ...policy } });
}

function pending(kind: 'FIRST' | 'SECOND', dueAt: string, sendAt: string): PlannedReminder {
  return { kind, dueAt, sendAt, status: 'PENDING' };
}

function skipped(
  kind: 'FIRST' | 'SECOND',
  dueAt: string,
  skipReason: PlannedReminder['skipReason'],
): PlannedReminder {
  return { kind, dueAt, sendAt: null, status: 'SKIPPED', skipReason };
}

// America/Denver is MST (-07:00) in December: 09:30 local = 16:30Z.
describe('planReminders in a plain week (America/Denver, December)', () => {
  it('booking 3 days ahead reminds at 48 h and 24 h', () => {
    expect(plan('2026-12-04T16:30:00Z', '2026-12-01T17:00:00Z')).toEqual([
      pending('FIRST', '2026-12-02T16:30:00.000Z', '2026-12-02T16:30:00.000Z'),
      pending('SECOND', '2026-12-03T16:30:00.000Z', '2026-12-03T16:30:00.000Z'),
    ]);
  });

  it('reads the appointment start with any offset, not just Z', () => {
    expect(plan('2026-12-04T09:30:00-07:00', '2026-12-01T10:00:00-07:00')).toEqual(
      plan('2026-12-04T16:30:00Z', '2026-12-01T17:00:00Z'),
    );
  });

  it('a due time before the window opening moves to the opening', () => {
    // 07:30 local appointment: both due times are 07:30, so both move to 08:00 the same day.
    expect(plan('2026-12-04T14:30:00Z', '2026-12-01T17:00:00Z')).toEqual([
      pending('FIRST', '2026-12-02T14:30:00.000Z', '2026-12-02T15:00:00.000Z'),
      pending('SECOND', '2026-12-03T14:30:00.000Z', '2026-12-03T15:00:00.000Z'),
    ]);
  });

  it('a due time after the window closes moves to the next opening', () => {
    // 21:00 local appointment: due 21:00 two days before moves to 08:00 the next morning.
    const [first] = plan('2026-12-05T04:00:00Z', '2026-12-01T17:00:00Z');
    expect(first).toEqual(pending('FIRST', '2026-12-03T04:00:00.000Z', '2026-12-03T15:00:00.000Z'));
  });

  it('start is inclusive: a due time at exactly 08:00 stays', () => {
    const [first] = plan('2026-12-04T15:00:00Z', '2026-12-01T17:00:00Z');
    expect(first).toEqual(pending('FIRST', '2026-12-02T15:00:00.000Z', '2026-12-02T15:00:00.000Z'));
  });

  it('finish is exclusive: a due time at 20:00 with window 0800-2000 moves', () => {
    const [first] = plan('2026-12-05T03:00:00Z', '2026-12-01T17:00:00Z');
    expect(first).toEqual(pending('FIRST', '2026-12-03T03:00:00.000Z', '2026-12-03T15:00:00.000Z'));
  });

  it('a due time at 19:59 with window 0800-2000 stays', () => {
    const [first] = plan('2026-12-05T02:59:00Z', '2026-12-01T17:00:00Z');
    expect(first).toEqual(pending('FIRST', '2026-12-03T02:59:00.000Z', '2026-12-03T02:59:00.000Z'));
  });

  it('a due time at 19:59:59 is still inside the 19:59 minute and stays', () => {
    const [first] = plan('2026-12-05T02:59:59Z', '2026-12-01T17:00:00Z');
    expect(first?.sendAt).toBe('2026-12-03T02:59:59.000Z');
  });

  it('2400 finish allows 23:59', () => {
    const [first] = plan('2026-12-05T06:59:00Z', '2026-12-01T17:00:00Z', { windowFinishMinutes: 1440 });
    expect(first).toEqual(pending('FIRST', '2026-12-03T06:59:00.000Z', '2026-12-03T06:59:00.000Z'));
  });

  it('2400 finish still closes at midnight: a due time at 00:00 moves to 08:00', () => {
    const [first] = plan('2026-12-05T07:00:00Z', '2026-12-01T17:00:00Z', { windowFinishMinutes: 1440 });
    expect(first).toEqual(pending('FIRST', '2026-12-03T07:00:00.000Z', '2026-12-03T15:00:00.000Z'));
  });

  it('a 0000-2400 window never moves a reminder', () => {
    expect(
      plan('2026-12-05T09:17:00Z', '2026-12-01T17:00:00Z', {
        windowStartMinutes: 0,
        windowFinishMinutes: 1440,
      }),
    ).toEqual([
      pending('FIRST', '2026-12-03T09:17:00.000Z', '2026-12-03T09:17:00.000Z'),
      pending('SECOND', '2026-12-04T09:17:00.000Z', '2026-12-04T09:17:00.000Z'),
    ]);
  });

  it('SECOND=0000 plans one reminder', () => {
    expect(plan('2026-12-04T16:30:00Z', '2026-12-01T17:00:00Z', { secondOffsetMinutes: 0 })).toEqual([
      pending('FIRST', '2026-12-02T16:30:00.000Z', '2026-12-02T16:30:00.000Z'),
    ]);
  });

  it('two reminders landing on the same instant become one', () => {
    // 10:00 local appointment, 12 h and 10 h before: 22:00 and 00:00 both move to 08:00.
    expect(
      plan('2026-12-04T17:00:00Z', '2026-12-01T17:00:00Z', {
        firstOffsetMinutes: 720,
        secondOffsetMinutes: 600,
      }),
    ).toEqual([
      pending('FIRST', '2026-12-04T05:00:00.000Z', '2026-12-04T15:00:00.000Z'),
      skipped('SECOND', '2026-12-04T07:00:00.000Z', 'SAME_TIME_AS_FIRST'),
    ]);
  });

  it('equal offsets give one reminder', () => {
    const [, second] = plan('2026-12-04T16:30:00Z', '2026-12-01T17:00:00Z', { secondOffsetMinutes: 48 * 60 });
    expect(second).toEqual(skipped('SECOND', '2026-12-02T16:30:00.000Z', 'SAME_TIME_AS_FIRST'));
  });

  it('late booking skips the passed reminder', () => {
    expect(plan('2026-12-04T16:30:00Z', '2026-12-03T12:00:00Z')).toEqual([
      skipped('FIRST', '2026-12-02T16:30:00.000Z', 'DUE_BEFORE_BOOKING'),
      pending('SECOND', '2026-12-03T16:30:00.000Z', '2026-12-03T16:30:00.000Z'),
    ]);
  });

  it('a reminder due exactly when the booking is handled is skipped', () => {
    const [first] = plan('2026-12-04T16:30:00Z', '2026-12-02T16:30:00Z');
    expect(first).toEqual(skipped('FIRST', '2026-12-02T16:30:00.000Z', 'DUE_BEFORE_BOOKING'));
  });

  it('a reminder due one millisecond after the booking is sent', () => {
    const [first] = plan('2026-12-04T16:30:00Z', '2026-12-02T16:29:59.999Z');
    expect(first).toEqual(pending('FIRST', '2026-12-02T16:30:00.000Z', '2026-12-02T16:30:00.000Z'));
  });

  it('a booking after the appointment started skips every reminder', () => {
    expect(plan('2026-12-04T16:30:00Z', '2026-12-05T00:00:00Z')).toEqual([
      skipped('FIRST', '2026-12-02T16:30:00.000Z', 'DUE_BEFORE_BOOKING'),
      skipped('SECOND', '2026-12-03T16:30:00.000Z', 'DUE_BEFORE_BOOKING'),
    ]);
  });

  it('keeps milliseconds of the appointment start in dueAt', () => {
    const [first] = plan('2026-12-04T16:30:00.250Z', '2026-12-01T17:00:00Z');
    expect(first?.dueAt).toBe('2026-12-02T16:30:00.250Z');
  });
});

describe('moving a reminder back before an early appointment', () => {
  // 07:30 local appointment with a 2 h reminder: due 05:30, but the window opens only at 08:00.
  const earlyStart = '2026-12-04T14:30:00Z';
  const twoHours = { secondOffsetMinutes: 120 };

  it('an early-morning appointment moves the reminder back to 19:59 the evening before', () => {
    const [, second] = plan(earlyStart, '2026-12-01T17:00:00Z', twoHours);
    expect(second).toEqual(pending('SECOND', '2026-12-04T12:30:00.000Z', '2026-12-04T02:59:00.000Z'));
    expect(formatInstantInZone(second!.sendAt!, 'America/Denver')).toBe('2026-12-03T19:59:00.000-07:00');
  });

  it('an appointment at exactly the window opening is not after it, so the reminder moves back', () => {
    const [, second] = plan('2026-12-04T15:00:00Z', '2026-12-01T17:00:00Z', twoHours);
    expect(second).toEqual(pending('SECOND', '2026-12-04T13:00:00.000Z', '2026-12-04T02:59:00.000Z'));
  });

  it('an appointment 30 s after the window opening gets the reminder at the opening', () => {
    const [, second] = plan('2026-12-04T15:00:30Z', '2026-12-01T17:00:00Z', twoHours);
    expect(second).toEqual(pending('SECOND', '2026-12-04T13:00:30.000Z', '2026-12-04T15:00:00.000Z'));
  });

  it('a booking earlier that evening still gets the moved-back reminder', () => {
    const [, second] = plan(earlyStart, '2026-12-04T01:00:00Z', twoHours);
    expect(second?.sendAt).toBe('2026-12-04T02:59:00.000Z');
  });

  it('a booking just before the last window minute still gets it', () => {
    const [, second] = plan(earlyStart, '2026-12-04T02:58:59.999Z', twoHours);
    expect(second?.sendAt).toBe('2026-12-04T02:59:00.000Z');
  });

  it('a booking during the last window minute skips with SEND_TIME_PASSED', () => {
    const [, atMinute] = plan(earlyStart, '2026-12-04T02:59:00Z', twoHours);
    const [, inMinute] = plan(earlyStart, '2026-12-04T02:59:30Z', twoHours);
    expect(atMinute).toEqual(skipped('SECOND', '2026-12-04T12:30:00.000Z', 'SEND_TIME_PASSED'));
    expect(inMinute).toEqual(skipped('SECOND', '2026-12-04T12:30:00.000Z', 'SEND_TIME_PASSED'));
  });

  it('a booking after the window closed for an early appointment next morning skips with NO_WINDOW_BEFORE_APPOINTMENT', () => {
    expect(plan(earlyStart, '2026-12-04T04:00:00Z', twoHours)).toEqual([
      skipped('FIRST', '2026-12-02T14:30:00.000Z', 'DUE_BEFORE_BOOKING'),
      skipped('SECOND', '2026-12-04T12:30:00.000Z', 'NO_WINDOW_BEFORE_APPOINTMENT'),
    ]);
  });

  it('a booking exactly when the window closes has no window left', () => {
    const [, second] = plan(earlyStart, '2026-12-04T03:00:00Z', twoHours);
    expect(second?.skipReason).toBe('NO_WINDOW_BEFORE_APPOINTMENT');
  });

  it('moving back across the New York fall-back transition lands on 19:59 EDT', () => {
    // Sunday 1 November 2026 07:30 EST; due 05:30 EST; previous in-window minute is Saturday 19:59 EDT.
    const [, second] = plan('2026-11-01T12:30:00Z', '2026-10-25T12:00:00Z', twoHours, 'America/New_York');
    expect(second).toEqual(pending('SECOND', '2026-11-01T10:30:00.000Z', '2026-10-31T23:59:00.000Z'));
  });

  it('keeps FIRST before a moved-back SECOND', () => {
    const [first, second] = plan(earlyStart, '2026-12-01T17:00:00Z', twoHours);
    expect(first?.sendAt).toBe('2026-12-02T15:00:00.000Z');
    expect(Date.parse(first!.sendAt!)).toBeLessThan(Date.parse(second!.sendAt!));
  });
});

describe('daylight saving time', () => {
  it('DST spring-forward: 48 h before a Monday 09:00 appointment in America/New_York', () => {
    // Monday 9 March 2026 09:00 EDT. 48 real hours earlier is Saturday 08:00 EST, not 09:00.
    const reminders = plan('2026-03-09T13:00:00Z', '2026-03-01T12:00:00Z', {}, 'America/New_York');
    expect(reminders).toEqual([
      pending('FIRST', '2026-03-07T13:00:00.000Z', '2026-03-07T13:00:00.000Z'),
      pending('SECOND', '2026-03-08T13:00:00.000Z', '2026-03-08T13:00:00.000Z'),
    ]);
    expect(formatInstantInZone(reminders[0]!.sendAt!, 'America/New_York')).toBe(
      '2026-03-07T08:00:00.000-05:00',
    );
    expect(formatInstantInZone(reminders[1]!.sendAt!, 'America/New_York')).toBe(
      '2026-03-08T09:00:00.000-04:00',
    );
  });

  it('DST spring-forward: the one-hour shift can push the due time out of the window', () => {
    const [first] = plan(
      '2026-03-09T13:00:00Z',
      '2026-03-01T12:00:00Z',
      { windowStartMinutes: 510 },
      'America/New_York',
    );
    expect(first).toEqual(pending('FIRST', '2026-03-07T13:00:00.000Z', '2026-03-07T13:30:00.000Z'));
  });

  it('DST fall-back: 24 h before a Monday 08:00 appointment in America/New_York is Sunday 08:00 EST', () => {
    const [, second] = plan('2026-11-02T13:00:00Z', '2026-10-25T12:00:00Z', {}, 'America/New_York');
    expect(second).toEqual(pending('SECOND', '2026-11-01T13:00:00.000Z', '2026-11-01T13:00:00.000Z'));
    expect(formatInstantInZone(second!.sendAt!, 'America/New_York')).toBe('2026-11-01T08:00:00.000-05:00');
  });

  it('DST fall-back: the next opening after the transition uses the winter offset', () => {
    // Due Saturday 21:00 EDT; the next opening is Sunday 08:00 EST, after the clocks went back.
    const [first] = plan('2026-11-03T01:00:00Z', '2026-10-25T12:00:00Z', {}, 'America/New_York');
    expect(first).toEqual(pending('FIRST', '2026-11-01T01:00:00.000Z', '2026-11-01T13:00:00.000Z'));
  });

  it('a window opening inside the spring-forward gap opens when the clock jumps past it', () => {
    // Window 02:30-04:00 on 8 March 2026: clocks jump 02:00 EST → 03:00 EDT, so the window opens at 03:00 EDT.
    const [first] = plan(
      '2026-03-08T09:00:00Z',
      '2026-03-01T12:00:00Z',
      { firstOffsetMinutes: 240, secondOffsetMinutes: 0, windowStartMinutes: 150, windowFinishMinutes: 240 },
      'America/New_York',
    );
    expect(first).toEqual(pending('FIRST', '2026-03-08T05:00:00.000Z', '2026-03-08T07:00:00.000Z'));
  });

  it('a window swallowed by the spring-forward gap moves to the next day', () => {
    // Window 02:00-03:00 does not exist on 8 March 2026 in New York; next is Monday 02:00 EDT.
    const [first] = plan(
      '2026-03-09T12:00:00Z',
      '2026-03-01T12:00:00Z',
      {
        firstOffsetMinutes: 30 * 60,
        secondOffsetMinutes: 0,
        windowStartMinutes: 120,
        windowFinishMinutes: 180,
      },
      'America/New_York',
    );
    expect(first).toEqual(pending('FIRST', '2026-03-08T06:00:00.000Z', '2026-03-09T06:00:00.000Z'));
  });

  it('a window inside the fall-back overlap opens again on its second pass', () => {
    // Window 01:00-01:30; due 01:45 EDT; the clock shows 01:00 again (EST) fifteen minutes later.
    const [first] = plan(
      '2026-11-01T12:00:00Z',
      '2026-10-25T12:00:00Z',
      { firstOffsetMinutes: 375, secondOffsetMinutes: 0, windowStartMinutes: 60, windowFinishMinutes: 90 },
      'America/New_York',
    );
    expect(first).toEqual(pending('FIRST', '2026-11-01T05:45:00.000Z', '2026-11-01T06:00:00.000Z'));
  });

  it('Australia/Lord_Howe: 48 h before crosses the 30-minute spring-forward', () => {
    // Monday 5 October 2026 09:00 (+11:00); 48 h earlier is Saturday 08:30 (+10:30).
    const [first] = plan('2026-10-04T22:00:00Z', '2026-09-28T00:00:00Z', {}, 'Australia/Lord_Howe');
    expect(first).toEqual(pending('FIRST', '2026-10-02T22:00:00.000Z', '2026-10-02T22:00:00.000Z'));
    expect(formatInstantInZone(first!.sendAt!, 'Australia/Lord_Howe')).toBe('2026-10-03T08:30:00.000+10:30');
  });

  it('Europe/London: an early Monday appointment after the spring-forward moves SECOND to Sunday 19:59 BST', () => {
    // Monday 30 March 2026 07:00 BST = 06:00Z; 2 h reminder due 05:00 BST; last window minute is Sunday 19:59 BST.
    const [, second] = plan(
      '2026-03-30T06:00:00Z',
      '2026-03-20T12:00:00Z',
      { secondOffsetMinutes: 120 },
      'Europe/London',
    );
    expect(second).toEqual(pending('SECOND', '2026-03-30T04:00:00.000Z', '2026-03-29T18:59:00.000Z'));
  });
});

describe('the window applies in the patient zone', () => {
  it('Asia/Kolkata: 07:30 IST due time moves to 08:00 IST', () => {
    // Appointment Friday 4 December 2026 07:30 IST = 02:00Z.
    const [first] = plan('2026-12-04T02:00:00Z', '2026-12-01T00:00:00Z', {}, 'Asia/Kolkata');
    expect(first).toEqual(pending('FIRST', '2026-12-02T02:00:00.000Z', '2026-12-02T02:30:00.000Z'));
  });

  it('a fixed offset zone UTC+5:30 behaves like Asia/Kolkata', () => {
    expect(plan('2026-12-04T02:00:00Z', '2026-12-01T00:00:00Z', {}, 'UTC+5:30')).toEqual(
      plan('2026-12-04T02:00:00Z', '2026-12-01T00:00:00Z', {}, 'Asia/Kolkata'),
    );
  });

  it('Pacific/Chatham (+13:45 in summer): 07:30 local due time moves to 08:00 local', () => {
    // Appointment Friday 4 December 2026 07:30 +13:45 = 3 December 17:45Z.
    const [first] = plan('2026-12-03T17:45:00Z', '2026-11-28T00:00:00Z', {}, 'Pacific/Chatham');
    expect(first).toEqual(pending('FIRST', '2026-12-01T17:45:00.000Z', '2026-12-01T18:15:00.000Z'));
    expect(formatInstantInZone(first!.sendAt!, 'Pacific/Chatham')).toBe('2026-12-02T08:00:00.000+13:45');
  });

  it('the same UTC appointment is treated differently for a patient in another zone', () => {
    const denver = plan('2026-12-04T14:30:00Z', '2026-12-01T00:00:00Z', {}, 'America/Denver');
    const utc = plan('2026-12-04T14:30:00Z', '2026-12-01T00:00:00Z', {}, 'UTC');
    expect(denver[0]?.sendAt).toBe('2026-12-02T15:00:00.000Z');
    expect(utc[0]?.sendAt).toBe('2026-12-02T14:30:00.000Z');
  });
});

describe('planReminders input validation', () => {
  const start = '2026-12-04T16:30:00Z';
  const plannedAt = '2026-12-01T17:00:00Z';

  it.each(['Mars/Olympus', 'local', ''])('throws RangeError for the zone %j', (zone) => {
    expect(() => plan(start, plannedAt, {}, zone)).toThrow(RangeError);
  });

  it.each(['2026-12-04T16:30:00', 'tomorrow', '2026-02-30T10:00:00Z'])(
    'throws RangeError for the start %j',
    (text) => {
      expect(() => plan(text, plannedAt)).toThrow(RangeError);
    },
  );

  it('throws RangeError for a plannedAt without offset', () => {
    expect(() => plan(start, '2026-12-01T17:00:00')).toThrow(RangeError);
  });

  it.each<[string, Partial<ReminderPolicy>]>([
    ['FIRST offset 0', { firstOffsetMinutes: 0 }],
    ['fractional FIRST offset', { firstOffsetMinutes: 1.5 }],
    ['negative SECOND offset', { secondOffsetMinutes: -1 }],
    ['SECOND due before FIRST', { firstOffsetMinutes: 60, secondOffsetMinutes: 120 }],
    ['window start after finish', { windowStartMinutes: 1200, windowFinishMinutes: 480 }],
    ['empty window', { windowStartMinutes: 480, windowFinishMinutes: 480 }],
    ['window start at 1440', { windowStartMinutes: 1440, windowFinishMinutes: 1440 }],
    ['window finish after midnight', { windowFinishMinutes: 1441 }],
    ['NaN window start', { windowStartMinutes: Number.NaN }],
  ])('throws RangeError for a policy with %s', (_name, policy) => {
    expect(() => plan(start, plannedAt, policy)).toThrow(RangeError);
  });

  it('accepts the widest window 0000-2400 and a one-minute window 2359-2400', () => {
    expect(() => plan(start, plannedAt, { windowStartMinutes: 0, windowFinishMinutes: 1440 })).not.toThrow();
    expect(() =>
      plan(start, plannedAt, { windowStartMinutes: 1439, windowFinishMinutes: 1440 }),
    ).not.toThrow();
  });
});

describe('nextPendingReminder', () => {
  const first = pending('FIRST', '2026-12-02T16:30:00.000Z', '2026-12-02T16:30:00.000Z');
  const second = pending('SECOND', '2026-12-03T16:30:00.000Z', '2026-12-03T16:30:00.000Z');

  it('returns FIRST when both are pending', () => {
    expect(nextPendingReminder([first, second], '2026-12-01T00:00:00Z')).toBe(first);
  });

  it('returns SECOND when FIRST was skipped', () => {
    const skippedFirst = skipped('FIRST', first.dueAt, 'DUE_BEFORE_BOOKING');
    expect(nextPendingReminder([skippedFirst, second], '2026-12-01T00:00:00Z')).toBe(second);
  });

  it('returns undefined when nothing is pending', () => {
    expect(
      nextPendingReminder([skipped('FIRST', first.dueAt, 'DUE_BEFORE_BOOKING')], '2026-12-01T00:00:00Z'),
    ).toBe(undefined);
    expect(nextPendingReminder([], '2026-12-01T00:00:00Z')).toBeUndefined();
  });

  it('returns the earliest pending reminder even when its send time is before now: the caller decides', () => {
    expect(nextPendingReminder([first, second], '2026-12-02T16:30:00.001Z')).toBe(first);
    expect(nextPendingReminder([first, second])).toBe(first);
  });

  it('orders by send time, not by position in the plan', () => {
    expect(nextPendingReminder([second, first], '2026-12-01T00:00:00Z')).toBe(first);
  });

  it('breaks a send-time tie by plan order', () => {
    const sameTime = { ...second, sendAt: first.sendAt };
    expect(nextPendingReminder([first, sameTime], '2026-12-01T00:00:00Z')).toBe(first);
  });
});
