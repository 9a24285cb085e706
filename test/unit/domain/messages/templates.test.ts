import { formatChoices, renderMessage, type RenderContext } from '../../../../src/domain/messages/render';
import { isGsm7 } from '../../../../src/domain/messages/segments';
import {
  DEFAULT_TEMPLATES,
  MESSAGE_KINDS,
  PLACEHOLDERS,
  fillTemplate,
  findOptOutKeywordPrompts,
  parseTemplate,
  placeholdersOf,
  tidyRenderedText,
  TemplateSyntaxError,
  type MessageKind,
} from '../../../../src/domain/messages/templates';
import { OUTBOUND_KINDS } from '../../../../src/shared/appointment';

const LANGUAGES = ['en', 'es'] as const;
const KINDS_ASKING_TO_CONFIRM: readonly MessageKind[] = ['BOOKED', 'REMINDER'];
/** The texts an appointment sends (the phone conversation sends the rest); written out, so a kind dropped from src fails here. */
const APPOINTMENT_KINDS: readonly MessageKind[] = [
  'BOOKED',
  'RESCHEDULED',
  'MODIFIED',
  'CONFIRMED',
  'CANCELED',
  'NOSHOWED',
  'REMINDER',
  'REPLY_CONFIRMED',
  'REPLY_CANCEL_REQUESTED',
];

test('the appointment kinds are exactly OUTBOUND_KINDS', () => {
  expect([...OUTBOUND_KINDS]).toEqual(APPOINTMENT_KINDS);
});

/** Exactly `length` characters, so the "realistic long values" really are that long. */
function exactly(length: number, text: string): string {
  if (text.length !== length)
    throw new Error(`fixture "${text}" is ${text.length} chars, expected ${length}`);
  return text;
}

// Wednesday Sep 24 2025 12:30 PM in Denver: the longest `when` in both languages (23 chars, checked below).
const LONGEST_WHEN_START = '2025-09-24T18:30:00Z';
const ZONE = 'America/Denver';

const LONG_VALUES = {
  customerName: exactly(40, 'St. Mary Regional Medical Center Network'),
  firstName: exactly(20, 'Maximiliana-Josefina'),
  provider: exactly(30, 'Dr. Alexandria Montgomery-Lee'.padEnd(30, 's')),
  location: exactly(40, 'North Campus Outpatient Pavilion, Ste 12'),
  callbackPhone: '+1 (555) 123-4567',
  start: LONGEST_WHEN_START,
  zone: ZONE,
} satisfies Omit<RenderContext, 'language'>;

function longContext(language: string): RenderContext {
  const choices = formatChoices(
    [
      { start: LONGEST_WHEN_START, zone: ZONE },
      { start: '2025-10-22T18:30:00Z', zone: ZONE },
      { start: '2025-12-17T19:30:00Z', zone: ZONE },
    ],
    language,
  );
  return { ...LONG_VALUES, language, choices };
}

const OPTIONAL_FIELDS = ['firstName', 'provider', 'location', 'start', 'callbackPhone', 'choices'] as const;

/** Every subset of the optional fields left out (2^6 = 64 contexts). */
function contextsWithFieldsMissing(language: string): { missing: string[]; ctx: RenderContext }[] {
  const full = longContext(language);
  return Array.from({ length: 2 ** OPTIONAL_FIELDS.length }, (_, mask) => {
    const missing = OPTIONAL_FIELDS.filter((_, bit) => (mask & (1 << bit)) !== 0);
    const ctx: RenderContext = { ...full };
    for (const field of missing) delete ctx[field];
    return { missing: [...missing], ctx };
  });
}

const cases = LANGUAGES.flatMap((language) => MESSAGE_KINDS.map((kind) => [language, kind] as const));

