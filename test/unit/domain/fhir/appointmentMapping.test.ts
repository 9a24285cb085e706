/**
 * FHIR R4 Appointment → canonical event (appointmentMapping.ts): a whole contained Appointment, event identity
 * and order, every problem listed at once, and properties: no input crashes the mapper.
 */
import type { Appointment } from '@medplum/fhirtypes';
import fc from 'fast-check';
import { mapFhirAppointment } from '../../../../src/domain/fhir/appointmentMapping';
import {
  RECEIVED_AT,
  clone,
  containedAppointment,
  containedPatientOf,
  context,
  epicBundle,
  expectEvent,
  expectProblems,
  transactionBundle,
} from './fixtures';

describe('an Appointment with contained resources', () => {
  it('maps to a BOOKED event with the patient, provider and location it references', () => {
    expect(expectEvent(containedAppointment())).toEqual({
      eventId: 'Appointment/4817-20261204/_history/3',
      eventType: 'BOOKED',
      eventAt: '2026-11-20T18:00:00.000Z',
      receivedAt: RECEIVED_AT,
      appointmentId: '4817-20261204',
      start: '2026-12-04T16:30:00.000Z',
      localStart: '2026-12-04T09:30:00',
      timeZone: 'America/Denver',
      location: 'Main St Clinic',
      // A contained resource's id means nothing outside its container: the MRN and NPI are sent back instead.
      patient: {
        id: 'MRN-100234',
        firstName: 'Ana',
        lastName: 'López',
        phone: '+13035550142',
        language: 'es',
      },
      provider: { id: '1234567893', firstName: 'Jo', lastName: 'Smith', callbackPhone: '+13035550100' },
    });
  });
});

describe('event identity and order', () => {
  it('gives the same version the same event id, so a resend is a duplicate', () => {
    const first = expectEvent(containedAppointment());
    const again = expectEvent(clone(containedAppointment()), {
      ...context,
      receivedAt: '2026-11-20T19:00:00.000Z',
    });
    expect(again.eventId).toBe(first.eventId);
    expect(again.eventAt).toBe(first.eventAt);
  });

  it('gives a new version a new id and its lastUpdated as the event time', () => {
    const cancelled: Appointment = {
      ...containedAppointment(),
      status: 'cancelled',
      meta: { versionId: '4', lastUpdated: '2026-11-21T08:15:00-07:00' },
    };
    expect(expectEvent(cancelled)).toMatchObject({
      eventId: 'Appointment/4817-20261204/_history/4',
      eventType: 'CANCELED',
      eventAt: '2026-11-21T15:15:00.000Z',
    });
  });

  it('without meta hashes what it read: same content, same id; the receive time orders it', () => {
    const bare = (): Appointment => {
      const appointment = containedAppointment();
      delete appointment.meta;
      return appointment;
    };
    const first = expectEvent(bare());
    const later = expectEvent(bare(), { ...context, receivedAt: '2026-11-21T00:00:00.000Z' });
    expect(first.eventId).toMatch(/^Appointment\/4817-20261204\/sha256-[0-9a-f]{32}$/);
    expect(later.eventId).toBe(first.eventId);
    expect(first.eventAt).toBe(RECEIVED_AT);

    const moved = bare();
    moved.start = '2026-12-05T09:30:00-07:00';
    expect(expectEvent(moved).eventId).not.toBe(first.eventId);
    const newPhone = bare();
    containedPatientOf(newPhone).telecom = [{ system: 'sms', value: '+13035550111' }];
    expect(expectEvent(newPhone).eventId).not.toBe(first.eventId);
  });
});

