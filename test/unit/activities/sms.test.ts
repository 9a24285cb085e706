/** sms.ts pure rules: since when sendSms looks for an earlier send of its text (earlierSendWindowStart). */
import { earlierSendWindowStart } from '../../../src/activities/sms';

const SCHEDULED = Date.parse('2026-12-01T10:00:00.000Z');

describe('earlierSendWindowStart', () => {
  test('with notBefore: from the run start less 2 s, on every attempt', () => {
    const runStart = '2026-12-01T09:00:00.000Z';
    for (const attempt of [1, 2, 7]) {
      expect(earlierSendWindowStart(runStart, attempt, SCHEDULED)).toBe(Date.parse(runStart) - 2_000);
    }
  });

  test('with notBefore after the schedule time (clocks apart): from the schedule time less 2 s', () => {
    expect(earlierSendWindowStart('2026-12-01T10:00:05.000Z', 1, SCHEDULED)).toBe(SCHEDULED - 2_000);
  });

  test('without notBefore: none on the first attempt, the schedule time less 60 s on a retry', () => {
    expect(earlierSendWindowStart(undefined, 1, SCHEDULED)).toBeUndefined();
    expect(earlierSendWindowStart(undefined, 2, SCHEDULED)).toBe(SCHEDULED - 60_000);
  });

  test('an unreadable notBefore counts as none', () => {
    expect(earlierSendWindowStart('not a time', 1, SCHEDULED)).toBeUndefined();
    expect(earlierSendWindowStart('not a time', 3, SCHEDULED)).toBe(SCHEDULED - 60_000);
  });
});
