/**
 * FHIR R4 inputs an EHR could really send (typed as R4 resources), and helpers to map them, shared by the FHIR
 * mapping tests (one file per module of src/domain/fhir).
 */
import type {
  Appointment,
  Bundle,
  BundleEntry,
  Location,
  Patient,
  Practitioner,
  PractitionerRole,
  Resource,
} from '@medplum/fhirtypes';
import { mapFhirAppointment } from '../../../../src/domain/fhir/appointmentMapping';
import type { FhirMappingContext } from '../../../../src/domain/fhir/scope';
import type { FhirProblem } from '../../../../src/domain/fhir/problems';
import type { IngestedEvent } from '../../../../src/shared/appointment';

export const RECEIVED_AT = '2026-11-20T18:05:00.000Z';
export const context: FhirMappingContext = {
  defaultCountry: 'US',
  defaultTimezone: 'America/Denver',
  receivedAt: RECEIVED_AT,
};

export function expectEvent(input: unknown, ctx: FhirMappingContext = context): IngestedEvent {
  const result = mapFhirAppointment(input, ctx);
  if (!result.ok) throw new Error(`expected an event, got ${JSON.stringify(result.problems)}`);
  return result.event;
}

export function expectProblems(input: unknown, ctx: FhirMappingContext = context): FhirProblem[] {
  const result = mapFhirAppointment(input, ctx);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.event)}`);
  expect(result.problems.length).toBeGreaterThan(0);
  return result.problems;
}

export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: typed as R4 resources, so they are FHIR an EHR could really send.
// ---------------------------------------------------------------------------------------------------------------

/** An interface-engine export: everything contained, referenced as #id (Cerner-style ids and codings). */
export function containedAppointment(): Appointment {
  return {
    resourceType: 'Appointment',
    id: '4817-20261204',
    meta: { versionId: '3', lastUpdated: '2026-11-20T18:00:00.000Z' },
    contained: [
      {
        resourceType: 'Patient',
        id: 'pat',
        identifier: [{ system: 'urn:oid:2.16.840.1.113883.3.13.6', value: 'MRN-100234' }],
        name: [
          { use: 'official', family: 'López', given: ['Ana', 'María'] },
          { use: 'old', family: 'García', given: ['Ana'] },
        ],
        telecom: [
          { system: 'phone', value: '(303) 555-0199', use: 'home' },
          { system: 'email', value: 'ana@example.org' },
          { system: 'phone', value: '+1 303 555 0142', use: 'mobile' },
        ],
        communication: [
          {
            language: {
              coding: [{ system: 'urn:ietf:bcp:47', code: 'es', display: 'Spanish' }],
              text: 'Spanish',
            },
            preferred: true,
          },
        ],
      },
      {
        resourceType: 'Practitioner',
        id: 'dr',
        identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' }],
        name: [{ use: 'official', family: 'Smith', given: ['Jo'], prefix: ['Dr.'] }],
        telecom: [
          { system: 'phone', value: '303-555-0177', use: 'mobile' },
          { system: 'phone', value: '303-555-0100', use: 'work' },
        ],
      },
      { resourceType: 'Location', id: 'loc', name: 'Main St Clinic', address: { text: '1 Main St, Denver' } },
    ],
    status: 'booked',
    serviceType: [{ text: 'Follow-up' }],
    start: '2026-12-04T09:30:00-07:00',
    end: '2026-12-04T10:00:00-07:00',
    participant: [
      { actor: { reference: '#pat', display: 'Ana López' }, status: 'accepted' },
      { actor: { reference: '#dr', display: 'Dr. Jo Smith' }, required: 'required', status: 'accepted' },
      { actor: { reference: '#loc', display: 'Main St Clinic' }, status: 'accepted' },
    ],
  };
}

/** An engine's transaction: fresh resources with urn:uuid fullUrls, a PractitionerRole, no server ids yet. */
export function transactionBundle(): Bundle {
  const patient: Patient = {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:oid:1.2.840.114350', value: 'E4007' }],
    name: [
      { use: 'official', family: 'Nguyen', given: ['Robert'] },
      { use: 'usual', given: ['Bob'] },
    ],
    telecom: [{ system: 'phone', value: '720-555-0123', use: 'mobile' }],
  };
  const practitioner: Practitioner = {
    resourceType: 'Practitioner',
    id: 'PR-77',
    name: [{ family: 'Ng', given: ['Sam'] }],
  };
  const role: PractitionerRole = {
    resourceType: 'PractitionerRole',
    practitioner: { reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-111111111111' },
    telecom: [{ system: 'phone', value: '720-555-0100' }],
  };
  const location: Location = {
    resourceType: 'Location',
    address: { line: ['400 Elm St', 'Suite 2'], city: 'Boulder' },
  };
  const appointment: Appointment = {
    resourceType: 'Appointment',
    identifier: [{ system: 'urn:oid:1.2.840.114350.1.13', value: 'CSN-88231' }],
    status: 'booked',
    start: '2026-12-04T16:30:00Z',
    participant: [
      { actor: { reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000001' }, status: 'accepted' },
      { actor: { reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000002' }, status: 'accepted' },
      { actor: { reference: 'urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-000000000003' }, status: 'accepted' },
    ],
  };
  /** A transaction entry creating `resource` under `urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-<uuidTail>`. */
  const create = (uuidTail: string, resource: Resource): BundleEntry => ({
    fullUrl: `urn:uuid:5f3a1c2e-0b1d-4c8e-9d0a-${uuidTail}`,
    resource,
    request: { method: 'POST', url: resource.resourceType },
  });
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      create('000000000000', appointment),
      create('000000000001', patient),
      create('000000000002', role),
      create('111111111111', practitioner),
      create('000000000003', location),
    ],
  };
}

export const EPIC = 'https://fhir.example-health.org/api/FHIR/R4';

/** An Epic-style read collected into a Bundle: server ids, absolute fullUrls, relative references, UTC instants. */
export function epicBundle(): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      {
        fullUrl: `${EPIC}/Appointment/eWLhfjXHp4RUczv0a.ivRMQ3`,
        resource: {
          resourceType: 'Appointment',
          id: 'eWLhfjXHp4RUczv0a.ivRMQ3',
          meta: { versionId: '7', lastUpdated: '2026-11-20T17:59:12Z' },
          identifier: [{ system: 'urn:oid:1.2.840.114350.1.13.0.1.7.3.698084.8', value: '27558' }],
          status: 'booked',
          start: '2026-12-04T16:30:00Z',
          end: '2026-12-04T16:45:00Z',
          minutesDuration: 15,
          participant: [
            {
              actor: { reference: 'Patient/erXuFYUfucBZaryVksYEcMg3', display: 'Lopez, Camila Maria' },
              status: 'accepted',
            },
            {
              actor: {
                reference: 'PractitionerRole/eZJ.hsOE5hB5xB7Sb7sDBgQ3',
                display: 'Physician Family Medicine',
              },
              status: 'accepted',
            },
            {
              actor: {
                reference: 'Location/e4W4rmGe9QzuGm2Dy4NBqVc0KDe6yGzS2G0yL3dgPS83',
                display: 'EMH Family Medicine',
              },
              status: 'accepted',
            },
          ],
        },
      },
      {
        fullUrl: `${EPIC}/Patient/erXuFYUfucBZaryVksYEcMg3`,
        resource: {
          resourceType: 'Patient',
          id: 'erXuFYUfucBZaryVksYEcMg3',
          name: [{ use: 'usual', text: 'Camila Maria Lopez', family: 'Lopez', given: ['Camila', 'Maria'] }],
          telecom: [
            { system: 'phone', value: '469-555-5555', use: 'home' },
            { system: 'phone', value: '469-888-8888', use: 'work' },
          ],
          communication: [
            {
              language: {
                coding: [{ system: 'urn:ietf:bcp:47', code: 'en', display: 'English' }],
                text: 'English',
              },
              preferred: true,
            },
          ],
        },
      },
      {
        fullUrl: `${EPIC}/PractitionerRole/eZJ.hsOE5hB5xB7Sb7sDBgQ3`,
        resource: {
          resourceType: 'PractitionerRole',
          id: 'eZJ.hsOE5hB5xB7Sb7sDBgQ3',
          practitioner: {
            reference: 'Practitioner/eM5CWtq15N0WJeuCet5bJlQ3',
            display: 'Physician Family Medicine',
          },
          telecom: [{ system: 'phone', value: '608-555-5555', use: 'work' }],
        },
      },
      {
        fullUrl: `${EPIC}/Practitioner/eM5CWtq15N0WJeuCet5bJlQ3`,
        resource: {
          resourceType: 'Practitioner',
          id: 'eM5CWtq15N0WJeuCet5bJlQ3',
          name: [
            { use: 'usual', text: 'Physician Family Medicine, MD', family: 'Medicine', given: ['Physician'] },
          ],
        },
      },
      {
        fullUrl: `${EPIC}/Location/e4W4rmGe9QzuGm2Dy4NBqVc0KDe6yGzS2G0yL3dgPS83`,
        resource: {
          resourceType: 'Location',
          id: 'e4W4rmGe9QzuGm2Dy4NBqVc0KDe6yGzS2G0yL3dgPS83',
          name: 'EMH Family Medicine',
        },
      },
    ],
  };
}

/** The Appointment of a Bundle fixture, for edits. */
export function appointmentOf(bundle: Bundle): Appointment {
  const resource = bundle.entry?.find((e) => e.resource?.resourceType === 'Appointment')?.resource;
  if (resource?.resourceType !== 'Appointment') throw new Error('fixture has no Appointment');
  return resource;
}

export function containedPatientOf(appointment: Appointment): Patient {
  const patient = appointment.contained?.find((r) => r.resourceType === 'Patient');
  if (patient?.resourceType !== 'Patient') throw new Error('fixture has no contained Patient');
  return patient;
}

// ---------------------------------------------------------------------------------------------------------------
