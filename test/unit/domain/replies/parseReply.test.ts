import fc from 'fast-check';
import {
  HELP_KEYWORDS,
  OPT_IN_KEYWORDS,
  OPT_OUT_KEYWORDS,
  MAX_REPLY_CHARACTERS,
  normalizeReply,
  parseChoice,
  parseReply,
  type ParsedReply,
} from '../../../../src/domain/replies/parseReply';

const CONFIRM: ParsedReply = { kind: 'CONFIRM' };
const CANCEL_REQUEST: ParsedReply = { kind: 'CANCEL_REQUEST' };
const OPT_OUT: ParsedReply = { kind: 'OPT_OUT' };
const OPT_IN: ParsedReply = { kind: 'OPT_IN' };
const HELP: ParsedReply = { kind: 'HELP' };
const UNKNOWN: ParsedReply = { kind: 'UNKNOWN' };

describe('parseReply — confirm and cancel request', () => {
  it.each([
    '1',
    'C',
    'Y',
    'YES',
    'CONFIRM',
    'yes',
    'Yes!',
    ' y. ',
    'confirm.',
    '１',
    'ＹＥＳ',
    '"yes"',
    '#1',
    '01',
  ])('%j confirms', (text) => {
    expect(parseReply(text)).toEqual(CONFIRM);
    expect(parseReply(text, 'es')).toEqual(CONFIRM);
  });

  it.each(['SI', 'SÍ', 'sí', 'Si!', '¡Sí!', 'confirmar', 'CONFIRMAR.'])(
    '%j confirms in Spanish only',
    (text) => {
      expect(parseReply(text, 'es')).toEqual(CONFIRM);
      expect(parseReply(text, 'es-MX')).toEqual(CONFIRM);
      expect(parseReply(text, 'en')).toEqual(UNKNOWN);
      expect(parseReply(text)).toEqual(UNKNOWN);
    },
  );

  it.each([
    '2',
    '2.',
    'CANCEL APPT',
    'cancel appt',
    '  Cancel   Appt! ',
    'cancel-appt',
    'cancel appointment',
  ])('%j requests cancellation', (text) => {
    expect(parseReply(text)).toEqual(CANCEL_REQUEST);
    expect(parseReply(text, 'es')).toEqual(CANCEL_REQUEST);
  });

  it.each(['CANCELAR CITA', 'cancelar cita', 'Cancelar la cita.', 'cancelar mi cita'])(
    '%j requests cancellation in Spanish only',
    (text) => {
      expect(parseReply(text, 'es')).toEqual(CANCEL_REQUEST);
      expect(parseReply(text, 'en')).toEqual(UNKNOWN);
    },
  );
});

describe('parseReply — carrier keywords (every language)', () => {
  const everyLanguage = [undefined, 'en', 'es', 'es-MX', 'fr'];

  it.each([
    ...OPT_OUT_KEYWORDS,
    'stop',
    'Stop.',
    'STOP!',
    ' cancel ',
    'Cancel',
    'opt-out',
    'Opt out',
    'Parar',
    'alto',
  ])('%j opts out', (text) => {
    for (const language of everyLanguage) expect(parseReply(text, language)).toEqual(OPT_OUT);
  });

  it('treats a bare CANCEL as an opt-out, not as a cancellation request', () => {
    expect(parseReply('CANCEL')).toEqual(OPT_OUT);
    expect(parseReply('CANCELAR', 'es')).toEqual(OPT_OUT);
  });

  it.each(['Stop texting me', 'STOP please', 'unsubscribe me now', 'stopall now'])(
    '%j opts out because it starts with STOP/STOPALL/UNSUBSCRIBE',
    (text) => {
      expect(parseReply(text)).toEqual(OPT_OUT);
      expect(parseReply(text, 'es')).toEqual(OPT_OUT);
    },
  );

  it.each(['End of month is better', 'cancel my appointment', 'quit it', 'nonstop'])(
    '%j is not an opt-out: only exact keywords or a leading STOP/UNSUBSCRIBE count',
    (text) => {
      expect(parseReply(text)).toEqual(UNKNOWN);
    },
  );

  it.each([...OPT_IN_KEYWORDS, 'start', 'Unstop.', 'comenzar'])('%j opts in', (text) => {
    for (const language of everyLanguage) expect(parseReply(text, language)).toEqual(OPT_IN);
  });

  it.each([...HELP_KEYWORDS, 'help', 'Help?', 'info', '¿Ayuda?'])('%j asks for help', (text) => {
    for (const language of everyLanguage) expect(parseReply(text, language)).toEqual(HELP);
  });
});

