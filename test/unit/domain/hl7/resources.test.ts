/**
 * Where and with whom (resources.ts): AIL, AIP and AIG resource groups as real feeds send them, deleted groups,
 * PV1 as the fallback, and HL7 nulls.
 */
import { EPIC_S12, cr, expectOk, map, withSegment } from './fixtures';

describe('SIU messages as interface engines send them', () => {
  test('a message without AIL, AIP or PV1 has no location and no provider', () => {
    const segments = withSegment(
      withSegment(withSegment(withSegment(EPIC_S12, 'AIL', null), 'AIP', null), 'PV1', null),
      'SCH',
      'SCH||A1|||||||30|MIN|^^30^20261204093000',
    );
    const event = expectOk(map(cr(segments))).event;
    expect(event.location).toBeUndefined();
    expect(event.provider).toBeUndefined();
  });
});

describe('what real feeds send (issue 12.2)', () => {
  test('several resource groups: a deleted AIP/AIL is skipped; the provider from AIG text, else PV1-7; the place from PV1-3', () => {
    const groups = [
      ...withSegment(withSegment(withSegment(EPIC_S12, 'AIP', null), 'AIL', null), 'AIG', null),
      'AIL|1|D|OLDROOM^^^^^^^^Old Room',
      'AIL|2|A|^^^^^^^^East Wing',
      'AIP|1|D|9999^GONE^PAT',
      'AIG|1|A|ROOM7^Room 7',
      'AIG|2|A|PULLEN^Pullen, Jeri MD',
    ];
    const { event } = expectOk(map(cr(groups)));
    expect(event.location).toBe('East Wing');
    expect(event.provider).toMatchObject({ id: 'PULLEN', lastName: 'Pullen', firstName: 'Jeri' });

    const onlyPv1 = withSegment(withSegment(withSegment(EPIC_S12, 'AIP', null), 'AIL', null), 'AIG', null);
    const fromPv1 = expectOk(map(cr(onlyPv1))).event;
    expect(fromPv1.location).toBe('Valley Family Medicine');
    expect(fromPv1.provider).toMatchObject({ id: '1001', lastName: 'SMITH', firstName: 'JO' });
  });

  test('HL7 nulls ("") read as absent: no location, no provider, no language', () => {
    const nulls = withSegment(
      withSegment(withSegment(EPIC_S12, 'AIL', 'AIL|1|A|""'), 'AIP', 'AIP|1|A|""'),
      'PV1',
      null,
    ).map((seg) => (seg.startsWith('PID|') ? seg.replace('||es^Spanish^ISO639', '||""') : seg));
    const { event } = expectOk(map(cr(nulls)));
    expect(event.location).toBeUndefined();
    expect(event.provider?.id).toBeUndefined();
    expect(event.patient.language).toBe('en');
  });
});
