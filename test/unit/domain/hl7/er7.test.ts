/**
 * The ER7 reader (er7.ts): HL7's own 1-based numbering, separators from MSH-1/MSH-2, repetitions and escape
 * sequences; and, value for value, the same reading as node-hl7-client (the parser it replaced), so the
 * mappers answer as before.
 */
import fc from 'fast-check';
import { Message, type HL7Node } from 'node-hl7-client';
import { Er7Message, Er7ReadError } from '../../../../src/domain/hl7/er7';
import { EPIC_S12, cr, expectOk, map, withSegment } from './fixtures';

const read = (text: string): Er7Message => {
  const message = Er7Message.parse(text);
  if (!message) throw new Error('expected a readable message');
  return message;
};

describe('SIU messages as interface engines send them', () => {
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
});

describe('numbering as HL7 numbers it', () => {
  const message = read(
    cr([
      'MSH|^~\\&|EPIC|VALLEY|SMS||20261201083000||SIU^S12^SIU_S12|C-1|P|2.5.1',
      'SCH|P1|F1^EPIC~F2|| ""|||||||^^30^20261204093000&S',
      'SCH|second',
    ]),
  );

  test('fields and components count from 1; in MSH the field separator is MSH-1', () => {
    const msh = message.segment('MSH');
    expect(msh?.field(3).value(1)).toBe('EPIC');
    expect(msh?.field(9).value(2)).toBe('S12');
    expect(msh?.field(10).value(1)).toBe('C-1');
    const sch = message.segment('SCH');
    expect(sch?.field(1).value(1)).toBe('P1');
    expect(sch?.field(2).value(2)).toBe('EPIC');
  });

  test('repetitions in order; a composite inside a component reads as its first subcomponent', () => {
    const sch = message.segment('SCH');
    expect(sch?.repetitions(2).map((repetition) => repetition.value(1))).toEqual(['F1', 'F2']);
    expect(sch?.field(11).value(4)).toBe('20261204093000');
  });

  test("absent fields and components, empty fields and HL7's null read as ''", () => {
    const sch = message.segment('SCH');
    expect(sch?.repetitions(3)).toEqual([]);
    expect(sch?.field(3).value(1)).toBe('');
    expect(sch?.field(4).value(1)).toBe('');
    expect(sch?.field(4).text(1)).toBe(' ""');
    expect(sch?.field(99).value(7)).toBe('');
    expect(message.segment('PID')).toBeUndefined();
  });

  test('every segment of a name, in message order; the texts of a field as sent', () => {
    expect(message.segments('SCH').map((segment) => segment.field(1).value(1))).toEqual(['P1', 'second']);
    expect(message.segment('MSH')?.field(9).texts()).toEqual(['SIU', 'S12', 'SIU_S12']);
    expect(message.segment('MSH')?.field(6).texts()).toEqual([]);
  });

  test('separators are the ones MSH-1 and MSH-2 declare', () => {
    const other = read('MSH#$*@%#A$B*C\rPID#1##X$Y%Z$W@S@V#|^~');
    expect(other.separators).toEqual({
      field: '#',
      component: '$',
      repetition: '*',
      escape: '@',
      subcomponent: '%',
    });
    expect(
      other
        .segment('MSH')
        ?.repetitions(3)
        .map((r) => r.value(2)),
    ).toEqual(['B', '']);
    const pid3 = other.segment('PID')?.field(3);
    expect([pid3?.value(1), pid3?.value(2), pid3?.value(3)]).toEqual(['X', 'Y', 'W$V']);
    expect(other.segment('PID')?.field(4).value(1)).toBe('|^~');
  });
});

describe('escape sequences', () => {
  const value = (escaped: string): string =>
    read(`MSH|^~\\&|${escaped}`).segment('MSH')?.field(3).value(1) ?? '';

  test.each([
    ['O\\S\\BRIEN', 'O^BRIEN'],
    ['A\\T\\B', 'A&B'],
    ['A\\F\\B', 'A|B'],
    ['A\\R\\B', 'A~B'],
    ['A\\E\\B', 'A\\B'],
    ['\\X4142\\', 'AB'],
    ['\\X\\', ''],
    ['\\H\\bold\\N\\', 'bold'],
    ['\\Q\\x', '\\Q\\x'],
    ['a\\b', 'a\\b'],
  ])('%j reads as %j', (escaped, decoded) => {
    expect(value(escaped)).toBe(decoded);
  });

  test('a \\X\\ escape with an odd number of hex digits cannot be read, and only when its value is read', () => {
    const message = read('MSH|^~\\&|\\X414\\|B');
    expect(message.segment('MSH')?.field(4).value(1)).toBe('B');
    expect(() => message.segment('MSH')?.field(3).value(1)).toThrow(Er7ReadError);
  });
});