describe('parseReply — choices and unknown replies', () => {
  it.each([
    ['3', 3],
    [' 4. ', 4],
    ['#5', 5],
    ['５', 5],
    ['12', 12],
    ['003', 3],
  ])('%j is choice %i', (text, choice) => {
    expect(parseReply(text)).toEqual({ kind: 'CHOICE', choice });
    expect(parseReply(text, 'es')).toEqual({ kind: 'CHOICE', choice });
  });

  it.each([
    '',
    '   ',
    '0',
    '-',
    '!!!',
    '👍',
    'yes please',
    'Y E S',
    'maybe',
    '1 2',
    '3rd',
    '1.5',
    '99999999999999999999',
  ])('%j is unknown', (text) => {
    expect(parseReply(text)).toEqual(UNKNOWN);
  });
});

describe('parseChoice', () => {
  it.each([
    ['1', 1],
    ['2', 2],
    ['3', 3],
    [' 2! ', 2],
    ['#7', 7],
    ['７', 7],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    // Leading punctuation is dropped: a patient typing "-3" or "(3)" is still choosing 3.
    ['-3', 3],
    ['(3)', 3],
  ])('%j → %i', (text, choice) => {
    expect(parseChoice(text)).toBe(choice);
  });

  it.each(['', '0', '00', 'YES', 'two', '1 2', '1.5', '9007199254740993', '3 please'])(
    '%j is not a choice',
    (text) => {
      expect(parseChoice(text)).toBeUndefined();
    },
  );
});

describe('normalizeReply', () => {
  it('upper-cases, folds accents and width, and trims punctuation and whitespace', () => {
    expect(normalizeReply('  ¡Sí!  ')).toBe('SI');
    expect(normalizeReply('ｃａｎｃｅｌ\u3000 appt...')).toBe('CANCEL APPT');
    expect(normalizeReply('\t"opt_out"\n')).toBe('OPT OUT');
  });

  it("reads no further than Twilio's longest Body (1,600 characters)", () => {
    expect(normalizeReply(`yes${' '.repeat(MAX_REPLY_CHARACTERS)}no`)).toBe('YES');
    expect(normalizeReply('y'.repeat(5000))).toHaveLength(MAX_REPLY_CHARACTERS);
  });

  it('trims spaces, punctuation and symbols at both ends by whole code points, keeping inner ones', () => {
    expect(normalizeReply(`${' '.repeat(MAX_REPLY_CHARACTERS - 1)}x`)).toBe('X');
    expect(normalizeReply(`a${' '.repeat(100)}!`)).toBe('A');
    expect(normalizeReply('🙂 yes 🙂')).toBe('YES');
    expect(normalizeReply('…cancel, appt!!')).toBe('CANCEL, APPT');
    expect(normalizeReply(' ¿¡!? ')).toBe('');
  });
});

describe('parseReply — properties', () => {
  const whitespace = fc
    .array(fc.constantFrom(' ', '\t', '\n', '\r\n', '\u00a0', '\u3000'), { maxLength: 4 })
    .map((chars) => chars.join(''));
  const anyText = fc.string({ unit: 'binary', maxLength: 40 });
  const language = fc.constantFrom(undefined, 'en', 'es', 'es-MX', 'fr', '', 'x-invalid');

  it('never throws', () => {
    fc.assert(
      fc.property(anyText, language, (text, lang) => {
        const reply = parseReply(text, lang);
        return (reply.kind === 'CHOICE') === (reply.choice !== undefined);
      }),
    );
  });

  it('ignores case and surrounding whitespace', () => {
    fc.assert(
      fc.property(anyText, whitespace, whitespace, language, (text, before, after, lang) => {
        const reply = parseReply(text, lang);
        expect(parseReply(`${before}${text.toUpperCase()}${after}`, lang)).toEqual(reply);
        expect(parseReply(`${before}${text.toLowerCase()}${after}`, lang)).toEqual(reply);
      }),
    );
  });

  it('recognises every keyword in any mix of case, with surrounding whitespace and trailing punctuation', () => {
    const keyword = fc.constantFrom(
      ...[...OPT_OUT_KEYWORDS].map((word) => [word, OPT_OUT] as const),
      ...[...OPT_IN_KEYWORDS].map((word) => [word, OPT_IN] as const),
      ...[...HELP_KEYWORDS].map((word) => [word, HELP] as const),
      ...['1', 'C', 'Y', 'YES', 'CONFIRM', 'SI', 'SÍ', 'CONFIRMAR'].map((word) => [word, CONFIRM] as const),
      ...['2', 'CANCEL APPT', 'CANCELAR CITA'].map((word) => [word, CANCEL_REQUEST] as const),
    );
    const mixedCase = (word: string, upper: readonly boolean[]): string =>
      [...word]
        .map((char, i) => (upper[i % Math.max(upper.length, 1)] ? char.toUpperCase() : char.toLowerCase()))
        .join('');
    fc.assert(
      fc.property(
        keyword,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        whitespace,
        whitespace,
        fc.constantFrom('', '.', '!', '!!', '?', ' .'),
        ([word, expected], upper, before, after, punctuation) => {
          const text = `${before}${mixedCase(word, upper)}${punctuation}${after}`;
          expect(parseReply(text, 'es')).toEqual(expected);
        },
      ),
    );
  });
});
