/**
 * FHIR Subscription notifications → the Appointments they are about. Pure: reads what an EHR posts
 * to our notification endpoint and says which Appointments to apply, given in full or only named.
 *
 * - R4B/R5 topic-based: a Bundle of type `subscription-notification` whose first entry is a
 *   SubscriptionStatus (`type` handshake | heartbeat | event-notification | query-status | query-event).
 * - The R4 backport (Subscriptions R5 Backport IG): a Bundle of type `history` whose first entry is
 *   a Parameters resource with the same information (`type`, `notification-event`.`focus`).
 * - R4 rest-hook: the Appointment itself (`full-resource`), or nothing at all (`empty`): the URL
 *   then names it (`…/Appointment/<id>`, as servers that PUT to `endpoint/[type]/[id]` do).
 *
 * A full resource comes with the notification's other entries, so a Patient sent alongside resolves.
 */
import { isJsonObject, type Json } from './json';

export type NotificationType =
  'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

/** One Appointment to apply: its resource (with the entries sent beside it), or only its reference. */
export type NotifiedAppointment =
  { kind: 'resource'; bundle: CollectionBundle } | { kind: 'reference'; reference: string };

export interface CollectionBundle {
  resourceType: 'Bundle';
  type: 'collection';
  entry: Array<{ fullUrl?: string; resource: Record<string, unknown> }>;
}

export type NotificationReading =
  | { ok: true; type: NotificationType; appointments: NotifiedAppointment[] }
  | { ok: false; diagnostics: string; expression?: string };

const NOTIFICATION_TYPES: ReadonlySet<string> = new Set([
  'handshake',
  'heartbeat',
  'event-notification',
  'query-status',
  'query-event',
]);

/**
 * `body` as parsed JSON (undefined for an empty body); `urlReference` the `Appointment/<id>` the
 * request URL names, if any.
 */
export function readNotification(body: unknown, urlReference?: string): NotificationReading {
  if (body === undefined || (isJsonObject(body) && Object.keys(body).length === 0)) {
    // R4 rest-hook with an empty payload: only the URL can name the appointment.
    return urlReference
      ? {
          ok: true,
          type: 'event-notification',
          appointments: [{ kind: 'reference', reference: urlReference }],
        }
      : { ok: true, type: 'heartbeat', appointments: [] };
  }
  if (!isJsonObject(body))
    return { ok: false, diagnostics: 'The notification must be a FHIR resource (a JSON object)' };
  if (body.resourceType === 'Appointment') {
    return {
      ok: true,
      type: 'event-notification',
      appointments: [{ kind: 'resource', bundle: collection([{ resource: body }]) }],
    };
  }
  if (body.resourceType !== 'Bundle') {
    return {
      ok: false,
      diagnostics: 'A notification is a subscription-notification or history Bundle, or an Appointment',
      // Echoed only when it has a resource type's shape: the sender's text reaches the answer and the log.
      expression:
        typeof body.resourceType === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(body.resourceType)
          ? body.resourceType
          : 'resourceType',
    };
  }
  const entries = Array.isArray(body.entry) ? body.entry.filter(isJsonObject) : [];
  const status = isJsonObject(entries[0]?.resource) ? entries[0].resource : undefined;
  const read =
    body.type === 'subscription-notification' && status?.resourceType === 'SubscriptionStatus'
      ? readSubscriptionStatus(status)
      : body.type === 'history' && status?.resourceType === 'Parameters'
        ? readBackportParameters(status)
        : undefined;
  if (!read) {
    return {
      ok: false,
      diagnostics:
        'A notification Bundle is of type subscription-notification (first entry a SubscriptionStatus) or history (first entry a Parameters, the R4 backport)',
      expression: 'Bundle.type',
    };
  }
  if (read.type !== 'event-notification' && read.type !== 'query-event') {
    return { ok: true, type: read.type, appointments: [] };
  }
  const rest = entries
    .slice(1)
    .flatMap((e) =>
      isJsonObject(e.resource)
        ? [{ ...(typeof e.fullUrl === 'string' ? { fullUrl: e.fullUrl } : {}), resource: e.resource }]
        : [],
    );
  const appointments: NotifiedAppointment[] = [];
  const seen = new Set<string>();
  for (const focus of read.focus) {
    if (!/(^|\/)Appointment\/[^/]+(\/_history\/[^/]+)?$/.test(focus) || seen.has(focus)) continue;
    seen.add(focus);
    const sent = rest.find((e) => matches(e, focus));
    appointments.push(
      sent
        ? {
            kind: 'resource',
            bundle: collection([
              sent,
              ...rest.filter((e) => e !== sent && e.resource.resourceType !== 'Appointment'),
            ]),
          }
        : { kind: 'reference', reference: withoutHistory(focus) },
    );
  }
  // full-resource notifications without focus (some servers): every Appointment entry sent.
  if (read.focus.length === 0) {
    for (const entry of rest.filter((e) => e.resource.resourceType === 'Appointment')) {
      appointments.push({
        kind: 'resource',
        bundle: collection([entry, ...rest.filter((e) => e.resource.resourceType !== 'Appointment')]),
      });
    }
  }
  return { ok: true, type: read.type, appointments };
}

function readSubscriptionStatus(status: Json): { type: NotificationType; focus: string[] } | undefined {
  if (typeof status.type !== 'string' || !NOTIFICATION_TYPES.has(status.type)) return undefined;
  const events = Array.isArray(status.notificationEvent) ? status.notificationEvent.filter(isJsonObject) : [];
  return {
    type: status.type as NotificationType,
    focus: events.flatMap((e) =>
      isJsonObject(e.focus) && typeof e.focus.reference === 'string' ? [e.focus.reference] : [],
    ),
  };
}

function readBackportParameters(parameters: Json): { type: NotificationType; focus: string[] } | undefined {
  const parts = Array.isArray(parameters.parameter) ? parameters.parameter.filter(isJsonObject) : [];
  const type = parts.find((p) => p.name === 'type')?.valueCode;
  if (typeof type !== 'string' || !NOTIFICATION_TYPES.has(type)) return undefined;
  const focus = parts
    .filter((p) => p.name === 'notification-event')
    .flatMap((p) => (Array.isArray(p.part) ? p.part.filter(isJsonObject) : []))
    .filter((part) => part.name === 'focus' && isJsonObject(part.valueReference))
    .flatMap((part) => {
      const reference = (part.valueReference as Json).reference;
      return typeof reference === 'string' ? [reference] : [];
    });
  return { type: type as NotificationType, focus };
}

/** An entry is the focus when its fullUrl ends with the reference, or its type and id make it. */
function matches(entry: { fullUrl?: string; resource: Json }, focus: string): boolean {
  const reference = withoutHistory(focus);
  if (entry.fullUrl !== undefined && withoutHistory(entry.fullUrl).endsWith(reference)) return true;
  const { resourceType, id } = entry.resource;
  return typeof id === 'string' && reference.endsWith(`${String(resourceType)}/${id}`);
}

function withoutHistory(reference: string): string {
  return reference.replace(/\/_history\/[^/]+$/, '');
}

function collection(entry: CollectionBundle['entry']): CollectionBundle {
  return { resourceType: 'Bundle', type: 'collection', entry };
}
