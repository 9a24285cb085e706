/**
 * The message header (header.ts): which messages are taken at all (MSH-9, MSH-12), what a refusal says, and
 * MSH-10 as the event id.
 */
import { EPIC_S12, cr, expectOk, expectRefused, map, withTrigger } from './fixtures';

describe('SIU messages as interface engines send them', () => {
  test.each([
    ['S12', 'BOOKED'],
    ['S13', 'RESCHEDULED'],
    ['S14', 'MODIFIED'],
    ['S15', 'CANCELED'],
    ['S17', 'CANCELED'],
    ['S26', 'NOSHOWED'],
  ])('trigger %s is a %s event', (trigger, eventType) => {
    expect(expectOk(map(cr(withTrigger(EPIC_S12, trigger)))).event.eventType).toBe(eventType);
  });
});

describe('messages we refuse, and how', () => {
  test('an unsupported trigger (S16) is an AR with error 201 and the control id', () => {
    const refused = expectRefused(map(cr(withTrigger(EPIC_S12, 'S16'))));
    expect(refused).toMatchObject({ code: 'AR', controlId: '900001' });
    expect(refused.errors).toEqual([
      expect.objectContaining({ segment: 'MSH', field: 9, hl7ErrorCode: 201 }),
    ]);
  });

  test('another message type (ADT) is an AR with error 200; HL7 v3 is an AR with 203', () => {
    const adt = EPIC_S12.map((s) => s.replace('SIU^S12^SIU_S12', 'ADT^A04^ADT_A01'));
    expect(expectRefused(map(cr(adt))).errors).toEqual([expect.objectContaining({ hl7ErrorCode: 200 })]);
    const v3 = EPIC_S12.map((s) => s.replace('|P|2.5.1|', '|P|3.0|'));
    expect(expectRefused(map(cr(v3))).errors).toEqual([
      expect.objectContaining({ field: 12, hl7ErrorCode: 203 }),
    ]);
  });

  test.each(['', 'hello', '{"event_type":"BOOKED"}', 'PID|1||X', 'MSH', '\u000b\u001c\r'])(
    'garbage %j is an AR without a control id',
    (text) => {
      const refused = expectRefused(map(text));
      expect(refused.code).toBe('AR');
      expect(refused.controlId).toBeUndefined();
      expect(refused.errors[0]).toMatchObject({ segment: 'MSH', hl7ErrorCode: 100 });
    },
  );

  test('a control id with characters ids may not hold still maps, to a stable hashed event id', () => {
    const odd = EPIC_S12.map((s) => s.replace('|900001|', '|batch 7/item 1|'));
    const first = expectOk(map(cr(odd)));
    expect(first.controlId).toBe('batch 7/item 1');
    expect(first.event.eventId).toMatch(/^hl7-[0-9a-f]{32}$/);
    expect(expectOk(map(cr(odd))).event.eventId).toBe(first.event.eventId);
  });
});

describe('what real feeds send (issue 12.2)', () => {
  test('SCH-25 contradicting the trigger: the trigger wins (an S15 saying "Booked" is a cancellation)', () => {
    expect(expectOk(map(cr(withTrigger(EPIC_S12, 'S15')))).event.eventType).toBe('CANCELED');
    const arrived = withTrigger(EPIC_S12, 'S14').map((seg) =>
      seg.replace('|||||||||Booked', '|||||||||ARRIVED'),
    );
    expect(expectOk(map(cr(arrived))).event.eventType).toBe('MODIFIED');
  });
});
