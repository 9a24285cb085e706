/**
 * Where (location.ts): the Location's name, else its address, else the reference's display.
 */
import { containedAppointment, expectEvent } from './fixtures';

describe('an Appointment with contained resources', () => {
  it('falls back to the address text when the Location has no name', () => {
    const appointment = containedAppointment();
    const location = appointment.contained?.find((r) => r.resourceType === 'Location');
    if (location?.resourceType === 'Location') delete location.name;
    expect(expectEvent(appointment).location).toBe('1 Main St, Denver');
  });

  it('uses the display of a Location it cannot see', () => {
    const appointment = containedAppointment();
    appointment.participant[2] = {
      actor: { reference: 'Location/elsewhere', display: 'North Campus' },
      status: 'accepted',
    };
    expect(expectEvent(appointment).location).toBe('North Campus');
  });
});
