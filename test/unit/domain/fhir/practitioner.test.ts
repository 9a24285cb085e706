/**
 * The provider (practitioner.ts): optional in every part; what cannot be resolved is left out.
 */
import { containedAppointment, expectEvent } from './fixtures';

describe('an Appointment with contained resources', () => {
  it('keeps the provider id of a Practitioner reference it cannot resolve', () => {
    const appointment = containedAppointment();
    appointment.participant[1] = {
      actor: { reference: 'Practitioner/PR-9', display: 'Dr. X' },
      status: 'accepted',
    };
    expect(expectEvent(appointment).provider).toEqual({ id: 'PR-9' });
  });

  it('leaves the provider out when no participant is a practitioner', () => {
    const appointment = containedAppointment();
    appointment.participant = appointment.participant.filter((p) => p.actor?.reference !== '#dr');
    expect('provider' in expectEvent(appointment)).toBe(false);
  });
});
