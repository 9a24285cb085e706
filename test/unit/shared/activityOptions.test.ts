import * as options from '../../../src/shared/activityOptions';

/** Every option set the workflows proxy activities with (the frozen type's inline ones are legacy). */
const OPTION_SETS: Array<[string, { scheduleToCloseTimeout?: unknown }]> = Object.entries(options).flatMap(
  ([name, value]) => (typeof value === 'object' && 'startToCloseTimeout' in value ? [[name, value]] : []),
);

describe('activity options (issue 10.8: every activity has a schedule-to-close bound)', () => {
  test('the option sets are found', () => {
    expect(OPTION_SETS.map(([name]) => name).sort()).toEqual(
      [
        'NOTIFY_EHR_FIRST_TRY_OPTIONS',
        'NOTIFY_EHR_OPTIONS',
        'RESERVE_REMINDER_OPTIONS',
        'SEND_SMS_LOCAL_OPTIONS',
        'SEND_SMS_OPTIONS',
        'SIGNAL_LOCAL_OPTIONS',
        'SNAPSHOT_LOCAL_OPTIONS',
      ].sort(),
    );
  });

  test.each(OPTION_SETS)('%s has a schedule-to-close bound', (_name, set) => {
    expect(set.scheduleToCloseTimeout).toEqual(expect.any(String));
  });
});
