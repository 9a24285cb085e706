import fc from 'fast-check';
import { Info } from 'luxon';
import { planReminders, type ReminderPlanInput } from '../../../../src/domain/reminders/planReminders';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

const zones = [
  'America/New_York',
  'America/Denver',
  'America/St_Johns',
  'America/Santiago',
  'America/Havana',
  'Europe/London',
  'Europe/Berlin',
  'Africa/Casablanca',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'UTC',
  'UTC-7',
  'UTC+5:30',
  'UTC+5:45',
  'UTC+14',
  'UTC-12',
];

// DST transitions (and ordinary days) that plans should cross: New York, London, Lord Howe, Chatham,
// Santiago (midnight change), Casablanca (Ramadan), plus plain dates.
const anchors = [
  '2026-03-08T07:00:00Z',
  '2026-11-01T06:00:00Z',
  '2026-03-29T01:00:00Z',
  '2026-10-25T01:00:00Z',
  '2026-10-03T15:30:00Z',
  '2026-04-04T15:00:00Z',
  '2026-09-26T14:00:00Z',
  '2026-04-04T14:00:00Z',
  '2026-04-05T03:00:00Z',
  '2026-09-06T04:00:00Z',
  '2026-02-15T02:00:00Z',
  '2026-03-22T02:00:00Z',
  '2027-03-14T07:00:00Z',
  '2026-06-15T12:00:00Z',
  '2026-12-31T23:00:00Z',
].map((text) => Date.parse(text));

const policyArbitrary = fc
  .record({
    firstOffsetMinutes: fc.oneof(
      fc.constantFrom(2880, 1440, 120, 60, 4320),
      fc.integer({ min: 1, max: 99 * 60 + 59 }),
    ),
    secondFraction: fc.oneof(
      { arbitrary: fc.double({ min: 0, max: 1, noNaN: true }), weight: 4 },
      { arbitrary: fc.constantFrom(0, 1), weight: 1 },
    ),
    window: fc.oneof(
      fc.constantFrom(
        [480, 1200],
        [540, 1020],
        [0, 1440],
        [480, 1440],
        [1439, 1440],
        [0, 1],
        [120, 180],
        [150, 240],
      ),
      fc
        .tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1440 }))
        .map(([a, b]) => (a < b ? [a, b] : [b - 1, a + 1])),
    ),
  })
  .map(({ firstOffsetMinutes, secondFraction, window }) => ({
    firstOffsetMinutes,
    secondOffsetMinutes: Math.round(firstOffsetMinutes * secondFraction),
    windowStartMinutes: window[0]!,
    windowFinishMinutes: window[1]!,
  }));

const inputArbitrary = fc
  .record({
    zone: fc.constantFrom(...zones),
    anchor: fc.oneof(
      fc.constantFrom(...anchors),
      fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2036, 0, 1) }),
    ),
    startShiftMinutes: fc.integer({ min: -6 * 24 * 60, max: 6 * 24 * 60 }),
    startSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 59_999 })),
    leadMs: fc.oneof(
      fc.integer({ min: -DAY_MS, max: 6 * DAY_MS }),
      fc.integer({ min: 0, max: 6 * 24 * 60 }).map((minutes) => minutes * MINUTE_MS),
    ),
    policy: policyArbitrary,
  })
  .map(({ zone, anchor, startShiftMinutes, startSeconds, leadMs, policy }) => {
    const startMs = Math.floor(anchor / MINUTE_MS) * MINUTE_MS + startShiftMinutes * MINUTE_MS + startSeconds;
    const input: ReminderPlanInput = {
      start: new Date(startMs).toISOString(),
      zone,
      plannedAt: new Date(startMs - leadMs).toISOString(),
      policy,
    };
    return input;
  });

// Independent of the planner: luxon's offset for the instant, applied minute by minute.
function localMinuteOfDay(epochMs: number, zone: string): number {
  const local = Math.floor(epochMs / MINUTE_MS) + Info.normalizeZone(zone).offset(epochMs);
  return ((local % 1440) + 1440) % 1440;
}

function inWindow(epochMs: number, input: ReminderPlanInput): boolean {
  const minute = localMinuteOfDay(epochMs, input.zone);
  return minute >= input.policy.windowStartMinutes && minute < input.policy.windowFinishMinutes;
}

type Expected = { sendAtMs: number } | { skipReason: string };