describe('invalid input', () => {
  it('lists every problem at once, without repeating patient data', () => {
    const appointment: Record<string, unknown> = {
      ...containedAppointment(),
      status: 'scheduled',
      id: 'has space',
    };
    delete appointment.start;
    const patient = containedPatientOf(appointment as unknown as Appointment);
    patient.telecom = [{ system: 'phone', value: '555-SECRET', use: 'mobile' }];
    const problems = expectProblems(appointment);
    expect(problems.map((p) => [p.code, p.expression])).toEqual([
      ['value', 'Appointment.id'],
      ['value', 'Appointment.status'],
      ['required', 'Appointment.start'],
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/SECRET|López|Ana/);
  });

  it('elements of the wrong JSON type', () => {
    expect(expectProblems({ ...containedAppointment(), participant: 'Ana', start: 20261204 })).toEqual([
      expect.objectContaining({ code: 'invalid', expression: 'Appointment.start' }),
      expect.objectContaining({ code: 'invalid', expression: 'Appointment.participant' }),
    ]);
    const appointment = containedAppointment();
    (containedPatientOf(appointment) as unknown as Record<string, unknown>).telecom = [
      { system: 'phone', value: 3035550142 },
    ];
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'invalid', expression: 'Appointment.contained[0].telecom[0].value' }),
    ]);
  });

  it('an Appointment without any id', () => {
    const appointment = containedAppointment();
    delete appointment.id;
    expect(expectProblems(appointment)).toEqual([
      expect.objectContaining({ code: 'required', expression: 'Appointment.id' }),
    ]);
  });
});

describe('properties', () => {
  const checkResult = (result: ReturnType<typeof mapFhirAppointment>): void => {
    if (result.ok) {
      // A number that can be texted, or the reason there is none: never both, never neither.
      if (result.event.patient.phone === undefined) expect(result.event.patient.phoneProblem).toBeDefined();
      else expect(result.event.patient.phone).toMatch(/^\+[1-9]\d{6,14}$/);
      if (result.event.start === undefined)
        expect(['CANCELED', 'NOSHOWED']).toContain(result.event.eventType);
      else expect(Number.isNaN(Date.parse(result.event.start))).toBe(false);
      expect(result.event.eventId.length).toBeGreaterThan(0);
    } else {
      expect(result.problems.length).toBeGreaterThan(0);
      for (const problem of result.problems) {
        expect(typeof problem.diagnostics).toBe('string');
        if (problem.expression !== undefined) expect(problem.expression).toMatch(/^[A-Z][A-Za-z]*(\.|\[|$)/);
      }
    }
  };

  /** Every path to an element of a JSON value, for replacing one element of a realistic input. */
  function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
    if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
    if (typeof value === 'object' && value !== null) {
      return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
    }
    return [];
  }

  function replaced(root: unknown, path: Array<string | number>, value: unknown): unknown {
    const copy = clone(root);
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    if (last !== undefined) parent[last] = value;
    return copy;
  }

  it('never throws for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        checkResult(mapFhirAppointment(value, context));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for arbitrary JSON dressed as an Appointment or a Bundle', () => {
    const resourceish = fc.oneof(
      fc.dictionary(fc.string(), fc.jsonValue()).map((d) => ({ ...d, resourceType: 'Appointment' })),
      fc
        .record({ type: fc.jsonValue(), entry: fc.array(fc.jsonValue(), { maxLength: 4 }) })
        .map((r) => ({ ...r, resourceType: 'Bundle' })),
    );
    fc.assert(
      fc.property(resourceish, (value) => {
        checkResult(mapFhirAppointment(value, context));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws when any one element of a real Bundle or Appointment is replaced by arbitrary JSON', () => {
    const fixtures: unknown[] = [containedAppointment(), transactionBundle(), epicBundle()];
    const mutation = fc
      .constantFrom(...fixtures)
      .chain((fixture) => fc.tuple(fc.constant(fixture), fc.constantFrom(...paths(fixture)), fc.jsonValue()));
    fc.assert(
      fc.property(mutation, ([fixture, path, value]) => {
        checkResult(mapFhirAppointment(replaced(fixture, path, value), context));
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: the same input gives the same answer', () => {
    fc.assert(
      fc.property(fc.constantFrom(containedAppointment(), transactionBundle(), epicBundle()), (input) => {
        expect(mapFhirAppointment(clone(input), context)).toEqual(mapFhirAppointment(input, context));
      }),
      { numRuns: 20 },
    );
  });
});
