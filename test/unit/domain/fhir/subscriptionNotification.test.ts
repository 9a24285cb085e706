import { readNotification } from '../../../../src/domain/fhir/subscriptionNotification';
import * as notifications from '../../../helpers/fhirNotifications';

const appointment = { resourceType: 'Appointment', id: 'A7', status: 'booked' };
const patient = { resourceType: 'Patient', id: 'P7' };

const SUBSCRIPTION = 'Subscription/appointments';

/** An R4B/R5 topic-based notification: SubscriptionStatus first, then what content the subscription asked for. */
function r5Notification(type: string, focus: string[], rest: notifications.JsonValue[] = []) {
  const events = focus.map((reference, i) => ({ eventNumber: String(i + 1), focus: reference }));
  return notifications.r5Notification({ type, subscription: SUBSCRIPTION, events, entries: rest });
}

/** The R4 backport: a history Bundle whose first entry is a Parameters resource (every event number 1). */
function r4BackportNotification(type: string, focus: string[]) {
  const events = focus.map((reference) => ({ eventNumber: '1', focus: reference }));
  return notifications.r4BackportNotification({ type, subscription: SUBSCRIPTION, events });
}

describe('readNotification', () => {
  test('R5 full-resource: the Appointment with the entries sent beside it (its Patient resolves)', () => {
    const read = readNotification(
      r5Notification(
        'event-notification',
        ['Appointment/A7/_history/3'],
        [
          { fullUrl: 'https://ehr.example.org/fhir/Appointment/A7', resource: appointment },
          { fullUrl: 'https://ehr.example.org/fhir/Patient/P7', resource: patient },
        ],
      ),
    );
    expect(read).toEqual({
      ok: true,
      type: 'event-notification',
      appointments: [
        {
          kind: 'resource',
          bundle: {
            resourceType: 'Bundle',
            type: 'collection',
            entry: [
              { fullUrl: 'https://ehr.example.org/fhir/Appointment/A7', resource: appointment },
              { fullUrl: 'https://ehr.example.org/fhir/Patient/P7', resource: patient },
            ],
          },
        },
      ],
    });
  });

  test('R5 id-only: the Appointment named, to be read from the EHR; the same focus twice is read once', () => {
    const read = readNotification(
      r5Notification('event-notification', ['Appointment/A7', 'Appointment/A7', 'Patient/P7']),
    );
    expect(read).toEqual({
      ok: true,
      type: 'event-notification',
      appointments: [{ kind: 'reference', reference: 'Appointment/A7' }],
    });
  });

  test('R4 backport id-only (Parameters), absolute references and a version suffix', () => {
    const read = readNotification(
      r4BackportNotification('event-notification', [
        'https://ehr.example.org/fhir/Appointment/A8/_history/2',
      ]),
    );
    expect(read).toEqual({
      ok: true,
      type: 'event-notification',
      appointments: [{ kind: 'reference', reference: 'https://ehr.example.org/fhir/Appointment/A8' }],
    });
  });

  test.each(['handshake', 'heartbeat', 'query-status'])('a %s is acknowledged and names nothing', (type) => {
    expect(readNotification(r5Notification(type, []))).toEqual({ ok: true, type, appointments: [] });
    expect(readNotification(r4BackportNotification(type, []))).toEqual({ ok: true, type, appointments: [] });
  });

  test('R4 rest-hook: an empty body names the Appointment in the URL, or nothing; a full one is the resource', () => {
    expect(readNotification(undefined, 'Appointment/A9')).toEqual({
      ok: true,
      type: 'event-notification',
      appointments: [{ kind: 'reference', reference: 'Appointment/A9' }],
    });
    expect(readNotification({}, undefined)).toEqual({ ok: true, type: 'heartbeat', appointments: [] });
    expect(readNotification(appointment, 'Appointment/A7')).toEqual({
      ok: true,
      type: 'event-notification',
      appointments: [
        {
          kind: 'resource',
          bundle: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: appointment }] },
        },
      ],
    });
  });

  test('anything else is refused with a reason', () => {
    for (const body of [[], 'x', patient, { resourceType: 'Bundle', type: 'transaction', entry: [] }]) {
      const read = readNotification(body);
      expect(read.ok).toBe(false);
    }
    expect(readNotification(r5Notification('unknown-type', []))).toMatchObject({
      ok: false,
      expression: 'Bundle.type',
    });
    // The sender's text is echoed only when it looks like a resource type (it reaches the log).
    expect(readNotification({ resourceType: 'Ana Rose +13035550123' })).toMatchObject({
      ok: false,
      expression: 'resourceType',
    });
    expect(readNotification(patient)).toMatchObject({ ok: false, expression: 'Patient' });
  });
});
