/**
 * HL7 v2 SIU → canonical event (siuMapping.ts): whole messages as interface engines send them, every problem
 * listed at once, and properties: no input crashes the mapper and every readable MSH-10 comes back in the ACK.
 */
import fc from 'fast-check';
import { Message } from 'node-hl7-client';
import { buildAck, escapeEr7 } from '../../../../src/domain/hl7/ack';
import { mapSiuMessage, type SiuMappingResult } from '../../../../src/domain/hl7/siuMapping';
import { CERNER_V23, EPIC_S12, context, cr, expectOk, expectRefused, map, withSegment } from './fixtures';

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

describe('messages we refuse, and how', () => {
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

describe('what real feeds send (issue 12.2)', () => {
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

  test('a Z-segment anywhere, a 12-digit timestamp and trailing spaces read as if absent', () => {
    const zs = [...EPIC_S12.slice(0, 2), 'ZCS|1|OR|ROOM 4', ...EPIC_S12.slice(2)].map((seg) =>
      seg.startsWith('MSH|') ? `${seg.replace('20261201083000', '202612010830')}  ` : seg,
    );
    const { event } = expectOk(map(cr(zs)));
    expect(event.eventAt).toBe('2026-12-01T15:30:00.000Z');
    expect(event.start).toBe('2026-12-04T16:30:00.000Z');
  });
});
