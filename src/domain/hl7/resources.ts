/**
 * Where and with whom: the SIU resource groups (AIL locations, AIP personnel, AIG general resources), with the
 * visit segment (PV1) as the fallback some feeds fill instead. Real feeds send several groups and mark removed
 * ones deleted, and put providers where the standard does not (AIG text), so the choice is spelled out here.
 */
import type { CanonicalEventBody } from '../events/canonicalEvent';
import type { Er7Message, Er7Repetition, Er7Segment } from './er7';

export type Personnel = Pick<
  CanonicalEventBody,
  'provider_id' | 'provider_first_name' | 'provider_last_name'
>;

/** The first AIL-3 the sender kept; else PV1-3 (assigned patient location), which some feeds fill instead. */
export function appointmentLocation(message: Er7Message): string | undefined {
  for (const ail of message.segments('AIL')) {
    if (deleted(ail)) continue;
    const text = placeName(ail.field(3));
    if (text) return text;
  }
  const pv1 = message.segment('PV1');
  return (pv1 && placeName(pv1.field(3))) || undefined;
}

/**
 * Who the appointment is with: the first AIP-3 (XCN: id ^ family ^ given) the sender kept that names
 * someone; else a general resource (AIG-3, CWE: id ^ text) whose text reads as a person's name
 * ("Pullen, Jeri"; athenaNet and Cerner feeds put the provider there); else PV1-7 (attending doctor).
 */
export function personnel(message: Er7Message): Personnel {
  for (const aip of message.segments('AIP')) {
    if (deleted(aip)) continue;
    const person = xcnPersonnel(aip.field(3));
    if (person) return person;
  }
  for (const aig of message.segments('AIG')) {
    if (deleted(aig)) continue;
    const resource = aig.field(3);
    const id = resource.value(1);
    const text = resource.value(2) || (id.includes(',') ? id : '');
    const name = /^\s*([^,]+),\s*([^,]+?)\s*$/.exec(text);
    if (name) {
      return {
        provider_id: id && id !== text ? id : undefined,
        provider_last_name: name[1]?.trim(),
        provider_first_name: name[2]?.replace(/\s*,?\s*(M\.?D\.?|D\.?O\.?)$/i, '').trim(),
      };
    }
  }
  const pv1 = message.segment('PV1');
  return (pv1 && xcnPersonnel(pv1.field(7))) ?? {};
}

/** A resource segment the sender deleted from the appointment (segment action code, AIx-2 = D). */
function deleted(segment: Er7Segment): boolean {
  return segment.field(2).value(1).toUpperCase() === 'D';
}

/** A place (PL): its description (PL-9) when sent, else point of care (PL-1), else facility (PL-4). */
function placeName(place: Er7Repetition): string {
  return place.value(9) || place.value(1) || place.value(4);
}

function xcnPersonnel(person: Er7Repetition): Personnel | undefined {
  const id = person.value(1);
  const lastName = person.value(2);
  const firstName = person.value(3);
  if (!id && !lastName && !firstName) return undefined;
  return {
    provider_id: id || undefined,
    provider_last_name: lastName || undefined,
    provider_first_name: firstName || undefined,
  };
}