describe('default templates', () => {
  it('define every kind in English and Spanish', () => {
    for (const language of LANGUAGES) {
      expect(Object.keys(DEFAULT_TEMPLATES[language] ?? {}).sort()).toEqual([...MESSAGE_KINDS].sort());
    }
  });

  it.each(cases)('%s %s parses and uses only known placeholders', (language, kind) => {
    const template = DEFAULT_TEMPLATES[language]?.[kind] ?? '';
    const used = placeholdersOf(parseTemplate(template));
    expect(used).toContain('customerName');
    expect(used.filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name))).toEqual([]);
  });

  it.each(cases)('%s %s is written in GSM-7 so values decide the encoding', (language, kind) => {
    expect(isGsm7(DEFAULT_TEMPLATES[language]?.[kind] ?? 'á')).toBe(true);
  });

  it('uses the longest possible `when` in the length fixtures', () => {
    for (const language of LANGUAGES) {
      const longest = Math.max(
        ...Array.from({ length: 366 * 4 }, (_, i) => {
          const start = new Date(Date.UTC(2025, 0, 1, 0, 30) + i * 6 * 3600_000).toISOString();
          return renderMessage('CONFIRMED', { customerName: 'X', language, start, zone: ZONE }).body.length;
        }),
      );
      const fixture = renderMessage('CONFIRMED', {
        customerName: 'X',
        language,
        start: LONGEST_WHEN_START,
        zone: ZONE,
      });
      expect(fixture.body.length).toBe(longest);
    }
  });

  it.each(cases)('%s %s fits in 2 GSM-7 segments with long values', (language, kind) => {
    const message = renderMessage(kind, longContext(language));
    expect(message.language).toBe(language);
    expect(message.encoding).toBe('GSM-7');
    expect(message.segments).toBeLessThanOrEqual(2);
  });

  it.each(cases)('%s %s names the customer and says how to reach the clinic', (language, kind) => {
    const withPhone = renderMessage(kind, longContext(language)).body;
    expect(withPhone).toContain(LONG_VALUES.customerName);
    expect(withPhone).toContain(LONG_VALUES.callbackPhone);

    const withoutPhone = renderMessage(kind, { ...longContext(language), callbackPhone: undefined }).body;
    expect(withoutPhone).toContain(LONG_VALUES.customerName);
    expect(withoutPhone).toMatch(language === 'en' ? /contact our office/i : /llame a nuestra oficina/i);
  });

  it.each(cases)('%s %s leaves no artifacts whichever optional fields are missing', (language, kind) => {
    for (const { missing, ctx } of contextsWithFieldsMissing(language)) {
      const body = renderMessage(kind, ctx).body;
      const described = `${language} ${kind} without [${missing.join(', ')}]: ${body}`;
      expect({
        described,
        artifact: /\s{2}|\s[.,!?:;]|[,:]\s*[.,!?]|\.\.|\{\{|\}\}|^\s|\s$/.test(body),
      }).toEqual({
        described,
        artifact: false,
      });
      expect(body).not.toMatch(/\b(with|at|on|con|en|el|to|para)\s*[.,]/);
      expect(body).not.toContain('undefined');
    }
  });

  it.each(APPOINTMENT_KINDS.flatMap((kind) => LANGUAGES.map((language) => [language, kind] as const)))(
    '%s %s describes the appointment when its details are known',
    (language, kind) => {
      const body = renderMessage(kind, longContext(language)).body;
      expect(body).toContain(LONG_VALUES.firstName);
      expect(body).toContain(LONG_VALUES.provider);
      expect(body).toContain(LONG_VALUES.location);
      expect(body).toContain(language === 'en' ? 'Wed, Sep 24 at 12:30 PM' : 'mié 24 sept a las 12:30');
    },
  );

  describe('carrier keywords', () => {
    // A reply prompt naming an opt-out keyword: "Reply CANCEL", "text stop", "responda con CANCELAR"...
    const REPLY_WITH_OPT_OUT_WORD =
      /(reply|text|send|respond|responda|responde|conteste|escriba|env[ií]e)\s+(with\s+|con\s+)?["'“]?(cancel|cancelar|stop|stopall|unsubscribe|end|quit|revoke|opt[\s-]?out|parar|alto|detener)(?![\p{L}\p{N}])/iu;
    // An opt-out keyword in capitals anywhere ("2 or CANCEL to cancel").
    const CAPITALISED_OPT_OUT_WORD =
      /(?<![\p{L}\p{N}])(CANCEL|CANCELAR|STOP|STOPALL|UNSUBSCRIBE|END|QUIT|REVOKE|OPTOUT)(?![\p{L}\p{N}])/u;
    const STOP_DISCLOSURE = {
      en: 'Reply STOP to opt out.',
      es: 'Responda STOP para darse de baja.',
    } as const;

    it.each(cases)('%s %s never asks for a bare CANCEL/STOP', (language, kind) => {
      let body = renderMessage(kind, longContext(language)).body;
      if (kind === 'HELP' || kind === 'OPTED_IN') {
        expect(body).toContain(STOP_DISCLOSURE[language]);
        body = body.replace(STOP_DISCLOSURE[language], '');
      }
      expect(body).not.toMatch(REPLY_WITH_OPT_OUT_WORD);
      expect(body).not.toMatch(CAPITALISED_OPT_OUT_WORD);
      expect(findOptOutKeywordPrompts(kind, DEFAULT_TEMPLATES[language]?.[kind] ?? '')).toEqual([]);
    });

    it.each(
      KINDS_ASKING_TO_CONFIRM.flatMap((kind) => LANGUAGES.map((language) => [language, kind] as const)),
    )('%s %s asks to reply 1/YES to confirm and 2 to cancel', (language, kind) => {
      const body = renderMessage(kind, longContext(language)).body;
      expect(body).toContain(
        language === 'en'
          ? 'Reply 1 or YES to confirm, 2 to cancel.'
          : 'Responda 1 o SI para confirmar, 2 para cancelar.',
      );
    });

    it('the guard flags opt-out prompts and allows the STOP disclosure only where it belongs', () => {
      expect(findOptOutKeywordPrompts('REMINDER', 'Reply CANCEL to cancel')).toEqual([
        'CANCEL',
        'Reply CANCEL',
      ]);
      expect(findOptOutKeywordPrompts('REMINDER', 'Reply 1 to confirm, 2 or cancel')).toEqual([]);
      expect(findOptOutKeywordPrompts('REMINDER', 'text "stop" to cancel')).toEqual(['text "stop']);
      expect(findOptOutKeywordPrompts('REMINDER', 'Envíe CANCELAR')).toEqual(['CANCELAR', 'Envíe CANCELAR']);
      expect(findOptOutKeywordPrompts('REMINDER', 'Reply STOP to opt out.')).toEqual(['STOP', 'Reply STOP']);
      expect(findOptOutKeywordPrompts('HELP', 'Reply STOP to opt out.')).toEqual([]);
      expect(findOptOutKeywordPrompts('HELP', 'Reply CANCEL to opt out.')).toEqual([
        'CANCEL',
        'Reply CANCEL',
      ]);
      expect(findOptOutKeywordPrompts('OPTED_IN', 'Reply OPT-OUT to leave')).toEqual([
        'OPT-OUT',
        'Reply OPT-OUT',
      ]);
      expect(findOptOutKeywordPrompts('CANCELED', 'Your appointment was CANCELED.')).toEqual([]);
    });
  });
});

