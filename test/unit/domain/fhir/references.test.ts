/**
 * Finding things in what the EHR posted (references.ts): the Appointment alone or in a Bundle, contained `#id`,
 * `urn:uuid` and absolute fullUrls, relative `Type/id` references, and what is refused.
 */
import type { Bundle, MessageHeader } from '@medplum/fhirtypes';
import {
  EPIC,
  RECEIVED_AT,
  appointmentOf,
  containedAppointment,
  containedPatientOf,
  epicBundle,
  expectEvent,
  expectProblems,
  transactionBundle,
} from './fixtures';

describe('an Appointment in a Bundle', () => {
  it('resolves urn:uuid fullUrls, a PractitionerRole and identifiers in a transaction', () => {
    expect(expectEvent(transactionBundle())).toMatchObject({
      eventType: 'BOOKED',
      appointmentId: 'CSN-88231',
      start: '2026-12-04T16:30:00.000Z',
      // A UTC instant says nothing about the clinic's zone: DEFAULT_TIMEZONE shows it.
      localStart: '2026-12-04T09:30:00',
      timeZone: 'America/Denver',
      location: '400 Elm St, Suite 2, Boulder',
      // The name the patient goes by, with the official family name.
      patient: { id: 'E4007', firstName: 'Bob', lastName: 'Nguyen', phone: '+17205550123', language: 'en' },
      // The role's telecom is the work number patients may call.
      provider: { id: 'PR-77', firstName: 'Sam', lastName: 'Ng', callbackPhone: '+17205550100' },
    });
  });

  it('resolves relative Type/id references against absolute fullUrls (Epic-style)', () => {
    expect(expectEvent(epicBundle())).toEqual({
      eventId: 'Appointment/eWLhfjXHp4RUczv0a.ivRMQ3/_history/7',
      eventType: 'BOOKED',
      eventAt: '2026-11-20T17:59:12.000Z',
      receivedAt: RECEIVED_AT,
      appointmentId: 'eWLhfjXHp4RUczv0a.ivRMQ3',
      start: '2026-12-04T16:30:00.000Z',
      localStart: '2026-12-04T09:30:00',
      timeZone: 'America/Denver',
      location: 'EMH Family Medicine',
      // No mobile: the home phone is still texted (many landlines take texts; Twilio says when not).
      patient: {
        id: 'erXuFYUfucBZaryVksYEcMg3',
        firstName: 'Camila',
        lastName: 'Lopez',
        phone: '+14695555555',
        language: 'en',
      },
      provider: {
        id: 'eM5CWtq15N0WJeuCet5bJlQ3',
        firstName: 'Physician',
        lastName: 'Medicine',
        callbackPhone: '+16085555555',
      },
    });
  });

  it('reads a message Bundle led by its MessageHeader', () => {
    const bundle = transactionBundle();
    const header: MessageHeader = {
      resourceType: 'MessageHeader',
      eventCoding: { system: 'urn:example:events', code: 'appointment-booked' },
      source: { endpoint: 'urn:example:ehr' },
      focus: [{ reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000000' }],
    };
    const message: Bundle = {
      resourceType: 'Bundle',
      type: 'message',
      entry: [
        { fullUrl: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-999999999999', resource: header },
        ...(bundle.entry ?? []),
      ],
    };
    expect(expectEvent(message).appointmentId).toBe('CSN-88231');
  });

  it('accepts a batch, and a Bundle whose references carry a version', () => {
    const bundle = epicBundle();
    bundle.type = 'batch';
    const appointment = appointmentOf(bundle);
    const patientRef = appointment.participant[0]?.actor;
    if (patientRef) patientRef.reference = `${EPIC}/Patient/erXuFYUfucBZaryVksYEcMg3/_history/2`;
    expect(expectEvent(bundle).patient.id).toBe('erXuFYUfucBZaryVksYEcMg3');
  });

  it('refuses a Bundle type that does not carry an appointment to us', () => {
    const bundle = epicBundle();
    bundle.type = 'searchset';
    expect(expectProblems(bundle)).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: 'Bundle.type' }),
    ]);
  });

  it('refuses a Bundle without an Appointment, or with several', () => {
    const bundle = epicBundle();
    const withoutAppointment: Bundle = { ...bundle, entry: bundle.entry?.slice(1) };
    expect(expectProblems(withoutAppointment)).toEqual([
      expect.objectContaining({ code: 'required', expression: 'Bundle.entry' }),
    ]);
    const twice: Bundle = {
      ...bundle,
      entry: [...(bundle.entry ?? []), ...(bundle.entry ?? []).slice(0, 1)],
    };
    expect(expectProblems(twice)).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: 'Bundle.entry[5].resource' }),
    ]);
  });

  it('says which reference it could not resolve when the Patient is missing from the Bundle', () => {
    const bundle = epicBundle();
    bundle.entry = bundle.entry?.filter((e) => e.resource?.resourceType !== 'Patient');
    expect(expectProblems(bundle)).toEqual([
      expect.objectContaining({
        code: 'invalid',
        expression: 'Bundle.entry[0].resource.participant[0].actor.reference',
      }),
    ]);
  });
});

describe('invalid input', () => {
  it('a patient referenced but not sent with a lone Appointment', () => {
    const appointment = containedAppointment();
    appointment.participant[0] = { actor: { reference: 'Patient/123' }, status: 'accepted' };
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'invalid', expression: 'Appointment.participant[0].actor.reference' }),
    ]);
  });

  it('another resource type', () => {
    const patient = containedPatientOf(containedAppointment());
    expect(expectProblems(patient)).toEqual([
      { code: 'not-supported', diagnostics: expect.any(String), expression: 'Patient' },
    ]);
    expect(expectProblems({ resourceType: '<script>' })).toEqual([
      { code: 'not-supported', diagnostics: expect.not.stringContaining('<script>') },
    ]);
    expect(expectProblems({ status: 'booked' })).toEqual([expect.objectContaining({ code: 'required' })]);
  });

  it.each([
    ['a string', 'MSH|^~\\&|EPIC|'],
    ['an array', [containedAppointment()]],
    ['null', null],
    ['a number', 42],
  ])('garbage: %s', (_what, input) => {
    expect(expectProblems(input)).toEqual([expect.objectContaining({ code: 'invalid' })]);
  });
});
