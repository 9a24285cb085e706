/**
 * The pure parts of reading FHIR references from the EHR: which references may be read (and the token never
 * sent elsewhere), what of a read resource is kept, the self-contained Bundle the mapper gets, and how the
 * mapper lists what it could not resolve.
 */
import type { Appointment, Bundle, Patient } from '@medplum/fhirtypes';
import { mapFhirAppointment } from '../../../../src/domain/fhir/appointmentMapping';
import type { FhirMappingContext } from '../../../../src/domain/fhir/scope';
import {
  fhirIngestWorkflowId,
  keepMappedFields,
  readTarget,
  withResolvedResources,
} from '../../../../src/domain/fhir/resolvedReferences';

const BASE = 'https://ehr.example.org/fhir/R4';
const context: FhirMappingContext = {
  defaultCountry: 'US',
  defaultTimezone: 'America/Denver',
  receivedAt: '2026-11-20T18:05:00.000Z',
  ehrFhirBaseUrl: BASE,
};

function referencingAppointment(): Appointment {
  return {
    resourceType: 'Appointment',
    id: 'A-77',
    meta: { versionId: '4', lastUpdated: '2026-11-20T18:00:00.000Z' },
    status: 'booked',
    start: '2026-12-04T09:30:00-07:00',
    participant: [
      { actor: { reference: 'Patient/example' }, status: 'accepted' },
      { actor: { reference: `${BASE}/Practitioner/dr-lee` }, status: 'accepted' },
      { actor: { reference: 'Location/main', display: 'Main clinic' }, status: 'accepted' },
    ],
  };
}

const patient: Patient = {
  resourceType: 'Patient',
  id: 'example',
  name: [{ use: 'official', family: 'Chalmers', given: ['Peter'] }],
  telecom: [{ system: 'phone', value: '(303) 555-0123', use: 'mobile' }],
};

describe('readTarget: what is read from FHIR_BASE_URL', () => {
  test.each([
    ['Patient/example', { kind: 'relative', type: 'Patient', id: 'example' }],
    ['Location/L-1/_history/3', { kind: 'relative', type: 'Location', id: 'L-1', versionId: '3' }],
    [
      `${BASE}/PractitionerRole/r1`,
      { kind: 'absolute', type: 'PractitionerRole', url: `${BASE}/PractitionerRole/r1` },
    ],
    // Host names are case-insensitive; URL normalisation says so.
    [
      'https://EHR.example.org/fhir/R4/Patient/x',
      { kind: 'absolute', type: 'Patient', url: `${BASE}/Patient/x` },
    ],
  ])('%s is read', (reference, target) => {
    expect(readTarget(reference, BASE)).toEqual(target);
    expect(readTarget(reference, `${BASE}/`)).toEqual(target);
  });

  test.each([
    'https://evil.example.org/fhir/R4/Patient/x', // another server: the token must never go there
    'http://ehr.example.org/fhir/R4/Patient/x', // another scheme
    'https://ehr.example.org:8443/fhir/R4/Patient/x', // another port
    'https://ehr.example.org/fhir/R4-other/Patient/x', // a look-alike path
    'https://ehr.example.org/fhir/R4/../admin/Patient/x', // leaves the base once normalised
    'https://user:pw@ehr.example.org/fhir/R4/Patient/x',
    `${BASE}/Patient/x?_format=xml`,
    `${BASE}/Patient`,
    'Observation/1', // not a type the mapping reads
    'urn:uuid:0d6f4a2c-6a1e-4e8b-8f3a-000000000001',
    '#pat',
    'Patient/../../x',
  ])('%s is refused', (reference) => {
    expect(readTarget(reference, BASE)).toMatchObject({ kind: 'refused' });
  });
});