describe('template language', () => {
  it('fills values and optional sections', () => {
    const template = 'Hi{{#name}} {{name}}{{/name}}{{^name}} there{{/name}}!';
    expect(fillTemplate(template.replaceAll('name', 'firstName'), { firstName: 'Ana' })).toBe('Hi Ana!');
    expect(fillTemplate(template.replaceAll('name', 'firstName'), {})).toBe('Hi there!');
    expect(fillTemplate(template.replaceAll('name', 'firstName'), { firstName: '' })).toBe('Hi there!');
  });

  it('supports nested sections and spaces inside the braces', () => {
    const template =
      '{{# provider }}with {{ provider }}{{#location}} at {{location}}{{/location}}{{/ provider }}';
    expect(fillTemplate(template, { provider: 'Dr. Kim', location: 'Main' })).toBe('with Dr. Kim at Main');
    expect(fillTemplate(template, { location: 'Main' })).toBe('');
  });

  it('inserts values verbatim and never interprets them as template syntax', () => {
    expect(fillTemplate('{{customerName}}', { customerName: '<b>{{firstName}}</b> & Co' })).toBe(
      '<b>{{firstName}}</b> & Co',
    );
  });

  it('renders unknown names as absent', () => {
    expect(fillTemplate('a{{nope}}b{{#nope}}c{{/nope}}', {})).toBe('ab');
  });

  it.each([
    ['{{#provider}}unclosed', /never closed/],
    ['{{/provider}}', /never opened/],
    ['{{#provider}}x{{/location}}', /expected \{\{\/provider\}\}/],
    ['{{ 12 }}', /malformed tag at offset 0/],
    ['Hello {{firstName', /malformed tag at offset 6/],
    ['{{}}', /malformed tag/],
  ])('rejects %j', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate(template)).toThrow(message);
  });

  it('lists placeholders in first-use order without duplicates', () => {
    expect(placeholdersOf(parseTemplate('{{a}} {{#b}}{{a}}{{c}}{{/b}} {{^d}}{{/d}}'))).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('tidies spacing left by absent values', () => {
    expect(tidyRenderedText('  Hi  there ,  see you at Main St.. Bye...  ')).toBe(
      'Hi there, see you at Main St. Bye...',
    );
    expect(tidyRenderedText('Questions ? Oui !')).toBe('Questions ? Oui !');
  });
});
