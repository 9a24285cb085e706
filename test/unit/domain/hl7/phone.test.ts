/**
 * Phone numbers in XTN fields (phone.ts): the patient's number to text from PID-13, mobile first, and the
 * clinic's callback number from SCH-17.
 */
import { EPIC_S12, cr, expectOk, map, withSegment } from './fixtures';

describe('the patient phone: PID-13, mobile first', () => {
  const pid13 = (xtn: string): string[] => withSegment(EPIC_S12, 'PID', `PID|1||E1||ROSE^ANA||||||||${xtn}`);

  test('the mobile repetition (XTN-3 CP) wins over a home phone listed first', () => {
    expect(
      expectOk(map(cr(pid13('^PRN^PH^^1^303^5550100~^PRN^CP^^1^720^5550111')))).event.patient.phone,
    ).toBe('+17205550111');
  });

  test('without a mobile the first usable number is used; fax and e-mail are never texted', () => {
    const xtn = '^PRN^FX^^1^303^5550155~^NET^Internet^ana@example.org~^PRN^PH^^1^303^5550100';
    expect(expectOk(map(cr(pid13(xtn)))).event.patient.phone).toBe('+13035550100');
  });

  test('an invalid mobile falls back to the next valid number', () => {
    expect(expectOk(map(cr(pid13('^PRN^CP^^1^000^1~^PRN^PH^^1^303^5550100')))).event.patient.phone).toBe(
      '+13035550100',
    );
  });

  test('E.164 and foreign numbers: XTN-1 with +, or country code in XTN-5', () => {
    expect(expectOk(map(cr(pid13('+447911123456')))).event.patient.phone).toBe('+447911123456');
    expect(expectOk(map(cr(pid13('^PRN^CP^^44^7911^123456')))).event.patient.phone).toBe('+447911123456');
  });

  test('national numbers are read in DEFAULT_COUNTRY', () => {
    expect(
      expectOk(map(cr(pid13('07911 123456^PRN^PH')), { defaultCountry: 'GB' })).event.patient.phone,
    ).toBe('+447911123456');
    expect(expectOk(map(cr(pid13('303.555.0142^PRN^CP')))).event.patient.phone).toBe('+13035550142');
  });

  // Recorded all the same, acknowledged AA with a warning (issue 12): one patient without a mobile
  // must not stop a hospital's feed.
  test.each([
    ['', 'NO_PHONE'],
    ['""', 'NO_PHONE'],
    ['^NET^Internet^ana@example.org', 'NO_PHONE'],
    ['12^PRN^CP', 'INVALID_PHONE'],
    ['***-***-0123^PRN^PH', 'MASKED_PHONE'],
    ['+442079460958^PRN^PH', 'NOT_MOBILE'],
  ])('PID-13 %j: accepted without a number, as %s, with a W warning at PID-13', (xtn, problem) => {
    const accepted = expectOk(map(cr(pid13(xtn))));
    expect(accepted.event.patient.phone).toBeUndefined();
    expect(accepted.event.patient.phoneProblem).toBe(problem);
    expect(accepted.warnings).toEqual([
      expect.objectContaining({ segment: 'PID', field: 13, hl7ErrorCode: 0 }),
    ]);
    expect(JSON.stringify(accepted.warnings)).not.toMatch(/0123|7946|ana@/);
  });

  test('vendors mark the mobile in XTN-2 or XTN-3 (CP, MOBILE, CELL): it wins over a home phone', () => {
    for (const mark of ['^MOBILE^PH', '^CELL^', '^PRN^MOBILE', '^ORN^CP']) {
      const xtn = `^PRN^PH^^1^303^5550100~${mark}^^1^720^5550111`;
      expect([mark, expectOk(map(cr(pid13(xtn)))).event.patient.phone]).toEqual([mark, '+17205550111']);
    }
  });

  test('a textable number anywhere in PID-13 wins over a landline listed as mobile', () => {
    const xtn = '+442079460958^PRN^CP~^PRN^PH^^1^303^5550100';
    const accepted = expectOk(map(cr(pid13(xtn))));
    expect(accepted.event.patient.phone).toBe('+13035550100');
    expect(accepted.warnings).toEqual([]);
  });
});

describe('SIU messages as interface engines send them', () => {
  test("SCH-17 (filler contact phone) is the clinic's callback number; one that does not read is left out", () => {
    const contact = (xtn: string): string[] =>
      withSegment(EPIC_S12, 'SCH', `SCH||A1|||||||30|MIN|^^30^20261204093000||||||${xtn}`);
    expect(expectOk(map(cr(contact('(720) 555-0100')))).event.provider?.callbackPhone).toBe('+17205550100');
    expect(expectOk(map(cr(contact('ext 12~^WPN^PH^^1^303^5550101')))).event.provider?.callbackPhone).toBe(
      '+13035550101',
    );
    expect(expectOk(map(cr(contact('call us')))).event.provider).toEqual({
      id: '1001',
      firstName: 'JO',
      lastName: 'SMITH',
    });
  });
});
