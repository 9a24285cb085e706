/**
 * HL7 v2 SIU → canonical event, with messages shaped like the ones interface engines (Epic Bridges,
 * Mirth, Cerner) send; property tests show no input crashes the mapper and every readable MSH-10
 * comes back in the ACK.
 */
import fc from 'fast-check';
import { Message } from 'node-hl7-client';
import { buildAck, escapeEr7 } from '../../src/domain/hl7/ack';
import { mapSiuMessage, readHl7Timestamp, type SiuMappingResult } from '../../src/domain/hl7/siuMapping';

const context = {
  defaultCountry: 'US',
  defaultTimezone: 'America/Denver',
  receivedAt: '2026-12-01T15:31:00.000Z',
};

const map = (text: string, overrides: Partial<typeof context> = {}): SiuMappingResult =>
  mapSiuMessage(text, { ...context, ...overrides });

/** Epic Bridges style v2.5.1 S12: SCH-11 and TQ1, home + mobile + e-mail in PID-13, every resource segment. */
const EPIC_S12 = [
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
const CERNER_V23 = [
  'MSH|^~\\&|CERNER|MAINHOSP|SMS|MAINHOSP|202612011530||SIU^S13|MSG00002|P|2.3',
  'SCH|778899|APPT778899|||||FOLLOWUP||||^^^202612041400^202612041430',
  'PID|1||PAT5566||JONES^ROBERT||19700101|M|||||(303)555-0199|||EN',
  'AIL|1||^^^MAINHOSP^^^^^Cardiology Clinic',
  'AIP|1||2002^NGUYEN^LINH',
];

const cr = (segments: string[]): string => segments.join('\r');

/** A copy of a message with one segment (by name) replaced, or removed when `replacement` is null. */
function withSegment(segments: string[], name: string, replacement: string | null): string[] {
  return segments.flatMap((s) =>
    s.startsWith(`${name}|`) ? (replacement === null ? [] : [replacement]) : [s],
  );
}

function withTrigger(segments: string[], trigger: string): string[] {
  return segments.map((s) =>
    s.startsWith('MSH|') ? s.replace('SIU^S12^SIU_S12', `SIU^${trigger}^SIU_S12`) : s,
  );
}

function expectOk(result: SiuMappingResult): Extract<SiuMappingResult, { ok: true }> {
  if (!result.ok)
    throw new Error(`expected a mapped event, got ${result.code}: ${JSON.stringify(result.errors)}`);
  return result;
}

function expectRefused(result: SiuMappingResult): Extract<SiuMappingResult, { ok: false }> {
  if (result.ok) throw new Error('expected the message to be refused');
  return result;
}

describe('SIU messages as interface engines send them', () => {
  test('an Epic v2.5.1 S12 becomes a BOOKED event with every mapped field', () => {
    const result = expectOk(map(cr(EPIC_S12)));
    expect(result.controlId).toBe('900001');
    expect(result.event).toEqual({
      eventId: '900001',
      eventType: 'BOOKED',
      eventAt: '2026-12-01T15:30:00.000Z',
      receivedAt: context.receivedAt,
      appointmentId: '4567890',
      start: '2026-12-04T16:30:00.000Z',
      localStart: '2026-12-04T09:30:00',
      timeZone: 'America/Denver',
      location: 'Valley Family Medicine',
      patient: { id: 'E1234567', firstName: 'ANA', lastName: 'ROSE', phone: '+13035550142', language: 'es' },
      provider: { id: '1001', firstName: 'JO', lastName: 'SMITH', callbackPhone: '+13035550100' },
    });
    expect(result.header).toMatchObject({
      sendingApplication: ['EPIC'],
      receivingApplication: ['SMSREMIND'],
      messageCode: 'SIU',
      triggerEvent: 'S12',
      versionId: '2.5.1',
      acceptAckType: 'AL',
      applicationAckType: 'NE',
    });
  });

  test('a Cerner v2.3 S13 becomes RESCHEDULED: filler id, free-text national phone, language code', () => {
    const result = expectOk(map(cr(CERNER_V23)));
    expect(result.event).toMatchObject({
      eventType: 'RESCHEDULED',
      eventId: 'MSG00002',
      appointmentId: 'APPT778899',
      localStart: '2026-12-04T14:00:00',
      start: '2026-12-04T21:00:00.000Z',
      location: 'Cardiology Clinic',
      patient: {
        id: 'PAT5566',
        firstName: 'ROBERT',
        lastName: 'JONES',
        phone: '+13035550199',
        language: 'en',
      },
      provider: { id: '2002', firstName: 'LINH', lastName: 'NGUYEN' },
    });
  });

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

  test('Windows line endings, bare LF, blank lines and MLLP framing all read the same', () => {
    const expected = expectOk(map(cr(EPIC_S12))).event;
    for (const text of [
      EPIC_S12.join('\r\n'),
      EPIC_S12.join('\n'),
      `${EPIC_S12.join('\r\n\r\n')}\r\n`,
      `\u000b${EPIC_S12.join('\r')}\r\u001c\r`,
    ]) {
      expect(expectOk(map(text)).event).toEqual(expected);
    }
  });

  test('escape sequences are decoded in names and locations', () => {
    const segments = withSegment(
      withSegment(
        EPIC_S12,
        'PID',
        'PID|1||E1||O\\S\\BRIEN\\T\\SONS^ANA \\F\\ MARIE||||||||^PRN^CP^^1^303^5550142',
      ),
      'AIL',
      'AIL|1||^^^^^^^^Main St \\T\\ 5th \\E\\ Suite 2\\R\\3',
    );
    const event = expectOk(map(cr(segments))).event;
    expect(event.patient).toMatchObject({ lastName: 'O^BRIEN&SONS', firstName: 'ANA | MARIE' });
    expect(event.location).toBe('Main St & 5th \\ Suite 2~3');
  });

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

  test('repeated fields: the first PID-3 identifier, the first PID-5 name, the first AIP that names someone', () => {
    const segments = [
      ...withSegment(
        withSegment(
          EPIC_S12,
          'PID',
          'PID|1||MRN-1^^^A^MR~MRN-2^^^B^MR||DOE^JANE~SMITH^JANIE||||||||^PRN^CP^^1^303^5550142',
        ),
        'AIP',
        'AIP|1||',
      ),
      'AIP|2||D9^JONES^AL',
      'AIP|3||D10^LEE^MAY',
    ];
    const event = expectOk(map(cr(segments))).event;
    expect(event.patient).toMatchObject({ id: 'MRN-1', lastName: 'DOE', firstName: 'JANE' });
    expect(event.provider).toEqual({
      id: 'D9',
      lastName: 'JONES',
      firstName: 'AL',
      callbackPhone: '+13035550100',
    });
  });
});

describe('appointment start: SCH-11, else TQ1-7, else AIS-4', () => {
  const sch = (timing: string): string => `SCH||A1|||||||30|MIN|${timing}`;

  test('SCH-11 wins over TQ1-7 and AIS-4', () => {
    const segments = withSegment(EPIC_S12, 'TQ1', 'TQ1|1||||||20261205080000');
    expect(expectOk(map(cr(segments))).event.localStart).toBe('2026-12-04T09:30:00');
  });

  test('TQ1-7 when SCH-11 is empty (v2.5 deprecated SCH-11)', () => {
    const segments = withSegment(withSegment(EPIC_S12, 'SCH', sch('')), 'TQ1', 'TQ1|1||||||202612051015');
    expect(expectOk(map(cr(segments))).event.localStart).toBe('2026-12-05T10:15:00');
  });

  test('the first valued AIS-4 when there is no timing at all', () => {
    const segments = [
      ...withSegment(
        withSegment(withSegment(EPIC_S12, 'SCH', sch('')), 'TQ1', null),
        'AIS',
        'AIS|1||LAB^Lab draw',
      ),
      'AIS|2||CONS^Consult|20261206131500',
      'AIS|3||CONS^Consult|20261206140000',
    ];
    expect(expectOk(map(cr(segments))).event.localStart).toBe('2026-12-06T13:15:00');
  });

  test('a TS with its degree-of-precision part still reads (v2.5 SCH-11.4 subcomponents, AIS-4 components)', () => {
    const inTiming = withSegment(EPIC_S12, 'SCH', sch('^^30^20261204093000&S'));
    expect(expectOk(map(cr(inTiming))).event.localStart).toBe('2026-12-04T09:30:00');
    const inAis = withSegment(
      withSegment(withSegment(EPIC_S12, 'SCH', sch('')), 'TQ1', null),
      'AIS',
      'AIS|1||X|20261204093000^S',
    );
    expect(expectOk(map(cr(inAis))).event.localStart).toBe('2026-12-04T09:30:00');
  });

  test('no start anywhere is an AE naming SCH-11', () => {
    const segments = withSegment(
      withSegment(withSegment(EPIC_S12, 'SCH', sch('')), 'TQ1', null),
      'AIS',
      'AIS|1||X',
    );
    const refused = expectRefused(map(cr(segments)));
    expect(refused.code).toBe('AE');
    expect(refused.errors).toEqual([
      expect.objectContaining({ segment: 'SCH', field: 11, hl7ErrorCode: 101 }),
    ]);
  });

  test('a malformed start is reported at the field that carried it, not silently replaced by a later one', () => {
    const segments = withSegment(EPIC_S12, 'SCH', sch('^^30^2026-12-04 09:30'));
    const refused = expectRefused(map(cr(segments)));
    expect(refused.errors).toEqual([
      expect.objectContaining({ segment: 'SCH', field: 11, hl7ErrorCode: 102 }),
    ]);
  });
});

describe('time zones', () => {
  test('a time without an offset is wall-clock time in DEFAULT_TIMEZONE', () => {
    const event = expectOk(map(cr(EPIC_S12), { defaultTimezone: 'America/New_York' })).event;
    expect(event).toMatchObject({
      timeZone: 'America/New_York',
      localStart: '2026-12-04T09:30:00',
      start: '2026-12-04T14:30:00.000Z',
    });
  });

  test('an offset that agrees with DEFAULT_TIMEZONE keeps the IANA zone (DST-aware)', () => {
    const segments = withSegment(EPIC_S12, 'SCH', 'SCH||A1|||||||||^^30^20261204093000-0700');
    expect(expectOk(map(cr(segments))).event).toMatchObject({
      timeZone: 'America/Denver',
      localStart: '2026-12-04T09:30:00',
      start: '2026-12-04T16:30:00.000Z',
    });
  });

  test('an offset that disagrees with DEFAULT_TIMEZONE becomes a fixed-offset zone showing the sent clock time', () => {
    const segments = withSegment(EPIC_S12, 'SCH', 'SCH||A1|||||||||^^30^20261204093000-0500');
    expect(expectOk(map(cr(segments))).event).toMatchObject({
      timeZone: 'UTC-5',
      localStart: '2026-12-04T09:30:00',
      start: '2026-12-04T14:30:00.000Z',
    });
  });

  test('in the fall-back hour the offset tells the two 01:30s apart', () => {
    // 2026-11-01: Denver goes from MDT (-0600) to MST (-0700) at 02:00.
    const first = withSegment(EPIC_S12, 'SCH', 'SCH||A1|||||||||^^30^202611010130-0600');
    const second = withSegment(EPIC_S12, 'SCH', 'SCH||A1|||||||||^^30^202611010130-0700');
    expect(expectOk(map(cr(first))).event).toMatchObject({
      timeZone: 'America/Denver',
      start: '2026-11-01T07:30:00.000Z',
    });
    expect(expectOk(map(cr(second))).event).toMatchObject({
      timeZone: 'America/Denver',
      start: '2026-11-01T08:30:00.000Z',
    });
  });

  test('MSH-7 with an offset is that instant; without one it is read in DEFAULT_TIMEZONE', () => {
    const withOffset = EPIC_S12.map((s) => s.replace('|20261201083000|', '|20261201083000.25+0100|'));
    expect(expectOk(map(cr(withOffset))).event.eventAt).toBe('2026-12-01T07:30:00.250Z');
    expect(expectOk(map(cr(EPIC_S12))).event.eventAt).toBe('2026-12-01T15:30:00.000Z');
  });

  test('no MSH-7 means the receive time orders the event', () => {
    const noTime = EPIC_S12.map((s) => s.replace('|20261201083000|', '||'));
    expect(expectOk(map(cr(noTime))).event.eventAt).toBe(context.receivedAt);
  });

  test.each([
    ['20261204', 'date only'],
    ['202612040930+25', 'bad offset'],
    ['202613040930', 'month 13'],
    ['202612042430', 'hour 24'],
    ['20261204093000+1500', 'offset beyond ±14h'],
  ])('readHl7Timestamp refuses %s (%s)', (text) => {
    expect(readHl7Timestamp(text, 'UTC').ok).toBe(false);
  });
});

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

  test('every missing required value is listed at once, by segment and field', () => {
    const text = cr([
      'MSH|^~\\&|EPIC|VALLEY|SMS|VALLEY|20261201083000||SIU^S12|C-9|P|2.5.1',
      'SCH|||||||||||',
      'PID|1||||ROSE^ANA',
    ]);
    const refused = expectRefused(map(text));
    expect(refused.code).toBe('AE');
    expect(refused.errors.map((e) => [e.segment, e.field, e.hl7ErrorCode])).toEqual([
      ['SCH', 2, 101],
      ['SCH', 11, 101],
      ['PID', 3, 101],
    ]);
  });

  test('a missing SCH segment is a segment error (100); a missing MSH-10 is 101', () => {
    const refused = expectRefused(map('MSH|^~\\&|EPIC|VALLEY|SMS|VALLEY|20261201083000||SIU^S12||P|2.5.1'));
    expect(refused.code).toBe('AE');
    expect(refused.controlId).toBeUndefined();
    expect(refused.errors.map((e) => [e.segment, e.field, e.hl7ErrorCode])).toEqual([
      ['MSH', 10, 101],
      ['SCH', undefined, 100],
    ]);
  });

  test('values the canonical parser refuses are reported at their HL7 field', () => {
    const segments = withSegment(
      withSegment(EPIC_S12, 'SCH', 'SCH||APPT/1|||||||||^^30^20261204093000'),
      'AIL',
      `AIL|1||^^^^^^^^${'x'.repeat(201)}`,
    );
    const refused = expectRefused(map(cr(segments)));
    expect(refused.code).toBe('AE');
    expect(refused.errors.map((e) => [e.segment, e.field, e.hl7ErrorCode])).toEqual([
      ['SCH', 2, 102],
      ['AIL', 3, 102],
    ]);
    expect(refused.errors[0]?.message).not.toContain('APPT/1');
  });

  test('a control id with characters ids may not hold still maps, to a stable hashed event id', () => {
    const odd = EPIC_S12.map((s) => s.replace('|900001|', '|batch 7/item 1|'));
    const first = expectOk(map(cr(odd)));
    expect(first.controlId).toBe('batch 7/item 1');
    expect(first.event.eventId).toMatch(/^hl7-[0-9a-f]{32}$/);
    expect(expectOk(map(cr(odd))).event.eventId).toBe(first.event.eventId);
  });
});

