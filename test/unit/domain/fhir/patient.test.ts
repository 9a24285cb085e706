/**
 * The patient (patient.ts): the number we text (sms and mobile first, never an old one), why there is none,
 * and the language of the texts.
 */
import type { Appointment, Patient } from '@medplum/fhirtypes';
import { mapFhirAppointment } from '../../../../src/domain/fhir/appointmentMapping';
import {
  containedAppointment,
  containedPatientOf,
  context,
  epicBundle,
  expectEvent,
  expectProblems,
} from './fixtures';

describe('an Appointment with contained resources', () => {
  it('texts the mobile even when a home phone comes first, and never gives out a doctor’s mobile', () => {
    const event = expectEvent(containedAppointment());
    expect(event.patient.phone).toBe('+13035550142');
    expect(event.provider?.callbackPhone).toBe('+13035550100');
  });
});

describe('phone numbers and language', () => {
  const withTelecom = (telecom: Patient['telecom']): Appointment => {
    const appointment = containedAppointment();
    containedPatientOf(appointment).telecom = telecom;
    return appointment;
  };

  it('normalises a national number with DEFAULT_COUNTRY', () => {
    expect(
      expectEvent(withTelecom([{ system: 'phone', value: '(303) 555-0142', use: 'mobile' }])).patient.phone,
    ).toBe('+13035550142');
    const mexico = { ...context, defaultCountry: 'MX' };
    expect(
      expectEvent(withTelecom([{ system: 'phone', value: '55 1234 5678', use: 'mobile' }]), mexico).patient
        .phone,
    ).toBe('+525512345678');
  });

  it('prefers sms and mobile, then rank, and never texts an old number', () => {
    expect(
      expectEvent(
        withTelecom([
          { system: 'phone', value: '303-555-0101', use: 'mobile', rank: 2 },
          { system: 'phone', value: '303-555-0102', use: 'old' },
          { system: 'sms', value: '303-555-0103', rank: 1 },
        ]),
      ).patient.phone,
    ).toBe('+13035550103');
    expect(
      expectEvent(
        withTelecom([
          { system: 'phone', value: '303-555-0102', use: 'old' },
          { system: 'phone', value: '303-555-0104' },
        ]),
      ).patient.phone,
    ).toBe('+13035550104');
  });

  it('skips an invalid mobile for a valid home phone', () => {
    expect(
      expectEvent(
        withTelecom([
          { system: 'phone', value: '12', use: 'mobile' },
          { system: 'phone', value: '303-555-0199', use: 'home' },
        ]),
      ).patient.phone,
    ).toBe('+13035550199');
  });

  it('reads the preferred language, a Spanish text without a code, and falls back to English', () => {
    const withCommunication = (communication: Patient['communication']): string => {
      const appointment = containedAppointment();
      containedPatientOf(appointment).communication = communication;
      return expectEvent(appointment).patient.language;
    };
    expect(
      withCommunication([
        { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en' }] } },
        { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es-MX' }] }, preferred: true },
      ]),
    ).toBe('es-MX');
    expect(withCommunication([{ language: { text: 'Spanish' } }])).toBe('es');
    expect(withCommunication([{ language: { coding: [{ code: 'es' }] } }])).toBe('es');
    expect(withCommunication([{ language: { text: 'Klingon (Qo’noS)' } }])).toBe('en');
    expect(withCommunication(undefined)).toBe('en');
  });
});

describe('invalid input', () => {
  it('no participant is a patient', () => {
    const appointment = containedAppointment();
    appointment.participant = appointment.participant.filter((p) => p.actor?.reference !== '#pat');
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'required', expression: 'Appointment.participant' }),
    ]);
  });

  // Recorded all the same, with the reason instead of a number (issue 12): nothing to refuse.
  it.each([
    [[{ system: 'email', value: 'ana@example.org' }], 'NO_PHONE'],
    [
      [
        { system: 'email', value: 'ana@example.org' },
        { system: 'phone', value: '555', use: 'mobile' },
      ],
      'INVALID_PHONE',
    ],
    [[{ system: 'phone', value: '***-***-0123', use: 'mobile' }], 'MASKED_PHONE'],
    [[{ system: 'phone', value: '+44 20 7946 0958', use: 'home' }], 'NOT_MOBILE'],
  ] as const)('a patient whose telecom is %j is accepted without a number, as %s', (telecom, problem) => {
    const appointment = containedAppointment();
    containedPatientOf(appointment).telecom = telecom.map((t) => ({ ...t }));
    const result = mapFhirAppointment(appointment, context);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.event.patient.phone).toBeUndefined();
    expect(result.event.patient.phoneProblem).toBe(problem);
  });

  it('a textable number wins over others that cannot be texted', () => {
    const appointment = containedAppointment();
    containedPatientOf(appointment).telecom = [
      { system: 'phone', value: '+44 20 7946 0958', use: 'mobile' },
      { system: 'phone', value: '720-555-0123', use: 'home' },
    ];
    const result = mapFhirAppointment(appointment, context);
    expect(result.ok && result.event.patient.phone).toBe('+17205550123');
  });

  it('a patient without a phone in a Bundle is accepted without a number', () => {
    const bundle = epicBundle();
    const patient = bundle.entry?.[1]?.resource;
    if (patient?.resourceType === 'Patient') delete patient.telecom;
    const result = mapFhirAppointment(bundle, context);
    expect(result.ok && result.event.patient.phoneProblem).toBe('NO_PHONE');
  });
});

describe('the patient id and language, read by the rules every format shares', () => {
  const withPatient = (edit: (patient: Patient) => void): Appointment => {
    const appointment = containedAppointment();
    edit(containedPatientOf(appointment));
    return appointment;
  };

  it('refuses a patient id with a control character (as JSON and HL7 do), without repeating it', () => {
    const problems = expectProblems(
      withPatient((patient) => {
        patient.identifier = [{ value: 'MRN\u0007100234' }];
      }),
    );
    expect(problems).toEqual([
      { code: 'value', diagnostics: expect.any(String), expression: 'Appointment.contained[0].id' },
    ]);
    expect(JSON.stringify(problems)).not.toContain('100234');
  });

  it.each([
    ['eng', 'en'],
    ['SPA', 'es'],
    ['es-MX', 'es-MX'],
  ])('reads the language code %j as %s', (code, tag) => {
    const appointment = withPatient((patient) => {
      patient.communication = [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code }] } }];
    });
    expect(expectEvent(appointment).patient.language).toBe(tag);
  });

  it.each(['constructor', '__proto__', `en-${'abcdefgh-'.repeat(4)}x1`])(
    'reads %j as no language: English',
    (text) => {
      const appointment = withPatient((patient) => {
        patient.communication = [{ language: { text } }];
      });
      expect(expectEvent(appointment).patient.language).toBe('en');
    },
  );
});
