/** HL7 ACKs as an interface engine reads them: MSH addressed back, MSA echoing MSH-10, ERR per version. */
import { Message } from 'node-hl7-client';
import { acknowledgmentCode, buildAck, escapeEr7, formatHl7Timestamp } from '../../../../src/domain/hl7/ack';
import type { Hl7Header } from '../../../../src/domain/hl7/header';

const now = new Date('2026-12-01T15:31:02.345Z');

const header = (overrides: Partial<Hl7Header> = {}): Hl7Header => ({
  sendingApplication: ['EPIC'],
  sendingFacility: ['VALLEY', '1.2.840.1', 'ISO'],
  receivingApplication: ['SMSREMIND'],
  receivingFacility: ['CLINIC'],
  messageCode: 'SIU',
  triggerEvent: 'S12',
  controlId: '900001',
  processingId: ['T'],
  versionId: '2.5.1',
  acceptAckType: '',
  applicationAckType: '',
  ...overrides,
});

/** Reads a field of the ACK back with the HL7 library, as the sender's engine would. */
const read = (ack: string, path: string): string => new Message({ text: ack }).get(path).toString();
const segments = (ack: string): string[] => ack.split('\r').filter(Boolean);

describe('ACK in original acknowledgment mode', () => {
  test('AA goes back to the sender: addresses swapped, MSA echoing MSH-10, CR-separated', () => {
    const ack = buildAck({ header: header(), outcome: 'AA', now, ackControlId: 'A1B2C3' });
    expect(ack).toBe(
      'MSH|^~\\&|SMSREMIND|CLINIC|EPIC|VALLEY^1.2.840.1^ISO|20261201153102+0000||ACK^S12^ACK|A1B2C3|T|2.5.1\r' +
        'MSA|AA|900001\r',
    );
    expect(ack).not.toContain('\n');
    expect(read(ack, 'MSA.2')).toBe('900001');
    expect(read(ack, 'MSH.9.2')).toBe('S12');
  });

  test('AE in v2.5+ has one ERR per problem: ERR-2 location, ERR-3 table 0357 code, ERR-4 E, ERR-8 text', () => {
    const ack = buildAck({
      header: header(),
      outcome: 'AE',
      now,
      ackControlId: 'X',
      errors: [
        { segment: 'PID', field: 13, message: 'PID-13 (patient phone) is required', hl7ErrorCode: 101 },
        {
          segment: 'SCH',
          field: 11,
          message: 'appointment start must be an HL7 timestamp',
          hl7ErrorCode: 102,
        },
      ],
    });
    expect(segments(ack).slice(1)).toEqual([
      'MSA|AE|900001',
      'ERR||PID^1^13|101^Required field missing^HL70357|E||||PID-13 (patient phone) is required',
      'ERR||SCH^1^11|102^Data type error^HL70357|E||||appointment start must be an HL7 timestamp',
    ]);
  });

  test('v2.3 answers in v2.3: MSH-9 without structure, MSA-3 text, one ERR whose ERR-1 repeats', () => {
    const ack = buildAck({
      header: header({ versionId: '2.3', triggerEvent: 'S13' }),
      outcome: 'AE',
      now,
      ackControlId: 'X',
      errors: [
        { segment: 'SCH', field: 2, message: 'an appointment id is required', hl7ErrorCode: 101 },
        { segment: 'PID', message: 'the PID segment is required', hl7ErrorCode: 100 },
      ],
    });
    expect(segments(ack)).toEqual([
      'MSH|^~\\&|SMSREMIND|CLINIC|EPIC|VALLEY^1.2.840.1^ISO|20261201153102+0000||ACK^S13|X|T|2.3',
      'MSA|AE|900001|an appointment id is required',
      'ERR|SCH^1^2^101&Required field missing&HL70357~PID^1^^100&Segment sequence error&HL70357',
    ]);
  });

  test('AR for an unsupported trigger; a problem with no location leaves ERR-2 empty', () => {
    const ack = buildAck({
      header: header({ triggerEvent: 'S16' }),
      outcome: 'AR',
      now,
      ackControlId: 'X',
      errors: [{ message: 'temporarily unavailable', hl7ErrorCode: 207 }],
    });
    expect(segments(ack).slice(1)).toEqual([
      'MSA|AR|900001',
      'ERR|||207^Application internal error^HL70357|E||||temporarily unavailable',
    ]);
    expect(read(ack, 'MSH.9')).toBe('ACK');
    expect(read(ack, 'MSH.9.2')).toBe('S16');
  });

  test('a message we could not read at all still gets an ACK, with MSA-2 empty', () => {
    const ack = buildAck({
      outcome: 'AR',
      now,
      ackControlId: 'X',
      errors: [{ segment: 'MSH', message: 'not an HL7 v2 message', hl7ErrorCode: 100 }],
    });
    expect(segments(ack)).toEqual([
      'MSH|^~\\&|||||20261201153102+0000||ACK|X|P|2.5.1',
      'MSA|AR|',
      'ERR||MSH^1|100^Segment sequence error^HL70357|E||||not an HL7 v2 message',
    ]);
    expect(read(ack, 'MSA.1')).toBe('AR');
    expect(read(ack, 'MSA.2')).toBe('');
  });

  test('values with encoding characters are escaped, and read back unchanged', () => {
    const controlId = 'id|with^all~the&seps\\';
    const ack = buildAck({
      header: header({ controlId, sendingApplication: ['A&B'] }),
      outcome: 'AE',
      now,
      ackControlId: 'X',
      errors: [{ segment: 'AIL', field: 3, message: 'too long | really ^ long', hl7ErrorCode: 102 }],
    });
    expect(segments(ack)[1]).toBe(`MSA|AE|${escapeEr7(controlId)}`);
    expect(read(ack, 'MSA.2')).toBe(controlId);
    expect(read(ack, 'MSH.5')).toBe('A&B');
    expect(read(ack, 'ERR.8')).toBe('too long | really ^ long');
  });
  test('control characters in echoed values become hex escapes, so no CR or MLLP block byte leaks out', () => {
    const controlId = 'a\rb\u001cc\u000bd';
    const ack = buildAck({ header: header({ controlId }), outcome: 'AA', now, ackControlId: 'X' });
    expect(segments(ack)[1]).toBe('MSA|AA|a\\X0D\\b\\X1C\\c\\X0B\\d');
    expect(ack.includes('\u000b') || ack.includes('\u001c')).toBe(false);
    expect(read(ack, 'MSA.2')).toBe(controlId);
  });
});

