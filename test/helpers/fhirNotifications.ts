/**
 * FHIR Subscription notifications as an EHR sends them, built in one place for the unit, integration and fuzz
 * tests of /v1/ehr/fhir/notifications: the R4B/R5 topic-based Bundle and the R4 backport's history Bundle.
 */

/** JSON, as these documents go on the wire. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

export interface NotificationEvent {
  eventNumber: string;
  /** What the event is about, e.g. `Appointment/A7`. */
  focus: string;
}

export interface NotificationContent {
  /** event-notification, handshake, heartbeat... */
  type: string;
  /** The Subscription it reports for, e.g. `Subscription/appointments`. */
  subscription: string;
  events: readonly NotificationEvent[];
  /** Entries after the status: what a full-resource subscription sends beside it. */
  entries?: readonly JsonValue[];
}

/** R4B/R5 topic-based: a subscription-notification Bundle, its SubscriptionStatus first. */
export function r5Notification({
  type,
  subscription,
  events,
  entries = [],
}: NotificationContent): JsonObject {
  const notificationEvent: JsonObject[] = events.map(({ eventNumber, focus }) => ({
    eventNumber,
    focus: { reference: focus },
  }));
  return {
    resourceType: 'Bundle',
    type: 'subscription-notification',
    entry: [
      {
        resource: {
          resourceType: 'SubscriptionStatus',
          status: 'active',
          type,
          subscription: { reference: subscription },
          notificationEvent,
        },
      },
      ...entries,
    ],
  };
}

/** The R4 backport: a history Bundle whose first entry is a Parameters resource. */
export function r4BackportNotification({
  type,
  subscription,
  events,
  entries = [],
}: NotificationContent): JsonObject {
  const parameter: JsonObject[] = [
    { name: 'subscription', valueReference: { reference: subscription } },
    { name: 'type', valueCode: type },
    ...events.map(({ eventNumber, focus }): JsonObject => {
      const part: JsonObject[] = [
        { name: 'event-number', valueString: eventNumber },
        { name: 'focus', valueReference: { reference: focus } },
      ];
      return { name: 'notification-event', part };
    }),
  ];
  return {
    resourceType: 'Bundle',
    type: 'history',
    entry: [{ resource: { resourceType: 'Parameters', parameter } }, ...entries],
  };
}
