/** Fuzz inputs for POST /v1/ehr/events: canonical JSON events, near-valid (mutated) or garbage. */
import fc from 'fast-check';
import { EHR_EVENT_TYPES } from '../../src/shared/appointment';
import { anyText, hexId, sometimes, type Json } from './mutations';
import {
  appointmentId,
  authenticates,
  authorization,
  bodyOf,
  headersOf,
  httpCase,
  localDateTime,
  patientPhone,
  zone,
  type HttpCase,
} from './ehrCommon';

const jsonContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/fhir+json',
      undefined,
    ),
  },
);

export const jsonEventDocument: fc.Arbitrary<Json> = fc
  .record({
    // BOOKED twice as often as the other types, then two the parser must normalise.
    eventType: fc.constantFrom('BOOKED', ...EHR_EVENT_TYPES, 'booked', ' canceled '),
    eventId: fc.option(
      hexId(12).map((h) => `FZJ-${h}`),
      { freq: 8 },
    ),
    eventAt: fc.option(
      fc
        .integer({ min: 0, max: 400 })
        .map((d) => new Date(Date.UTC(2030, 0, 1) + d * 86_400_000).toISOString()),
      { freq: 3 },
    ),
    appointmentId,
    timing: fc.option(fc.tuple(localDateTime, zone), { freq: 8 }),
    location: fc.option(fc.constantFrom('Fuzz Clinic', 'Sala 3 — Planta 2'), { freq: 2 }),
    patientId: fc.oneof(
      { weight: 5, arbitrary: hexId(6).map((h) => `FZPAT-${h}`) },
      { weight: 1, arbitrary: anyText },
    ),
    phone: fc.option(patientPhone, { freq: 10 }),
    language: fc.option(fc.constantFrom('en', 'es', 'es-MX', 'fr', 'e', 'english'), { freq: 2 }),
    provider: fc.option(fc.constantFrom('Kim', 'Lee'), { freq: 2 }),
    callback: sometimes(fc.constantFrom('303-555-0100', '+1 800 555 0199', '303-555-0100', 'ext. 12'), 3),
  })
  .map((p) => {
    const doc: { [key: string]: Json } = {
      event_type: p.eventType,
      appointment_id: p.appointmentId,
      patient_id: p.patientId,
      patient_first_name: 'Ana',
      patient_last_name: 'Fuzz',
    };
    if (p.eventId !== null) doc.event_id = p.eventId;
    if (p.eventAt !== null) doc.event_datetime_utc = p.eventAt;
    if (p.timing !== null) [doc.appointment_datetime, doc.appointment_timezone] = p.timing;
    if (p.location !== null) doc.appointment_location = p.location;
    if (p.phone !== null) doc.patient_phone = p.phone;
    if (p.language !== null) doc.patient_language = p.language;
    if (p.provider !== null)
      Object.assign(doc, { provider_id: `DR-${p.provider}`, provider_last_name: p.provider });
    if (p.callback !== null) doc.provider_callback_phone = p.callback;
    return doc;
  });

export const jsonEventCase: fc.Arbitrary<HttpCase> = fc
  .tuple(bodyOf(jsonEventDocument), jsonContentType, authorization)
  .map(([{ body, shape }, contentType, auth]) =>
    httpCase(
      'jsonEvents',
      shape,
      {
        method: 'POST',
        path: '/v1/ehr/events',
        headers: headersOf(contentType, auth),
        body,
      },
      !authenticates(auth),
    ),
  );
