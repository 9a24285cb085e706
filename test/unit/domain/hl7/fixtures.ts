/**
 * SIU messages shaped like the ones interface engines (Epic Bridges, Mirth, Cerner) send, and helpers to edit
 * them, shared by the HL7 mapping tests (one file per module of src/domain/hl7).
 */
import { mapSiuMessage, type SiuMappingResult } from '../../../../src/domain/hl7/siuMapping';

export const context = {
  defaultCountry: 'US',
  defaultTimezone: 'America/Denver',
  receivedAt: '2026-12-01T15:31:00.000Z',
};

export const map = (text: string, overrides: Partial<typeof context> = {}): SiuMappingResult =>
  mapSiuMessage(text, { ...context, ...overrides });

/** Epic Bridges style v2.5.1 S12: SCH-11 and TQ1, home + mobile + e-mail in PID-13, every resource segment. */
export const EPIC_S12 = [
  'MSH|^~\\&|EPIC|VALLEYHEALTH|SMSREMIND|VALLEYHEALTH|20261201083000||SIU^S12^SIU_S12|900001|P|2.5.1|||AL|NE',
  'SCH||4567890^EPIC|||||ROUTINE^Routine^HL70276|OFFICE VISIT^Office Visit|30|MIN|^^30^20261204093000^20261204100000|||||1001^SMITH^JO|^WPN^PH^^1^303^5550100|||||||||Booked',
  'TQ1|1||||||20261204093000|20261204100000',
  'PID|1||E1234567^^^EPIC^MRN~999999999^^^SSA^SS||ROSE^ANA^M^^^^L~ROSE^ANNIE^^^^^N||19850412|F|||123 MAIN ST^^DENVER^CO^80202^USA^H||^PRN^PH^^1^303^5550100~^PRN^CP^^1^303^5550142~^NET^Internet^ana@example.org||es^Spanish^ISO639',
  'PV1|1|O|VALLEYFM^^^VALLEY^^^^^Valley Family Medicine||||1001^SMITH^JO',
  'RGS|1|A',
  'AIS|1|A|99213^OFFICE VISIT^CPT|20261204093000|0|MIN|30|MIN',
  'AIG|1|A|1001^SMITH^JO',
  'AIL|1|A|VALLEYFM^^^VALLEY^^^^^Valley Family Medicine',
  'AIP|1|A|1001^SMITH^JO^^^^^^EPIC|ATTENDING',
];

/** Mirth/Cerner style v2.3: placer and filler ids, XTN-1 free-text phone, no TQ1 (v2.3 has none). */
export const CERNER_V23 = [
  'MSH|^~\\&|CERNER|MAINHOSP|SMS|MAINHOSP|202612011530||SIU^S13|MSG00002|P|2.3',
  'SCH|778899|APPT778899|||||FOLLOWUP||||^^^202612041400^202612041430',
  'PID|1||PAT5566||JONES^ROBERT||19700101|M|||||(303)555-0199|||EN',
  'AIL|1||^^^MAINHOSP^^^^^Cardiology Clinic',
  'AIP|1||2002^NGUYEN^LINH',
];

export const cr = (segments: string[]): string => segments.join('\r');

/** A copy of a message with one segment (by name) replaced, or removed when `replacement` is null. */
export function withSegment(segments: string[], name: string, replacement: string | null): string[] {
  return segments.flatMap((s) =>
    s.startsWith(`${name}|`) ? (replacement === null ? [] : [replacement]) : [s],
  );
}

export function withTrigger(segments: string[], trigger: string): string[] {
  return segments.map((s) =>
    s.startsWith('MSH|') ? s.replace('SIU^S12^SIU_S12', `SIU^${trigger}^SIU_S12`) : s,
  );
}

export function expectOk(result: SiuMappingResult): Extract<SiuMappingResult, { ok: true }> {
  if (!result.ok)
    throw new Error(`expected a mapped event, got ${result.code}: ${JSON.stringify(result.errors)}`);
  return result;
}

export function expectRefused(result: SiuMappingResult): Extract<SiuMappingResult, { ok: false }> {
  if (result.ok) throw new Error('expected the message to be refused');
  return result;
}