describe('ACK in enhanced acknowledgment mode (MSH-15/MSH-16 valued)', () => {
  test.each([
    ['AA', [], 'CA'],
    ['AE', [101], 'CE'],
    ['AR', [201], 'CR'],
    ['AR', [200], 'CR'],
    ['AR', [203], 'CR'],
    ['AR', [207], 'CE'],
    ['AR', [100], 'CE'],
  ] as const)('%s with errors %j is the accept acknowledgment %s', (outcome, codes, expected) => {
    const errors = codes.map((hl7ErrorCode) => ({ message: 'x', hl7ErrorCode }));
    expect(acknowledgmentCode(outcome, header({ acceptAckType: 'AL' }), errors)).toBe(expected);
    expect(acknowledgmentCode(outcome, header({ applicationAckType: 'ER' }), errors)).toBe(expected);
    expect(acknowledgmentCode(outcome, header(), errors)).toBe(outcome);
  });

  test('the ACK carries CA and echoes the control id', () => {
    const ack = buildAck({
      header: header({ acceptAckType: 'AL', applicationAckType: 'NE' }),
      outcome: 'AA',
      now,
      ackControlId: 'X',
    });
    expect(segments(ack)[1]).toBe('MSA|CA|900001');
  });
});

test('HL7 timestamps are written in UTC with an explicit +0000', () => {
  expect(formatHl7Timestamp(new Date('2026-03-08T09:05:07.999Z'))).toBe('20260308090507+0000');
});
