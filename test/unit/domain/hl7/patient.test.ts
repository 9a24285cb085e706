/**
 * The patient (patient.ts): PID-3 as the id that goes back to the EHR, an SIU without its optional PID, and the
 * language PID-15 names.
 */
import { EPIC_S12, cr, expectOk, map, withSegment } from './fixtures';

describe('what real feeds send (issue 12.2)', () => {
  test('no PID at all (the SIU patient group is optional): recorded without a patient or number, warned', () => {
    const accepted = expectOk(map(cr(withSegment(EPIC_S12, 'PID', null))));
    expect(accepted.event.patient).toEqual({ id: '', language: 'en', phoneProblem: 'NO_PHONE' });
    expect(accepted.warnings).toEqual([
      expect.objectContaining({ segment: 'PID', field: 13, hl7ErrorCode: 0 }),
    ]);
  });

  test('a masked PID-3 ("*", as de-identified feeds send it) is still a patient id', () => {
    const masked = withSegment(EPIC_S12, 'PID', 'PID|1|*|*^^^EPIC^MRN||*^*^^^^^L||*|F||||||||||*');
    const accepted = expectOk(map(cr(masked)));
    expect(accepted.event.patient).toMatchObject({ id: '*', phoneProblem: 'NO_PHONE' });
  });
});

describe('the language: PID-15, read by the rule every format shares', () => {
  const pid15 = (language: string): string[] =>
    withSegment(EPIC_S12, 'PID', `PID|1||E1||ROSE^ANA||||||||^PRN^CP^^1^303^5550142||${language}`);

  test.each([
    ['es^Spanish^ISO639', 'es'],
    ['eng', 'en'],
    ['SPA^Spanish', 'es'],
    ['^English', 'en'],
    ['^ESPAÑOL', 'es'],
    ['xx_yy^Spanish', 'es'],
    ['ES-MX', 'es-mx'],
  ])('PID-15 %j is %s (tags lowercased, as HL7 codes are case-insensitive)', (language, tag) => {
    expect(expectOk(map(cr(pid15(language)))).event.patient.language).toBe(tag);
  });

  // A language never stops a text: what does not read leaves the default, and the message is accepted.
  test.each([
    ['', 'absent'],
    ['Klingon', 'a name we do not know'],
    ['constructor', 'a name of a JavaScript object property'],
    [`en-${'abcdefgh-'.repeat(4)}x1`, 'a tag over 35 characters'],
  ])('PID-15 %j (%s) is English, accepted without a warning', (language) => {
    const accepted = expectOk(map(cr(pid15(language))));
    expect(accepted.event.patient.language).toBe('en');
    expect(accepted.warnings).toEqual([]);
  });
});