describe('properties', () => {
  const ackFor = (result: SiuMappingResult): string =>
    buildAck({
      header: result.header,
      outcome: result.ok ? 'AA' : result.code,
      errors: result.ok ? [] : result.errors,
      now: new Date('2026-12-01T15:31:00Z'),
      ackControlId: 'ACK1',
    });
  const msa2 = (ack: string): string => {
    const parsed = new Message({ text: ack });
    return parsed.get('MSA.2').toString();
  };

  test('no input crashes the mapper, and every result can be acknowledged', () => {
    const segment = fc.oneof(
      fc.constantFrom(...EPIC_S12, ...CERNER_V23),
      fc.string({ maxLength: 60 }),
      fc
        .tuple(
          fc.constantFrom('SCH', 'PID', 'TQ1', 'AIS', 'AIL', 'AIP', 'MSH'),
          fc.array(fc.string({ maxLength: 12 }), { maxLength: 20 }),
        )
        .map(([name, fields]) => [name, ...fields].join('|')),
    );
    const separator = fc.constantFrom('\r', '\n', '\r\n');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), separator, fc.boolean(), (segments, sep, framed) => {
        const body = segments.join(sep);
        const text = framed ? `\u000b${body}\u001c\r` : body;
        const result = mapSiuMessage(text, context);
        expect(typeof result.ok).toBe('boolean');
        expect(() => msa2(ackFor(result))).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  test('arbitrary text never crashes the mapper', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const result = mapSiuMessage(text, context);
        expect(result.ok === false || result.event.eventId.length > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (tail) => {
        expect(() => mapSiuMessage(`MSH${tail}`, context)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  test('every message with a readable MSH-10 gets an ACK echoing it in MSA-2', () => {
    // Any ASCII, control characters included (escaped on the way in and out); no whitespace at the ends,
    // which readers (this library among them) trim off a segment's last field.
    const controlId = fc
      .string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 })
      .filter((id) => id.trim() === id);
    const trigger = fc.constantFrom('S12', 'S13', 'S14', 'S15', 'S16', 'S17', 'S26', 'A04', '');
    const version = fc.constantFrom('2.3', '2.4', '2.5', '2.5.1', '2.7', '3.0', '');
    const ackModes = fc.constantFrom('', '|||AL|NE', '|||NE|AL');
    const body = fc.subarray([...EPIC_S12.slice(1), ...CERNER_V23.slice(1), 'garbage', 'ZZZ|^~&\\'], {
      maxLength: 6,
    });
    fc.assert(
      fc.property(controlId, trigger, version, ackModes, body, (id, trig, ver, modes, rest) => {
        const msh = `MSH|^~\\&|EPIC|VALLEY|SMS|VALLEY|20261201083000||SIU^${trig}|${escapeEr7(id)}|P|${ver}${modes}`;
        const result = mapSiuMessage([msh, ...rest].join('\r'), context);
        expect(result.controlId).toBe(id);
        expect(msa2(ackFor(result))).toBe(id);
      }),
      { numRuns: 500 },
    );
  });
});

describe('cancellations and no-shows without timing (issue 10.11)', () => {
  /** EPIC_S12 as `trigger` with no start anywhere: SCH-11 empty, no TQ1, AIS without AIS-4. */
  const untimed = (trigger: string): string =>
    cr(
      withSegment(
        withSegment(withSegment(withTrigger(EPIC_S12, trigger), 'SCH', 'SCH||4567890^EPIC'), 'TQ1', null),
        'AIS',
        'AIS|1|A|99213^OFFICE VISIT^CPT',
      ),
    );

  test.each([
    ['S15', 'CANCELED'],
    ['S17', 'CANCELED'],
    ['S26', 'NOSHOWED'],
  ])('%s without timing maps to %s without a time (the workflow has it)', (trigger, eventType) => {
    const { event } = expectOk(map(untimed(trigger)));
    expect(event).toMatchObject({ eventType, appointmentId: '4567890' });
    expect(event.start).toBeUndefined();
    expect(event.timeZone).toBeUndefined();
  });

  test.each(['S12', 'S13', 'S14'])('%s without timing is still refused AE at SCH-11', (trigger) => {
    const refused = expectRefused(map(untimed(trigger)));
    expect(refused.code).toBe('AE');
    expect(refused.errors).toEqual([
      expect.objectContaining({ segment: 'SCH', field: 11, hl7ErrorCode: 101 }),
    ]);
  });

  test('a cancellation with timing keeps it', () => {
    const timed = cr(withTrigger(EPIC_S12, 'S15'));
    expect(expectOk(map(timed)).event.localStart).toBe('2026-12-04T09:30:00');
  });

  test('a cancellation with an unreadable start is refused (a bad time is not an absent one)', () => {
    const bad = cr(
      withSegment(withTrigger(EPIC_S12, 'S15'), 'SCH', 'SCH||4567890^EPIC|||||||30|MIN|^^30^2026AB'),
    );
    expect(expectRefused(map(bad)).code).toBe('AE');
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

  test.each(['T', 'D', 'T^A'])(
    'MSH-11 %s (training/debugging): recorded, never texted, warned at MSH-11',
    (id) => {
      const test = EPIC_S12.map((seg) =>
        seg.startsWith('MSH|') ? seg.replace('|900001|P|', `|900001|${id}|`) : seg,
      );
      const accepted = expectOk(map(cr(test)));
      expect(accepted.event.patient.phone).toBeUndefined();
      expect(accepted.event.patient.phoneProblem).toBe('TEST_MESSAGE');
      expect(accepted.warnings).toEqual([
        expect.objectContaining({ segment: 'MSH', field: 11, hl7ErrorCode: 0 }),
      ]);
      // HL7_TEXT_TEST_MESSAGES=true lets a test feed text (a pilot with staff phones).
      const allowed = expectOk(mapSiuMessage(cr(test), { ...context, textTestMessages: true }));
      expect(allowed.event.patient.phone).toBe('+13035550142');
    },
  );

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

  test('SCH-25 contradicting the trigger: the trigger wins (an S15 saying "Booked" is a cancellation)', () => {
    expect(expectOk(map(cr(withTrigger(EPIC_S12, 'S15')))).event.eventType).toBe('CANCELED');
    const arrived = withTrigger(EPIC_S12, 'S14').map((seg) =>
      seg.replace('|||||||||Booked', '|||||||||ARRIVED'),
    );
    expect(expectOk(map(cr(arrived))).event.eventType).toBe('MODIFIED');
  });

  test('a Z-segment anywhere, a 12-digit timestamp and trailing spaces read as if absent', () => {
    const zs = [...EPIC_S12.slice(0, 2), 'ZCS|1|OR|ROOM 4', ...EPIC_S12.slice(2)].map((seg) =>
      seg.startsWith('MSH|') ? `${seg.replace('20261201083000', '202612010830')}  ` : seg,
    );
    const { event } = expectOk(map(cr(zs)));
    expect(event.eventAt).toBe('2026-12-01T15:30:00.000Z');
    expect(event.start).toBe('2026-12-04T16:30:00.000Z');
  });
});
