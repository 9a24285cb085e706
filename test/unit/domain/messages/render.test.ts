import { Settings } from 'luxon';
import {
  TemplateOverridesError,
  formatChoices,
  formatWhen,
  mergeTemplates,
  parseTemplateOverrides,
  primaryLanguage,
  personName,
  renderMessage,
  sanitizeValue,
} from '../../../../src/domain/messages/render';
import { DEFAULT_TEMPLATES } from '../../../../src/domain/messages/templates';

// 2025-12-02 22:30 UTC = Tue 15:30 in Denver (MST, UTC-7) = Wed 07:30 in Tokyo (UTC+9).
const INSTANT = '2025-12-02T22:30:00Z';

function overridesError(json: unknown): TemplateOverridesError {
  try {
    parseTemplateOverrides(json);
  } catch (error) {
    if (error instanceof TemplateOverridesError) return error;
    throw error;
  }
  throw new Error('expected parseTemplateOverrides to throw');
}

describe('formatWhen', () => {
  it('formats the same instant in each appointment zone', () => {
    expect(formatWhen(INSTANT, 'America/Denver', 'en')).toBe('Tue, Dec 2 at 3:30 PM');
    expect(formatWhen(INSTANT, 'Asia/Tokyo', 'en')).toBe('Wed, Dec 3 at 7:30 AM');
    expect(formatWhen(INSTANT, 'America/Denver', 'es')).toBe('mar 2 dic a las 15:30');
    expect(formatWhen(INSTANT, 'Asia/Tokyo', 'es')).toBe('mié 3 dic a las 7:30');
  });

  it('accepts any offset in the instant and converts it', () => {
    expect(formatWhen('2025-12-03T07:30:00+09:00', 'America/Denver', 'en')).toBe('Tue, Dec 2 at 3:30 PM');
    expect(formatWhen('2025-12-02T15:30:00.000-0700', 'Asia/Tokyo', 'en')).toBe('Wed, Dec 3 at 7:30 AM');
  });

  it('follows daylight saving time of the zone', () => {
    expect(formatWhen('2025-07-01T21:30:00Z', 'America/Denver', 'en')).toBe('Tue, Jul 1 at 3:30 PM');
    expect(formatWhen('2025-07-01T21:30:00Z', 'Asia/Tokyo', 'en')).toBe('Wed, Jul 2 at 6:30 AM');
  });

  it('never depends on the host zone', () => {
    const hostZone = Settings.defaultZone;
    try {
      Settings.defaultZone = 'Pacific/Kiritimati';
      expect(formatWhen(INSTANT, 'America/Denver', 'en')).toBe('Tue, Dec 2 at 3:30 PM');
    } finally {
      Settings.defaultZone = hostZone;
    }
  });

  it('uses Spanish conventions: 24-hour clock, "a la" for one o’clock, GSM-7 day names', () => {
    expect(formatWhen('2025-12-06T08:05:00Z', 'UTC', 'es')).toBe('sab 6 dic a las 8:05');
    expect(formatWhen('2025-12-06T01:15:00Z', 'UTC', 'es-MX')).toBe('sab 6 dic a la 1:15');
    expect(formatWhen('2025-12-06T13:00:00Z', 'UTC', 'es')).toBe('sab 6 dic a las 13:00');
    expect(formatWhen('2025-09-10T00:00:00Z', 'UTC', 'es')).toBe('mié 10 sept a las 0:00');
  });

  it('uses English for unknown or missing languages and the locale format for other languages', () => {
    expect(formatWhen(INSTANT, 'America/Denver')).toBe('Tue, Dec 2 at 3:30 PM');
    expect(formatWhen(INSTANT, 'America/Denver', 'klingon-tlh')).toBe('Tue, Dec 2 at 3:30 PM');
    expect(formatWhen(INSTANT, 'America/Denver', 'fr-CA')).toMatch(/^mar\. 2 déc\.,? 15 ?[:h] ?30$/);
  });

  it.each([
    ['2025-12-02T15:30:00', 'America/Denver', /not an ISO instant with an offset/],
    ['2025-12-02', 'America/Denver', /not an ISO instant with an offset/],
    ['2025-13-02T15:30:00Z', 'America/Denver', /not a valid ISO instant/],
    ['tomorrow', 'America/Denver', /not an ISO instant/],
    [INSTANT, 'Mars/Olympus_Mons', /unknown zone/],
    [INSTANT, 'local', /host's zone/],
    [INSTANT, 'system', /host's zone/],
  ])('rejects start %j in zone %j', (start, zone, message) => {
    expect(() => formatWhen(start, zone, 'en')).toThrow(RangeError);
    expect(() => formatWhen(start, zone, 'en')).toThrow(message);
  });
});

describe('formatChoices', () => {
  it('numbers the appointments on one line, with the provider when given', () => {
    const items = [
      { start: INSTANT, zone: 'America/Denver' },
      { start: '2025-12-04T16:00:00Z', zone: 'America/Denver', provider: 'Dr. Kim' },
    ];
    expect(formatChoices(items, 'en')).toBe(
      '1) Tue, Dec 2 at 3:30 PM; 2) Thu, Dec 4 at 9:00 AM with Dr. Kim',
    );
    expect(formatChoices(items, 'es')).toBe('1) mar 2 dic a las 15:30; 2) jue 4 dic a las 9:00 con Dr. Kim');
    expect(formatChoices([], 'en')).toBe('');
  });
});

describe('primaryLanguage', () => {
  it.each([
    ['es', 'es'],
    ['es-MX', 'es'],
    ['ES_us', 'es'],
    [' es ', 'es'],
    ['en-GB', 'en'],
    ['fr', 'fr'],
    ['', 'en'],
    [undefined, 'en'],
    ['spanish', 'en'],
    ['1', 'en'],
  ])('%j → %j', (tag, expected) => {
    expect(primaryLanguage(tag)).toBe(expected);
  });
});

describe('sanitizeValue', () => {
  it('turns line breaks into spaces, drops control characters and collapses whitespace', () => {
    expect(sanitizeValue('  Dr.\r\nAna\tKim\u2028 ')).toBe('Dr. Ana Kim');
    expect(sanitizeValue('Ma\u0007in\u0000 St')).toBe('Main St');
    expect(sanitizeValue('\u202eevil\u202c Clinic')).toBe('evil Clinic');
    expect(sanitizeValue('Main\u00a0St')).toBe('Main St');
    expect(sanitizeValue(undefined)).toBe('');
  });

  it('keeps emoji sequences (zero-width joiners are not control characters here)', () => {
    expect(sanitizeValue('Dr. 👩‍⚕️ Kim')).toBe('Dr. 👩‍⚕️ Kim');
  });
});

describe('renderMessage', () => {
  const ctx = {
    customerName: 'Acme Health',
    firstName: 'Ana',
    provider: 'Dr. Kim',
    location: 'Main Clinic',
    start: INSTANT,
    zone: 'America/Denver',
    callbackPhone: '555-0100',
  };

  it('renders English by default', () => {
    expect(renderMessage('REMINDER', ctx)).toEqual({
      body:
        'Acme Health: Hi Ana, this is a reminder of your appointment with Dr. Kim at Main Clinic on Tue, Dec 2 at ' +
        '3:30 PM. Reply 1 or YES to confirm, 2 to cancel. Questions? Call 555-0100.',
      language: 'en',
      encoding: 'GSM-7',
      segments: 2,
    });
  });

  it('shows the time in the appointment zone', () => {
    expect(renderMessage('CONFIRMED', { ...ctx, zone: 'Asia/Tokyo' }).body).toContain(
      'on Wed, Dec 3 at 7:30 AM',
    );
  });

  it.each([
    ['es', 'es'],
    ['es-MX', 'es'],
    ['en-US', 'en'],
    ['pt-BR', 'en'],
    [undefined, 'en'],
  ])('language %j renders in %j', (language, expected) => {
    const message = renderMessage('REMINDER', { ...ctx, language });
    expect(message.language).toBe(expected);
    expect(message.body).toContain(
      expected === 'es' ? 'el mar 2 dic a las 15:30' : 'on Tue, Dec 2 at 3:30 PM',
    );
  });

  it('renders Spanish', () => {
    expect(renderMessage('REMINDER', { ...ctx, language: 'es-MX' }).body).toBe(
      'Acme Health: Hola Ana, le recordamos su cita con Dr. Kim en Main Clinic el mar 2 dic a las 15:30. ' +
        'Responda 1 o SI para confirmar, 2 para cancelar. ¿Preguntas? Llame al 555-0100.',
    );
  });

  it('inserts values verbatim but strips control characters and newlines', () => {
    const body = renderMessage('CONFIRMED', {
      ...ctx,
      customerName: 'Acme <Health> & "Co"',
      provider: 'Dr.\nKim\u0000',
      firstName: '{{customerName}}',
    }).body;
    expect(body).toContain('Acme <Health> & "Co": Hi {{customerName}}, your appointment with Dr. Kim at');
    expect(body).not.toContain('\n');
    expect(body).not.toContain('\u0000');
  });

  it('reports UCS-2 and the segment count when values are outside GSM-7', () => {
    const message = renderMessage('HELP', { customerName: 'Clínica Señor Jesús', language: 'es' });
    expect(message.encoding).toBe('UCS-2');
    expect(message.segments).toBe(Math.ceil(message.body.length / 67));
  });

  it('requires the customer name', () => {
    expect(() => renderMessage('HELP', { customerName: ' \n ' })).toThrow(/customerName is required/);
  });

  it('requires a zone to show the time, but only for texts that show it', () => {
    expect(() => renderMessage('REMINDER', { customerName: 'Acme', start: INSTANT })).toThrow(
      /zone is required/,
    );
    expect(renderMessage('HELP', { customerName: 'Acme', start: INSTANT }).body).toContain('Acme');
  });

  it('leaves the time out when start is unknown', () => {
    expect(renderMessage('REMINDER', { customerName: 'Acme', zone: 'America/Denver' }).body).toBe(
      'Acme: Hi, this is a reminder of your appointment. Reply 1 or YES to confirm, 2 to cancel. ' +
        'Questions? Contact our office.',
    );
  });
});

describe('template overrides', () => {
  it('accepts partial overrides and merges them kind by kind', () => {
    const overrides = parseTemplateOverrides({
      en: { REMINDER: '{{customerName}}: see you {{when}}. Reply 1 to confirm, 2 to cancel.' },
      es: { HELP: '{{customerName}}: ayuda.' },
    });
    const templates = mergeTemplates(DEFAULT_TEMPLATES, overrides);
    expect(
      renderMessage('REMINDER', { customerName: 'Acme', start: INSTANT, zone: 'Asia/Tokyo' }, templates).body,
    ).toBe('Acme: see you Wed, Dec 3 at 7:30 AM. Reply 1 to confirm, 2 to cancel.');
    expect(templates.en.HELP).toBe(DEFAULT_TEMPLATES.en.HELP);
    expect(templates.es?.HELP).toBe('{{customerName}}: ayuda.');
    expect(templates.es?.REMINDER).toBe(DEFAULT_TEMPLATES.es?.REMINDER);
    // Inputs are untouched.
    expect(DEFAULT_TEMPLATES.en.REMINDER).not.toContain('see you');
  });

  it('adds languages with partial kinds that fall back to English', () => {
    const templates = mergeTemplates(
      DEFAULT_TEMPLATES,
      parseTemplateOverrides({
        fr: { REMINDER: '{{customerName}} : rendez-vous le {{when}}. Répondez 1 ou 2.' },
      }),
    );
    const french = renderMessage(
      'REMINDER',
      { customerName: 'Acme', language: 'fr-CA', start: INSTANT, zone: 'UTC' },
      templates,
    );
    expect(french.language).toBe('fr');
    expect(french.body).toMatch(/^Acme : rendez-vous le mar\. 2 déc\./);

    const fallback = renderMessage('HELP', { customerName: 'Acme', language: 'fr' }, templates);
    expect(fallback.language).toBe('en');
    expect(fallback.body).toBe(renderMessage('HELP', { customerName: 'Acme' }).body);
  });

  it('accepts an empty object', () => {
    expect(parseTemplateOverrides({})).toEqual({});
    expect(mergeTemplates(DEFAULT_TEMPLATES, {})).toEqual(DEFAULT_TEMPLATES);
  });

  it('rejects unknown kinds, listing them and the allowed ones', () => {
    const error = overridesError({ en: { REMINDR: 'x', BOOKED: '{{customerName}}', REMIND: 'y' } });
    expect(error.problems).toEqual([
      expect.stringMatching(/^en: unknown message kind\(s\) REMINDR, REMIND; expected one of BOOKED, /),
    ]);
  });

  it('rejects keys that are not language subtags', () => {
    const error = overridesError({ 'es-MX': { HELP: 'x' }, English: { HELP: 'x' }, __proto__x: {} });
    expect(error.problems).toEqual([
      expect.stringMatching(/^"es-MX": not a language; use a lowercase BCP 47 primary subtag/),
      expect.stringMatching(/^"English": not a language/),
      expect.stringMatching(/^"__proto__x": not a language/),
    ]);
  });

  it('rejects unknown placeholders, listing them and the allowed ones', () => {
    const error = overridesError({
      en: { REMINDER: 'Hi {{name}}, at {{date}} {{#clinic}}x{{/clinic}} {{when}}' },
    });
    expect(error.problems).toEqual([
      'en.REMINDER: unknown placeholder(s) {{name}}, {{date}}, {{clinic}}; allowed: {{customerName}}, {{firstName}}, ' +
        '{{provider}}, {{location}}, {{when}}, {{callbackPhone}}, {{choices}}',
    ]);
  });

  it('rejects malformed templates and empty texts', () => {
    const error = overridesError({
      en: { REMINDER: '{{#provider}}x', HELP: '  ' },
      es: { HELP: 'a {{when' },
    });
    expect(error.problems).toEqual([
      'en.REMINDER: section "provider" is never closed',
      'en.HELP: empty text',
      expect.stringMatching(/^es\.HELP: malformed tag at offset 2/),
    ]);
  });

  it('rejects texts asking the patient to send a carrier opt-out keyword', () => {
    const error = overridesError({
      en: { REMINDER: 'Reply YES to confirm or CANCEL to cancel.', HELP: 'Reply STOP to opt out.' },
      es: { BOOKED: 'Responda CANCELAR para cancelar.' },
    });
    expect(error.problems).toEqual([
      expect.stringMatching(/^en\.REMINDER: asks the patient to send a carrier opt-out keyword \(CANCEL\)/),
      expect.stringMatching(
        /^es\.BOOKED: asks the patient to send a carrier opt-out keyword \(CANCELAR, Responda CANCELAR\)/,
      ),
    ]);
  });

  it.each([
    ['a string', '{"en":{}}', /^\(root\): /],
    ['an array', [], /^\(root\): /],
    ['null', null, /^\(root\): /],
    ['a non-object language', { en: 'REMINDER' }, /^en: /],
    ['a non-string text', { en: { REMINDER: 42 } }, /^en\.REMINDER: /],
  ])('rejects %s with the path of the problem', (_label, json, message) => {
    const error = overridesError(json);
    expect(error.problems).toEqual([expect.stringMatching(message)]);
    expect(error.message).toMatch(/^Invalid template overrides:\n- /);
  });

  it('rejects a JSON "__proto__" key instead of merging it', () => {
    const error = overridesError(JSON.parse('{"__proto__": {"HELP": "x"}}'));
    expect(error.problems).toEqual([expect.stringMatching(/^"__proto__": not a language/)]);
    expect(({} as Record<string, unknown>).HELP).toBeUndefined();
  });

  it('reports every problem at once', () => {
    const error = overridesError({ en: { NOPE: 'x', HELP: '{{bad}}' }, xx_YY: {} });
    expect(error.problems).toHaveLength(3);
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });
});

describe('names in capitals', () => {
  test.each([
    ['ANA', 'Ana'],
    ['JO SMITH', 'Jo Smith'],
    ["MARY-JANE O'NEIL", "Mary-Jane O'Neil"],
    ['DR. LEE', 'Dr. Lee'],
    ['JOSÉ', 'José'],
    ['McDonald', 'McDonald'],
    ['ana', 'ana'],
    ['', ''],
  ])('%s is shown as %s', (input, shown) => {
    expect(personName(input)).toBe(shown);
  });

  test('an HL7 feed in capitals does not shout at the patient', () => {
    const { body } = renderMessage('BOOKED', {
      customerName: 'Valley Clinic',
      firstName: 'ANA',
      provider: 'JO SMITH',
      start: '2026-12-04T16:30:00.000Z',
      zone: 'America/Denver',
    });
    expect(body).toContain('Hi Ana, your appointment with Jo Smith');
  });
});
