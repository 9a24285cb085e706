/** Fuzz inputs for the FHIR ingresses: Appointments POSTed to /v1/ehr/fhir, and Subscription notifications. */
import fc from 'fast-check';
import { r4BackportNotification, r5Notification } from '../helpers/fhirNotifications';
import { anyText, hexId, sometimes, type Json } from './mutations';
import {
  FHIR_SEED_IDS,
  appointmentId,
  authenticates,
  authorization,
  bodyOf,
  headersOf,
  httpCase,
  localDateTime,
  patientPhone,
  type EhrContext,
  type HttpCase,
} from './ehrCommon';

const fhirStatus = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'booked',
      'booked',
      'cancelled',
      'noshow',
      'arrived',
      'fulfilled',
      'entered-in-error',
      'checked-in',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom('proposed', 'pending', 'waitlist', 'BOOKED', '', 'unknown') },
);

const fhirInstant: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: localDateTime.map((t) => `${t}-07:00`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2031-03-04T09:30:00Z',
      '2031-03-04T09:30:00.123+05:45',
      '2031-03-04',
      '2031-03-04T09:30:00',
      '2031-03-04T25:30:00Z',
      '2031-03-04T09:30:00+99:00',
      '1900-01-01T00:00:00Z',
    ),
  },
  { weight: 1, arbitrary: anyText },
);

export interface AppointmentParams {
  id: string;
  versionId: string | null;
  lastUpdated: string | null;
  status: string;
  start: string | null;
  phone: string;
  shape: 'contained' | 'bundle' | 'references' | 'absolute' | 'elsewhere';
  bundleType: string;
  timezone: string | null;
}

export const appointmentParams: fc.Arbitrary<AppointmentParams> = fc.record({
  id: appointmentId,
  versionId: fc.option(
    hexId(10).map((h) => `FZV${h}`),
    { freq: 8 },
  ),
  lastUpdated: fc.option(
    fc.constantFrom(
      '2030-06-01T10:00:00Z',
      '2030-06-01T10:00:00.5+02:00',
      '2030-06-01T10:00:00Z',
      'yesterday',
    ),
    { freq: 2 },
  ),
  status: fhirStatus,
  start: fc.option(fhirInstant, { freq: 8 }),
  phone: patientPhone,
  shape: fc.constantFrom('contained', 'contained', 'bundle', 'bundle', 'references', 'absolute', 'elsewhere'),
  bundleType: fc.constantFrom(
    'collection',
    'transaction',
    'batch',
    'message',
    'collection',
    'transaction',
    'searchset',
  ),
  timezone: sometimes(
    fc.constantFrom('America/Denver', 'Europe/Madrid', 'America/Denver', 'Mars/Phobos', ''),
    3,
  ),
});

function patientResource(id: string, phone: string): Json {
  return {
    resourceType: 'Patient',
    id,
    name: [{ use: 'official', family: 'Fuzz', given: ['Ana'] }],
    telecom: [{ system: 'phone', value: phone, use: 'mobile' }],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es' }] }, preferred: true }],
  };
}

const practitionerResource = (id: string): Json => ({
  resourceType: 'Practitioner',
  id,
  name: [{ family: 'Kim', given: ['Jo'] }],
  telecom: [{ system: 'phone', value: '303-555-0100', use: 'work' }],
});

const locationResource = (id: string): Json => ({ resourceType: 'Location', id, name: 'Fuzz Clinic' });

/** A valid FHIR Appointment in one of the accepted packagings (or referencing the EHR, or another server). */
export function appointmentDocument(p: AppointmentParams, context: EhrContext): Json {
  const appointment: { [key: string]: Json } = {
    resourceType: 'Appointment',
    id: p.id,
    status: p.status,
  };
  const meta: { [key: string]: Json } = {};
  if (p.versionId !== null) meta.versionId = p.versionId;
  if (p.lastUpdated !== null) meta.lastUpdated = p.lastUpdated;
  if (Object.keys(meta).length > 0) appointment.meta = meta;
  if (p.start !== null) appointment.start = p.start;
  if (p.timezone !== null) {
    appointment.extension = [
      { url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: p.timezone },
    ];
  }
  const participants = (refs: string[]): Json =>
    refs.map((reference) => ({ actor: { reference }, status: 'accepted' }));
  const seeds = [
    `Patient/${FHIR_SEED_IDS.patient}`,
    `Practitioner/${FHIR_SEED_IDS.practitioner}`,
    `Location/${FHIR_SEED_IDS.location}`,
  ];
  switch (p.shape) {
    case 'contained':
      appointment.contained = [
        patientResource('p', p.phone),
        practitionerResource('d'),
        locationResource('l'),
      ];
      appointment.participant = participants(['#p', '#d', '#l']);
      return appointment;
    case 'references':
      appointment.participant = participants(seeds);
      return appointment;
    case 'absolute':
      appointment.participant = participants(seeds.map((s) => `${context.fhirBaseUrl}/${s}`));
      return appointment;
    case 'elsewhere':
      appointment.participant = participants(seeds.map((s) => `https://ehr.elsewhere.example/fhir/${s}`));
      return appointment;
    case 'bundle': {
      const urls = [
        'urn:uuid:6f1c1f4e-0000-4000-8000-000000000001',
        'urn:uuid:6f1c1f4e-0000-4000-8000-000000000002',
        'urn:uuid:6f1c1f4e-0000-4000-8000-000000000003',
      ];
      appointment.participant = participants(urls);
      return {
        resourceType: 'Bundle',
        type: p.bundleType,
        entry: [
          { fullUrl: 'urn:uuid:6f1c1f4e-0000-4000-8000-0000000000aa', resource: appointment },
          { fullUrl: urls[0] as string, resource: patientResource('bp', p.phone) },
          { fullUrl: urls[1] as string, resource: practitionerResource('bd') },
          { fullUrl: urls[2] as string, resource: locationResource('bl') },
        ],
      };
    }
  }
}

const fhirContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.constantFrom('application/fhir+json', 'application/json', 'application/json+fhir'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/fhir+json; fhirVersion=4.0',
      'application/fhir+xml',
      'text/plain',
      undefined,
      'application/fhir+json; charset=utf-16',
    ),
  },
);

export function fhirCase(context: EhrContext): fc.Arbitrary<HttpCase> {
  const document = appointmentParams.map((p) => appointmentDocument(p, context));
  return fc
    .tuple(bodyOf(document), fhirContentType, authorization)
    .map(([{ body, shape }, contentType, auth]) =>
      httpCase(
        'fhir',
        shape,
        { method: 'POST', path: '/v1/ehr/fhir', headers: headersOf(contentType, auth), body },
        !authenticates(auth),
      ),
    );
}

// ----- FHIR Subscription notifications ----------------------------------------------------------------------

const notificationType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('event-notification') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('handshake', 'heartbeat', 'query-status', 'query-event', 'unknown', ''),
  },
);

/** A notification body and where it is sent (the base endpoint, or a rest-hook URL naming the Appointment). */
export interface NotificationParams {
  kind: 'r5-full' | 'r5-id-only' | 'backport' | 'bare' | 'rest-hook-put' | 'rest-hook-empty';
  type: string;
  eventNumber: string;
  appointment: AppointmentParams;
  /** The id in a rest-hook URL: encoded text, or raw bytes (malformed escapes). */
  urlId: { raw: boolean; value: string };
}

export const notificationParams: fc.Arbitrary<NotificationParams> = fc.record({
  kind: fc.constantFrom(
    'r5-full',
    'r5-full',
    'r5-id-only',
    'backport',
    'bare',
    'rest-hook-put',
    'rest-hook-empty',
  ),
  type: notificationType,
  eventNumber: fc.integer({ min: 1, max: 999_999 }).map(String),
  appointment: appointmentParams.map((p) => ({
    ...p,
    shape: p.shape === 'bundle' ? ('contained' as const) : p.shape,
  })),
  urlId: fc.oneof(
    { weight: 6, arbitrary: fc.constant({ raw: false, value: '' }) },
    { weight: 2, arbitrary: anyText.map((value) => ({ raw: false, value })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('%', '%zz', '%E0%A4%A', '..', '.', 'a%2Fb', '%00', 'x'.repeat(70))
        .map((value) => ({ raw: true, value })),
    },
  ),
});

function notificationDocument(p: NotificationParams, context: EhrContext): Json | undefined {
  const appointment = appointmentDocument(p.appointment, context);
  const reference = `Appointment/${p.appointment.id}`;
  const content = {
    type: p.type,
    subscription: 'Subscription/fuzz',
    events: [{ eventNumber: p.eventNumber, focus: reference }],
  };
  const withResource: Json[] = [{ fullUrl: `${context.fhirBaseUrl}/${reference}`, resource: appointment }];
  switch (p.kind) {
    case 'r5-full':
      return r5Notification({ ...content, entries: withResource });
    case 'r5-id-only':
      return r5Notification(content);
    case 'backport':
      return r4BackportNotification({ ...content, entries: withResource });
    case 'bare':
    case 'rest-hook-put':
      return appointment;
    case 'rest-hook-empty':
      return undefined;
  }
}

function notificationPath(p: NotificationParams): string {
  if (p.kind === 'r5-full' || p.kind === 'r5-id-only' || p.kind === 'backport' || p.kind === 'bare') {
    return '/v1/ehr/fhir/notifications';
  }
  const id = p.urlId.value === '' ? p.appointment.id : p.urlId.value;
  const segment = p.urlId.raw ? id : encodeURIComponent(id);
  return `/v1/ehr/fhir/notifications/Appointment/${segment}`;
}

export function fhirNotificationCase(context: EhrContext): fc.Arbitrary<HttpCase> {
  return fc.tuple(notificationParams, fhirContentType, authorization).chain(([params, contentType, auth]) => {
    const document = notificationDocument(params, context);
    const body: fc.Arbitrary<{ body?: Buffer; shape: string }> =
      document === undefined
        ? fc.constantFrom(
            { shape: `${params.kind}:empty` },
            { body: Buffer.from('{}'), shape: `${params.kind}:{}` },
          )
        : bodyOf(fc.constant(document), 1).map(({ body: b, shape }) => ({
            body: b,
            shape: `${params.kind}:${shape}`,
          }));
    return body.map(({ body: b, shape }) =>
      httpCase(
        'fhirNotifications',
        shape,
        {
          method: params.kind === 'rest-hook-put' ? 'PUT' : 'POST',
          path: notificationPath(params),
          headers: headersOf(b === undefined ? undefined : contentType, auth),
          ...(b === undefined ? {} : { body: b }),
        },
        !authenticates(auth),
      ),
    );
  });
}
