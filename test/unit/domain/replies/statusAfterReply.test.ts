import { statusAfterReply } from '../../../../src/domain/replies/statusAfterReply';
import { APPOINTMENT_STATUSES, type AppointmentStatus } from '../../../../src/shared/appointment';
import { FIRST_RULES } from '../../../../src/shared/rulesVersion';

const STATUSES: readonly AppointmentStatus[] = APPOINTMENT_STATUSES;
const KINDS = ['CONFIRM', 'CANCEL_REQUEST', 'OPT_OUT', 'OPT_IN'] as const;

/** Every status × reply kind, written out: the rule both the phone and the appointment rely on. */
const EXPECTED: Record<AppointmentStatus, Record<(typeof KINDS)[number], AppointmentStatus>> = {
  BOOKED: { CONFIRM: 'CONFIRMED', CANCEL_REQUEST: 'CANCEL_REQUESTED', OPT_OUT: 'BOOKED', OPT_IN: 'BOOKED' },
  CONFIRMED: {
    CONFIRM: 'CONFIRMED',
    CANCEL_REQUEST: 'CANCEL_REQUESTED',
    OPT_OUT: 'CONFIRMED',
    OPT_IN: 'CONFIRMED',
  },
  CANCEL_REQUESTED: {
    // Rules 2: the patient's YES takes back their cancel request.
    CONFIRM: 'CONFIRMED',
    CANCEL_REQUEST: 'CANCEL_REQUESTED',
    OPT_OUT: 'CANCEL_REQUESTED',
    OPT_IN: 'CANCEL_REQUESTED',
  },
  CANCELED: { CONFIRM: 'CANCELED', CANCEL_REQUEST: 'CANCELED', OPT_OUT: 'CANCELED', OPT_IN: 'CANCELED' },
  NOSHOWED: { CONFIRM: 'NOSHOWED', CANCEL_REQUEST: 'NOSHOWED', OPT_OUT: 'NOSHOWED', OPT_IN: 'NOSHOWED' },
  COMPLETED: {
    CONFIRM: 'COMPLETED',
    CANCEL_REQUEST: 'COMPLETED',
    OPT_OUT: 'COMPLETED',
    OPT_IN: 'COMPLETED',
  },
};

describe('statusAfterReply', () => {
  for (const status of STATUSES) {
    for (const kind of KINDS) {
      test(`${status} + ${kind} → ${EXPECTED[status][kind]}`, () => {
        expect(statusAfterReply(status, kind)).toBe(EXPECTED[status][kind]);
      });
    }
  }

  test('runs on the first rules keep a cancel request against a YES (and nothing else changes)', () => {
    for (const status of STATUSES) {
      for (const kind of KINDS) {
        const expected =
          status === 'CANCEL_REQUESTED' && kind === 'CONFIRM' ? 'CANCEL_REQUESTED' : EXPECTED[status][kind];
        expect(statusAfterReply(status, kind, FIRST_RULES)).toBe(expected);
      }
    }
  });
});