describe('keepMappedFields', () => {
  test('keeps what the mapping reads and drops the rest', () => {
    const full = {
      ...patient,
      meta: { versionId: '9' },
      text: { status: 'generated', div: '<div>Peter Chalmers, 1974-12-25</div>' },
      birthDate: '1974-12-25',
      address: [{ line: ['534 Erewhon St'] }],
      communication: [{ language: { coding: [{ code: 'en' }] }, preferred: true }],
      identifier: [{ value: 'MRN-1' }],
    };
    expect(keepMappedFields(full, 'Patient')).toEqual({
      resourceType: 'Patient',
      id: 'example',
      identifier: [{ value: 'MRN-1' }],
      name: patient.name,
      telecom: patient.telecom,
      communication: full.communication,
    });
    expect(
      keepMappedFields(
        { resourceType: 'Location', id: 'L', name: 'Main', address: { city: 'Denver' }, telecom: [{}] },
        'Location',
      ),
    ).toEqual({ resourceType: 'Location', id: 'L', name: 'Main', address: { city: 'Denver' } });
    expect(
      keepMappedFields(
        {
          resourceType: 'PractitionerRole',
          id: 'r',
          practitioner: { reference: 'Practitioner/p' },
          code: [],
        },
        'PractitionerRole',
      ),
    ).toEqual({ resourceType: 'PractitionerRole', id: 'r', practitioner: { reference: 'Practitioner/p' } });
  });

  test('another resource type than the one referenced is not kept', () => {
    expect(keepMappedFields(patient, 'Practitioner')).toBeUndefined();
    expect(keepMappedFields({ resourceType: 'OperationOutcome' }, 'Patient')).toBeUndefined();
    expect(keepMappedFields('Patient', 'Patient')).toBeUndefined();
  });
});

describe('withResolvedResources: one self-contained Bundle', () => {
  test('a lone Appointment becomes the first entry of a collection, each read an entry named by its reference', () => {
    const appointment = referencingAppointment();
    const bundle = withResolvedResources(appointment, { 'Patient/example': { ...patient } });
    expect(bundle).toEqual({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: appointment }, { fullUrl: 'Patient/example', resource: patient }],
    });
  });

  test('a Bundle keeps its type and entries, and the posted input is not changed', () => {
    const posted: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:1', resource: referencingAppointment() }],
    };
    const before = JSON.stringify(posted);
    const bundle = withResolvedResources(posted, { 'Patient/example': { ...patient } });
    expect(bundle).toMatchObject({
      type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:1' }, { fullUrl: 'Patient/example' }],
    });
    expect(JSON.stringify(posted)).toBe(before);
  });

  test('the mapper resolves the references against it, relative and absolute', () => {
    const bundle = withResolvedResources(referencingAppointment(), {
      'Patient/example': { ...patient },
      [`${BASE}/Practitioner/dr-lee`]: {
        resourceType: 'Practitioner',
        id: 'dr-lee',
        name: [{ family: 'Lee', given: ['Ann'] }],
        telecom: [{ system: 'phone', value: '303-555-0100', use: 'work' }],
      },
      'Location/main': { resourceType: 'Location', id: 'main', name: 'Valley Clinic Main' },
    });
    const mapped = mapFhirAppointment(bundle, context);
    if (!mapped.ok) throw new Error(JSON.stringify(mapped.problems));
    expect(mapped.unresolved).toBeUndefined();
    expect(mapped.event).toMatchObject({
      eventId: 'Appointment/A-77/_history/4',
      appointmentId: 'A-77',
      patient: { id: 'example', firstName: 'Peter', lastName: 'Chalmers', phone: '+13035550123' },
      provider: { id: 'dr-lee', firstName: 'Ann', lastName: 'Lee', callbackPhone: '+13035550100' },
      location: 'Valley Clinic Main',
    });
  });
});

