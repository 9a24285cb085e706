import { initialStateData } from '../../../../src/domain/appointment/stateData';
import { currentDetailsOf } from '../../../../src/domain/appointment/currentDetails';
import type { AppointmentStateData } from '../../../../src/domain/appointment/records';

const START = '2026-12-04T16:30:00.000Z';

function state(overrides: Partial<AppointmentStateData> = {}): AppointmentStateData {
  return {
    ...initialStateData('A1'),
    details: {
      eventId: 'e1',
      eventType: 'BOOKED',
      eventAt: '2026-12-01T00:00:00.000Z',
      receivedAt: '2026-12-01T00:00:00.000Z',
      appointmentId: 'A1',
      start: START,
      localStart: '2026-12-04T09:30:00',
      timeZone: 'America/Denver',
      patient: { id: 'P1', firstName: 'Ana', lastName: 'Rose', phone: '+13035550123', language: 'en' },
    },
    ...overrides,
  };
}

describe('currentDetailsOf (the Web UI line)', () => {
  test('status, start and next reminder in the appointment zone', () => {
    expect(currentDetailsOf(state(), Date.parse('2026-12-02T16:30:00.000Z'))).toBe(
      'BOOKED · starts 2026-12-04 09:30 America/Denver · next reminder 12-02 09:30',
    );
  });

  test('opted out, cannot be texted and EHR callbacks waiting are said; the patient never is', () => {
    const line = currentDetailsOf(
      state({
        status: 'CONFIRMED',
        optedOut: true,
        untextable: 'NOT_MOBILE',
        callbacks: [
          {
            key: 'k',
            type: 'CONFIRM',
            replyText: 'yes',
            repliedAt: START,
            patientId: 'P1',
            status: 'PENDING',
          },
        ],
      }),
      undefined,
    );
    expect(line).toBe(
      'CONFIRMED · starts 2026-12-04 09:30 America/Denver · opted out · cannot be texted: NOT_MOBILE · 1 EHR callback pending',
    );
    expect(line).not.toMatch(/Ana|Rose|5550123|P1/);
  });

  test('before its first event', () => {
    expect(currentDetailsOf(initialStateData('A1'), undefined)).toBe('BOOKED · waiting for its first event');
  });
});
