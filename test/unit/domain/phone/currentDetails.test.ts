import { phoneDetailsOf } from '../../../../src/domain/phone/currentDetails';
import type { LinkedAppointment } from '../../../../src/shared/phone';
import type { PhoneStateData } from '../../../../src/domain/phone/records';

const linked = (appointmentId: string, status: LinkedAppointment['status']): LinkedAppointment => ({
  appointmentId,
  workflowId: `appointment-${appointmentId}`,
  status,
  start: '2026-12-04T16:30:00.000Z',
  timeZone: 'America/Denver',
  language: 'en',
  firstName: 'Ana',
  prompted: true,
  maxRemindersPerDay: 2,
});

function state(overrides: Partial<PhoneStateData>): PhoneStateData {
  return {
    phone: '+13035550123',
    optedOut: false,
    appointments: [],
    awaitingChoice: null,
    ...overrides,
  } as PhoneStateData;
}

describe('phoneDetailsOf (the Web UI line of a phone conversation)', () => {
  test('the appointments it routes for, STOP and an open question; never the number or a name', () => {
    const line = phoneDetailsOf(
      state({
        appointments: [linked('A100', 'BOOKED'), linked('A101', 'CONFIRMED')],
        optedOut: true,
        awaitingChoice: {
          kind: 'CONFIRM',
          replyText: 'yes',
          options: ['A100', 'A101'],
          askedAt: '2026-12-01T10:00:00.000Z',
        },
      }),
    );
    expect(line).toBe(
      '2 appointments: A100 BOOKED, A101 CONFIRMED · opted out · awaiting the patient’s choice',
    );
    expect(line).not.toMatch(/5550123|Ana/);
  });

  test('none linked; more than five are cut short', () => {
    expect(phoneDetailsOf(state({}))).toBe('no appointment linked');
    const many = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'].map((id) => linked(id, 'BOOKED'));
    expect(phoneDetailsOf(state({ appointments: many }))).toBe(
      '6 appointments: A1 BOOKED, A2 BOOKED, A3 BOOKED, A4 BOOKED, A5 BOOKED, …',
    );
  });
});