describe('the mapper lists what the EHR could resolve', () => {
  test('references only: every one listed, with the event id fixed now', () => {
    const mapped = mapFhirAppointment(referencingAppointment(), context);
    expect(mapped.ok).toBe(false);
    expect(mapped.unresolved).toEqual({
      references: ['Patient/example', `${BASE}/Practitioner/dr-lee`, 'Location/main'],
      appointmentId: 'A-77',
      eventId: 'Appointment/A-77/_history/4',
    });
    expect(fhirIngestWorkflowId('Appointment/A-77/_history/4')).toBe(
      'fhir-ingest-Appointment/A-77/_history/4',
    );
  });

  test('without FHIR_BASE_URL nothing is listed: refused as before', () => {
    const { ehrFhirBaseUrl: _unset, ...withoutBase } = context;
    const mapped = mapFhirAppointment(referencingAppointment(), withoutBase);
    expect(mapped).toEqual({
      ok: false,
      problems: [
        expect.objectContaining({
          code: 'invalid',
          expression: 'Appointment.participant[0].actor.reference',
        }),
      ],
    });
  });

  test('a Patient on another server is not listed (never read), so refused at once', () => {
    const appointment = referencingAppointment();
    appointment.participant[0] = {
      actor: { reference: 'https://other.example.org/fhir/Patient/x' },
      status: 'accepted',
    };
    const mapped = mapFhirAppointment(appointment, context);
    expect(mapped.ok).toBe(false);
    expect(mapped.unresolved).toBeUndefined();
  });

  test('another problem besides the references: refused with every problem, nothing listed', () => {
    const appointment: Appointment = { ...referencingAppointment(), start: '2026-12-04T09:30:00' };
    const mapped = mapFhirAppointment(appointment, context);
    expect(mapped.ok).toBe(false);
    expect(mapped.unresolved).toBeUndefined();
    if (!mapped.ok) expect(mapped.problems.map((p) => p.expression)).toContain('Appointment.start');
  });

  test('the patient sent, the provider and location referenced: an event now, and the references listed', () => {
    const appointment: Appointment = {
      ...referencingAppointment(),
      contained: [{ ...patient, id: 'pat' }],
    };
    appointment.participant[0] = { actor: { reference: '#pat' }, status: 'accepted' };
    const mapped = mapFhirAppointment(appointment, context);
    expect(mapped.ok).toBe(true);
    expect(mapped.unresolved?.references).toEqual([`${BASE}/Practitioner/dr-lee`, 'Location/main']);
  });

  test('a PractitionerRole read leads to its Practitioner', () => {
    const appointment = referencingAppointment();
    appointment.participant[1] = { actor: { reference: 'PractitionerRole/r1' }, status: 'accepted' };
    const first = mapFhirAppointment(appointment, context);
    expect(first.unresolved?.references).toEqual(['Patient/example', 'PractitionerRole/r1', 'Location/main']);
    const second = mapFhirAppointment(
      withResolvedResources(appointment, {
        'Patient/example': { ...patient },
        'PractitionerRole/r1': {
          resourceType: 'PractitionerRole',
          id: 'r1',
          practitioner: { reference: 'Practitioner/p9' },
          telecom: [{ system: 'phone', value: '303-555-0111' }],
        },
        'Location/main': { resourceType: 'Location', id: 'main', name: 'Main' },
      }),
      context,
    );
    expect(second.ok).toBe(true);
    expect(second.unresolved?.references).toEqual(['Practitioner/p9']);
    if (second.ok) expect(second.event.provider).toEqual({ id: 'p9', callbackPhone: '+13035550111' });
  });

  test('without meta.versionId the event id is a hash of the resource as posted, the same for a resend', () => {
    const appointment = referencingAppointment();
    delete appointment.meta;
    const first = mapFhirAppointment(appointment, context).unresolved?.eventId;
    expect(first).toMatch(/^Appointment\/A-77\/sha256-[0-9a-f]{32}$/);
    expect(mapFhirAppointment(JSON.parse(JSON.stringify(appointment)), context).unresolved?.eventId).toBe(
      first,
    );
    const changed = { ...appointment, start: '2026-12-05T09:30:00-07:00' };
    expect(mapFhirAppointment(changed, context).unresolved?.eventId).not.toBe(first);
  });
});
