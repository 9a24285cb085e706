/**
 * The provider: the first Practitioner or PractitionerRole participant (a role leads to its Practitioner), and
 * the number patients may call. Everything about the provider is optional: what cannot be resolved is left
 * out, never a reason to refuse the text.
 */
import type { AppointmentEvent } from '../../shared/appointment';
import { FIELD_LIMITS, normalisePhone } from '../events/ingestRules';
import { readName, type PersonName } from './names';
import {
  TYPED_REFERENCE,
  actorType,
  resolveReference,
  resourceId,
  type Located,
  type Participant,
} from './references';
import { noteUnresolved, type Scope } from './scope';
import { parseAs, practitionerRoleSchema, practitionerSchema, type TelecomRead } from './shapes';

export function readProvider(
  participants: Participant[],
  scope: Scope,
): AppointmentEvent['provider'] | undefined {
  const { problems, context } = scope;
  const participant = participants.find((p) =>
    ['Practitioner', 'PractitionerRole'].includes(actorType(p) ?? ''),
  );
  if (!participant) return undefined;

  let practitionerLocated: Located | undefined;
  let practitionerReference = participant.reference;
  let callbackPhone: string | undefined;
  if (actorType(participant) === 'PractitionerRole') {
    if (!participant.resolved) {
      noteUnresolved(scope, participant.reference);
      return undefined; // a role we cannot see names nobody
    }
    const role = parseAs(practitionerRoleSchema, participant.resolved, problems);
    if (!role) return undefined;
    callbackPhone = readCallbackPhone(role.telecom, true, context.defaultCountry);
    practitionerReference = role.practitioner?.reference?.trim() || undefined;
    practitionerLocated =
      practitionerReference === undefined
        ? undefined
        : resolveReference(practitionerReference, participant.resolved, scope.entries);
  } else {
    practitionerLocated = participant.resolved;
  }
  if (!practitionerLocated) noteUnresolved(scope, practitionerReference);

  let id: string | undefined;
  let name: PersonName = {};
  if (practitionerLocated && practitionerLocated.resource.resourceType === 'Practitioner') {
    const practitioner = parseAs(practitionerSchema, practitionerLocated, problems);
    if (!practitioner) return undefined;
    id = resourceId(practitioner, practitionerLocated, practitionerReference);
    const read = readName(practitioner.name, practitionerLocated.path, problems);
    if (!read) return undefined;
    name = read.value;
    callbackPhone ??= readCallbackPhone(practitioner.telecom, false, context.defaultCountry);
  } else if (practitionerReference !== undefined) {
    id = TYPED_REFERENCE.exec(practitionerReference)?.[2];
  }
  // An id too long to keep is left out like anything else about the provider that cannot be read.
  if (id !== undefined && id.length > FIELD_LIMITS.identifier) id = undefined;
  const provider = {
    ...(id === undefined ? {} : { id }),
    ...name,
    ...(callbackPhone === undefined ? {} : { callbackPhone }),
  };
  return Object.keys(provider).length > 0 ? provider : undefined;
}

/**
 * The number patients may call: a work phone (a role's telecom is the work number even without `use`). A
 * practitioner's home or mobile number is never given to patients. Invalid numbers are skipped.
 */
function readCallbackPhone(
  telecom: TelecomRead[] | undefined,
  isRole: boolean,
  defaultCountry: string,
): string | undefined {
  const candidates = (telecom ?? [])
    .filter((c) => c.system === 'phone' && (c.use === 'work' || (isRole && c.use === undefined)))
    .sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER));
  for (const contact of candidates) {
    const phone = contact.value?.trim() ? normalisePhone(contact.value.trim(), defaultCountry) : undefined;
    if (phone !== undefined) return phone;
  }
  return undefined;
}