describe('what is not one readable message', () => {
  test.each([
    ['no MSH', 'PID|1||X'],
    ['fewer than five encoding characters', 'MSH|^~'],
    ['a batch: MSH| twice', 'MSH|^~\\&|A\rMSH|^~\\&|B'],
  ])('%s', (_what, text) => {
    expect(Er7Message.parse(text)).toBeUndefined();
  });

  test('a blank segment: the segments cannot be read', () => {
    const message = read('MSH|^~\\&|A\r  \rPID|1');
    expect(() => message.segments('PID')).toThrow(Er7ReadError);
  });
});

/**
 * The reading the SIU mapper did with node-hl7-client before er7.ts: the oracle the reader is held to. Children
 * are read by index (the library's path lookups throw past a segment's last field); MSH-n is child n-1.
 */
const oracle = {
  parse(text: string): Message | undefined {
    try {
      return new Message({ text });
    } catch {
      return undefined;
    }
  },
  children(node: HL7Node): HL7Node[] {
    const found: HL7Node[] = [];
    for (let i = 0; i < node.length; i++) found.push(node.get(i));
    return found;
  },
  segments(message: Message, name: string): HL7Node[] {
    return oracle.children(message).filter((segment) => segment.get(0).toString() === name);
  },
  repetitions(segment: HL7Node, field: number): HL7Node[] {
    const index = segment.get(0).toString() === 'MSH' ? field - 1 : field;
    return oracle.children(segment.get(index));
  },
  text(repetition: HL7Node | undefined, n: number): string {
    return repetition ? repetition.get(n - 1).toString() : '';
  },
};

/** What a read gives, or that it threw: both readers must agree on both. */
function outcome<T>(read: () => T): { value: T } | { threw: true } {
  try {
    return { value: read() };
  } catch {
    return { threw: true };
  }
}

describe('the same reading as node-hl7-client', () => {
  const NAMES = ['MSH', 'SCH', 'PID', 'AIL', ''];
  const separatorCharacter = fc.constantFrom(
    '|',
    '^',
    '~',
    '\\',
    '&',
    '#',
    '$',
    '*',
    '@',
    '%',
    'S',
    'X',
    ' ',
    '"',
  );
  const piece = (separators: string): fc.Arbitrary<string> =>
    fc.oneof(
      fc.constantFrom(...separators.split('')),
      fc.constantFrom(
        '\\X41\\',
        '\\X414\\',
        '\\F\\',
        '\\S\\',
        '\\E\\',
        '\\H\\',
        '""',
        ' ',
        'MSH',
        'SCH',
        'PID',
      ),
      fc.string({ maxLength: 4 }),
    );
  const message = fc
    .string({ unit: separatorCharacter, minLength: 5, maxLength: 5 })
    .chain((separators) =>
      fc.tuple(
        fc.constant(separators),
        fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.array(piece(separators), { maxLength: 24 })), {
          maxLength: 5,
        }),
      ),
    )
    .map(([separators, segments]) =>
      [
        `MSH${separators}${segments[0]?.[1].join('') ?? ''}`,
        ...segments.slice(1).map(([name, parts]) => name + parts.join('')),
      ].join('\r'),
    );

  test('the same segments, fields, repetitions and components, decoded the same, failing the same', () => {
    fc.assert(
      fc.property(message, (text) => {
        const ours = Er7Message.parse(text);
        const theirs = oracle.parse(text);
        expect(ours === undefined).toBe(theirs === undefined);
        if (!ours || !theirs) return;
        for (const name of NAMES) {
          const ourSegments = outcome(() => ours.segments(name));
          const theirSegments = outcome(() => oracle.segments(theirs, name));
          expect('threw' in ourSegments).toBe('threw' in theirSegments);
          if (!('value' in ourSegments) || !('value' in theirSegments)) continue;
          expect(ourSegments.value.length).toBe(theirSegments.value.length);
          ourSegments.value.forEach((segment, s) => {
            const their = theirSegments.value[s];
            if (!their) throw new Error('segment count differs');
            for (let field = 1; field <= 12; field++) {
              const ourRepetitions = segment.repetitions(field);
              const theirRepetitions = oracle.repetitions(their, field);
              expect(ourRepetitions.length).toBe(theirRepetitions.length);
              ourRepetitions.forEach((repetition, r) => {
                const theirRepetition = theirRepetitions[r];
                expect(outcome(() => repetition.texts())).toEqual(
                  outcome(() => oracle.children(theirRepetition ?? their).map((part) => part.toString())),
                );
                for (let component = 1; component <= 4; component++) {
                  expect(outcome(() => repetition.text(component))).toEqual(
                    outcome(() => oracle.text(theirRepetition, component)),
                  );
                }
              });
            }
          });
        }
      }),
      { numRuns: 300 },
    );
  });
});
