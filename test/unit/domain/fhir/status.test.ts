/**
 * Appointment.status → event type (status.ts): every R4 status decided, attended ones marked, non-bookings
 * refused.
 */
import type { Appointment } from '@medplum/fhirtypes';
import { FHIR_STATUS_EVENT } from '../../../../src/domain/fhir/status';
import { containedAppointment, expectEvent, expectProblems } from './fixtures';

describe('status', () => {
  const withStatus = (status: Appointment['status']): Appointment => ({ ...containedAppointment(), status });

  it.each([
    ['booked', 'BOOKED'],
    ['arrived', 'BOOKED'],
    ['checked-in', 'BOOKED'],
    ['fulfilled', 'BOOKED'],
    ['cancelled', 'CANCELED'],
    ['entered-in-error', 'CANCELED'],
    ['noshow', 'NOSHOWED'],
  ] as const)('%s is sent as %s', (status, eventType) => {
    expect(expectEvent(withStatus(status)).eventType).toBe(eventType);
  });

  it.each(['arrived', 'checked-in', 'fulfilled'] as const)(
    '%s is marked attended (never a booking prompt or a reopening); booked is not',
    (status) => {
      expect(expectEvent(withStatus(status)).attended).toBe(true);
      expect(expectEvent(withStatus('booked')).attended).toBeUndefined();
    },
  );

  it.each(['proposed', 'pending', 'waitlist'] as const)('%s is refused: not a booking yet', (status) => {
    expect(expectProblems(withStatus(status))).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: 'Appointment.status' }),
    ]);
  });

  it('covers every R4 status', () => {
    expect(Object.keys(FHIR_STATUS_EVENT).sort()).toEqual(
      [
        'arrived',
        'booked',
        'cancelled',
        'checked-in',
        'entered-in-error',
        'fulfilled',
        'noshow',
        'pending',
        'proposed',
        'waitlist',
      ].sort(),
    );
  });

  it('refuses a status that is not an R4 code', () => {
    expect(expectProblems({ ...containedAppointment(), status: 'scheduled' })).toEqual([
      expect.objectContaining({ code: 'value', expression: 'Appointment.status' }),
    ]);
  });
});
