/**
 * Who: the patient of an SIU (PID), whose id goes back to the EHR with replies, whose name and language shape
 * the texts, and whose number (phone.ts) receives them. The PID group is optional in an SIU; the mapping
 * decides what a message without one means.
 */
import { readLanguageTag } from '../events/ingestRules';
import type { PhoneReading } from '../phone/textablePhone';
import type { Er7Segment } from './er7';
import { patientPhone } from './phone';
import { HL7_ERROR_CODES, problem, type Problems } from './problems';

/** PID-3 (first repetition's id) and the phone the texts go to, or why there is none (not a problem). */
export function readPatientKeys(
  pid: Er7Segment,
  defaultCountry: string,
  problems: Problems,
): { id: string; phone: PhoneReading } | undefined {
  const id = pid.field(3).value(1);
  if (!id) {
    problems.push(
      problem('PID', 3, HL7_ERROR_CODES.requiredFieldMissing, 'PID-3 (patient identifier) is required'),
    );
    return undefined;
  }
  return { id, phone: patientPhone(pid, defaultCountry) };
}

/** PID-5 (XPN: family ^ given), first repetition. */
export function patientName(pid: Er7Segment | undefined): { lastName?: string; firstName?: string } {
  const name = pid?.field(5);
  return { lastName: name?.value(1) || undefined, firstName: name?.value(2) || undefined };
}

/**
 * PID-15 (CE/CWE: identifier ^ text): a BCP 47 tag, or undefined so the default language applies. PID-15 often
 * carries ISO 639-2 codes or language names, which the shared rule reads; the tag is lowercased (HL7 codes are
 * case-insensitive), as this format always has.
 */
export function patientLanguage(pid: Er7Segment | undefined): string | undefined {
  const language = pid?.field(15);
  for (const candidate of [language?.value(1) ?? '', language?.value(2) ?? '']) {
    const reading = readLanguageTag(candidate.toLowerCase(), { names: true });
    if (reading.ok) return reading.tag;
  }
  return undefined;
}
