/**
 * When, and in which zone (timeZone.ts): `Appointment.start` as an instant, the timezone extension, the display
 * zone without one, and cancellations that carry no start.
 */
import type { Appointment } from '@medplum/fhirtypes';
import { containedAppointment, context, expectEvent, expectProblems } from './fixtures';

describe('time zone', () => {
  it('shows the time in the timezone extension, wherever the Appointment carries it', () => {
    const extension = [
      { url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'America/Chicago' },
    ];
    const onStart = { ...containedAppointment(), _start: { extension } };
    const onAppointment: Appointment = { ...containedAppointment(), extension };
    const onMeta: Appointment = { ...containedAppointment(), meta: { versionId: '3', extension } };
    const r4Name: Appointment = {
      ...containedAppointment(),
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/tz-code', valueCode: 'America/Chicago' }],
    };
    for (const input of [onStart, onAppointment, onMeta, r4Name]) {
      expect(expectEvent(input)).toMatchObject({
        start: '2026-12-04T16:30:00.000Z',
        localStart: '2026-12-04T10:30:00',
        timeZone: 'America/Chicago',
      });
    }
  });

  it('follows DST in DEFAULT_TIMEZONE when the start agrees with it', () => {
    const summer: Appointment = { ...containedAppointment(), start: '2026-07-01T09:30:00-06:00' };
    expect(expectEvent(summer)).toMatchObject({
      localStart: '2026-07-01T09:30:00',
      timeZone: 'America/Denver',
    });
  });

  it('keeps the EHR’s wall-clock time when the start’s offset is not DEFAULT_TIMEZONE’s', () => {
    const eastern: Appointment = { ...containedAppointment(), start: '2026-12-04T09:30:00-05:00' };
    expect(expectEvent(eastern)).toMatchObject({
      start: '2026-12-04T14:30:00.000Z',
      localStart: '2026-12-04T09:30:00',
      timeZone: 'UTC-5',
    });
    const utcDefault = { ...context, defaultTimezone: 'UTC' };
    expect(expectEvent(containedAppointment(), utcDefault)).toMatchObject({
      localStart: '2026-12-04T09:30:00',
      timeZone: 'UTC-7',
    });
  });

  it('refuses an extension that is not an IANA zone', () => {
    const appointment: Appointment = {
      ...containedAppointment(),
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: '-0700' }],
    };
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'value', expression: 'Appointment.extension[0].valueCode' }),
    ]);
  });
});

describe('invalid input', () => {
  it('a booked Appointment without a start', () => {
    const appointment = containedAppointment();
    delete appointment.start;
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'required', expression: 'Appointment.start' }),
    ]);
  });

  it('a start without an offset', () => {
    expect(expectProblems({ ...containedAppointment(), start: '2026-12-04T09:30:00' })).toEqual([
      expect.objectContaining({ code: 'value', expression: 'Appointment.start' }),
    ]);
  });
});

describe('cancelled and noshow without start (issue 10.11)', () => {
  const withoutStart = (status: Appointment['status']): Appointment => {
    const { start: _start, end: _end, ...rest } = { ...containedAppointment(), status };
    return rest;
  };

  it.each([
    ['cancelled', 'CANCELED'],
    ['entered-in-error', 'CANCELED'],
    ['noshow', 'NOSHOWED'],
  ] as const)('%s without start is a %s without a time (the workflow has it)', (status, eventType) => {
    const event = expectEvent(withoutStart(status));
    expect(event.eventType).toBe(eventType);
    expect(event.start).toBeUndefined();
    expect(event.timeZone).toBeUndefined();
  });

  it.each(['booked', 'arrived', 'checked-in', 'fulfilled'] as const)(
    '%s without start is refused',
    (status) => {
      expect(expectProblems(withoutStart(status))).toEqual([
        expect.objectContaining({ code: 'required', expression: 'Appointment.start' }),
      ]);
    },
  );

  it('a resend of the same untimed cancellation has the same event id', () => {
    expect(expectEvent(withoutStart('cancelled')).eventId).toBe(
      expectEvent(withoutStart('cancelled')).eventId,
    );
  });
});
