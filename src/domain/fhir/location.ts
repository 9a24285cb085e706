/**
 * Where: the participant whose actor is a Location. EHRs name places in several ways (a name, only an address,
 * or only the reference's display text when the Location is not sent), and the text needs one line.
 */
import { FIELD_LIMITS } from '../events/ingestRules';
import { actorType, type Participant } from './references';
import { noteUnresolved, type Scope } from './scope';
import { locationSchema, parseAs } from './shapes';

/** Location.name, else its address text (or lines and city), else the reference's display. */
export function readLocation(participants: Participant[], scope: Scope): string | undefined {
  const participant = participants.find((p) => actorType(p) === 'Location');
  if (!participant) return undefined;
  let text: string | undefined;
  let expression = `${participant.actorPath}.display`;
  if (participant.resolved) {
    const location = parseAs(locationSchema, participant.resolved, scope.problems);
    if (!location) return undefined;
    const address = location.address;
    const addressLines = [...(address?.line ?? []), address?.city].filter((part) => part?.trim());
    text =
      location.name?.trim() ||
      address?.text?.trim() ||
      (addressLines.length > 0 ? addressLines.map((part) => part?.trim()).join(', ') : undefined);
    expression = `${participant.resolved.path}.name`;
  } else {
    noteUnresolved(scope, participant.reference);
    text = participant.display?.trim() || undefined;
  }
  if (text !== undefined && text.length > FIELD_LIMITS.location) {
    scope.problems.push({
      code: 'value',
      diagnostics: `The location name must be at most ${FIELD_LIMITS.location} characters`,
      expression,
    });
    return undefined;
  }
  return text;
}
