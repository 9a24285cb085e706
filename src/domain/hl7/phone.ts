/**
 * Phone numbers in XTN fields: the patient's number to text (PID-13) and the clinic's number to call (SCH-17).
 * HL7 spreads a number over several components and vendors mark mobiles in their own ways; which XTN is a
 * candidate is decided here, whether it reads as a number is the shared rule (ingestRules.ts).
 */
import { normalisePhone } from '../events/ingestRules';
import { readTextablePhone, type PhoneReading } from '../phone/textablePhone';
import type { Er7Repetition, Er7Segment } from './er7';

// XTN-3 equipment types that cannot receive a text (fax, modem, beeper, e-mail, X.400, TDD/TTY).
const NOT_TEXTABLE_EQUIPMENT = new Set(['FX', 'MD', 'BP', 'INTERNET', 'X.400', 'TDD', 'TTY']);

// XTN-2 use or XTN-3 equipment codes vendors use for a mobile: HL7's CP, and MOBILE/CELL seen in the field.
const MOBILE_CODES = new Set(['CP', 'MOBILE', 'CELL', 'MOB']);

/**
 * PID-13, mobile first: the repetitions marked mobile (XTN-2 or XTN-3), then the others in the
 * sender's order; the first that can be texted wins. Without one, the first candidate's problem
 * (in the same order) says why; no candidate at all is NO_PHONE.
 */
export function patientPhone(pid: Er7Segment, defaultCountry: string): PhoneReading {
  const candidates = pid
    .repetitions(13)
    .map((xtn) => ({
      equipment: xtn.value(3).toUpperCase(),
      use: xtn.value(2).toUpperCase(),
      number: telephoneNumber(xtn),
    }))
    .filter(
      (c) =>
        c.number && c.use !== 'NET' && !NOT_TEXTABLE_EQUIPMENT.has(c.equipment) && !c.number.includes('@'),
    );
  const isMobile = (c: { equipment: string; use: string }): boolean =>
    MOBILE_CODES.has(c.equipment) || MOBILE_CODES.has(c.use);
  const readings = [...candidates.filter(isMobile), ...candidates.filter((c) => !isMobile(c))].map((c) =>
    readTextablePhone(c.number, defaultCountry),
  );
  return readings.find((r) => r.ok) ?? readings[0] ?? { ok: false, problem: 'NO_PHONE' };
}

/**
 * SCH-17 (filler contact phone number): who to call about this appointment, so texts can say how to
 * reach the clinic. AIP has no phone field. Optional: a number that does not read is left out, not refused.
 */
export function clinicContactPhone(sch: Er7Segment, defaultCountry: string): string | undefined {
  for (const xtn of sch.repetitions(17)) {
    const phone = normalisePhone(telephoneNumber(xtn), defaultCountry);
    if (phone) return phone;
  }
  return undefined;
}

/**
 * The dialable number of one XTN: v2.5 splits it into country code (XTN-5), area code (XTN-6) and
 * local number (XTN-7), and deprecates the free-text XTN-1 that v2.3 feeds still fill; XTN-12 is
 * the unformatted number of v2.6+. The extension (XTN-8) is left out: no SMS reaches one.
 */
function telephoneNumber(xtn: Er7Repetition): string {
  const local = xtn.value(7);
  if (local) {
    const country = xtn.value(5).replace(/^\+/, '');
    const national = `${xtn.value(6)}${local}`;
    return country ? `+${country}${national}` : national;
  }
  return xtn.value(1) || xtn.value(12);
}