// Brute force over whole minutes: the contract written as directly as possible.
function expectedSendTime(dueMs: number, input: ReminderPlanInput): Expected {
  const startMs = Date.parse(input.start);
  const plannedAtMs = Date.parse(input.plannedAt);
  if (dueMs <= plannedAtMs) return { skipReason: 'DUE_BEFORE_BOOKING' };
  if (inWindow(dueMs, input)) return { sendAtMs: dueMs };
  for (let t = Math.ceil(dueMs / MINUTE_MS) * MINUTE_MS; t < startMs; t += MINUTE_MS) {
    if (inWindow(t, input)) return { sendAtMs: t };
  }
  for (
    let t = Math.ceil(startMs / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    t > plannedAtMs - MINUTE_MS;
    t -= MINUTE_MS
  ) {
    if (inWindow(t, input)) return t > plannedAtMs ? { sendAtMs: t } : { skipReason: 'SEND_TIME_PASSED' };
  }
  return { skipReason: 'NO_WINDOW_BEFORE_APPOINTMENT' };
}

describe('planReminders invariants', () => {
  it('never throws, plans FIRST then SECOND (when on) with exact-duration due times', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        const plan = planReminders(input);
        const startMs = Date.parse(input.start);
        const kinds = input.policy.secondOffsetMinutes > 0 ? ['FIRST', 'SECOND'] : ['FIRST'];
        expect(plan.map((reminder) => reminder.kind)).toEqual(kinds);
        expect(Date.parse(plan[0]!.dueAt)).toBe(startMs - input.policy.firstOffsetMinutes * MINUTE_MS);
        if (plan[1] !== undefined) {
          expect(Date.parse(plan[1].dueAt)).toBe(startMs - input.policy.secondOffsetMinutes * MINUTE_MS);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('every PENDING sendAt is after plannedAt, before start and inside the window in the patient zone', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        for (const reminder of planReminders(input)) {
          if (reminder.status === 'SKIPPED') {
            expect(reminder.sendAt).toBeNull();
            expect(reminder.skipReason).toBeDefined();
            continue;
          }
          expect(reminder.skipReason).toBeUndefined();
          const sendAtMs = Date.parse(reminder.sendAt!);
          expect(sendAtMs).toBeGreaterThan(Date.parse(input.plannedAt));
          expect(sendAtMs).toBeLessThan(Date.parse(input.start));
          expect(inWindow(sendAtMs, input)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('DUE_BEFORE_BOOKING exactly when dueAt is not after plannedAt', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        for (const reminder of planReminders(input)) {
          const dueBeforeBooking = Date.parse(reminder.dueAt) <= Date.parse(input.plannedAt);
          expect(reminder.skipReason === 'DUE_BEFORE_BOOKING').toBe(dueBeforeBooking);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a send time before dueAt only happens when no window minute is left between dueAt and start', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        const startMs = Date.parse(input.start);
        for (const reminder of planReminders(input)) {
          if (reminder.sendAt === null) continue;
          const dueMs = Date.parse(reminder.dueAt);
          const sendAtMs = Date.parse(reminder.sendAt);
          if (sendAtMs >= dueMs) continue;
          for (let t = Math.ceil(dueMs / MINUTE_MS) * MINUTE_MS; t < startMs; t += MINUTE_MS) {
            expect(inWindow(t, input)).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('FIRST is sent strictly before SECOND when both are pending', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        const [first, second] = planReminders(input);
        if (first?.status === 'PENDING' && second?.status === 'PENDING') {
          expect(Date.parse(first.sendAt!)).toBeLessThan(Date.parse(second.sendAt!));
        }
        if (second?.skipReason === 'SAME_TIME_AS_FIRST') expect(first?.status).toBe('PENDING');
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        expect(planReminders(structuredClone(input))).toEqual(planReminders(input));
      }),
      { numRuns: 300 },
    );
  });

  it('matches a minute-by-minute brute force of the contract', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        const plan = planReminders(input);
        const expected = plan.map((reminder) => expectedSendTime(Date.parse(reminder.dueAt), input));
        const [firstExpected, secondExpected] = expected;
        if (
          firstExpected !== undefined &&
          secondExpected !== undefined &&
          'sendAtMs' in firstExpected &&
          'sendAtMs' in secondExpected &&
          firstExpected.sendAtMs === secondExpected.sendAtMs
        ) {
          expected[1] = { skipReason: 'SAME_TIME_AS_FIRST' };
        }
        const actual = plan.map((reminder): Expected =>
          reminder.sendAt === null
            ? { skipReason: reminder.skipReason! }
            : { sendAtMs: Date.parse(reminder.sendAt) },
        );
        expect(actual).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
