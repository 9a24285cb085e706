/**
 * The rules every ingress format shares (ingestRules.ts), each on its own; crossFormat.test.ts holds JSON, HL7
 * and FHIR to them.
 */
import {
  FIELD_LIMITS,
  displayZone,
  ehrIdentifier,
  hasControlCharacter,
  isEhrIdentifier,
  normalisePhone,
  patientIdentifier,
  readLanguageTag,
} from '../../../../src/domain/events/ingestRules';

describe('normalisePhone', () => {
  it.each([
    ['+13035550123', 'US', '+13035550123'],
    ['(303) 555-0123', 'US', '+13035550123'],
    ['303-555-0123', 'US', '+13035550123'],
    ['1 303 555 0123', 'US', '+13035550123'],
    ['+1 (303) 555-0123', 'GB', '+13035550123'],
    ['55 1234 5678', 'MX', '+525512345678'],
  ])('%s in %s is %s', (raw, country, expected) => {
    expect(normalisePhone(raw, country)).toBe(expected);
  });

  it.each([
    ['', 'US'],
    ['12345', 'US'],
    ['abc', 'US'],
    ['(303) 555-0123', 'XX'],
    ['(303) 555-0123', ''],
    ['x'.repeat(10_000), 'US'],
  ])('returns undefined for %# without throwing', (raw, country) => {
    expect(normalisePhone(raw, country)).toBeUndefined();
  });
});

describe('EHR ids', () => {
  it.each(['APPT-42', 'A.b_c:d@e-1', 'x'.repeat(FIELD_LIMITS.identifier)])('%j is one', (id) => {
    expect(isEhrIdentifier(id)).toBe(true);
    expect(ehrIdentifier.safeParse(id).success).toBe(true);
  });

  it.each(['', 'APPT/42', 'APPT 42', 'Á1', 'A\\B', 'x'.repeat(FIELD_LIMITS.identifier + 1)])(
    '%j is not',
    (id) => {
      expect(isEhrIdentifier(id)).toBe(false);
      expect(ehrIdentifier.safeParse(id).success).toBe(false);
    },
  );

  it('tests the text as it is; the schema trims first', () => {
    expect(isEhrIdentifier(' A1')).toBe(false);
    expect(ehrIdentifier.parse(' A1 ')).toBe('A1');
  });
});

describe('patient ids', () => {
  it('take any printable text, and no control character', () => {
    expect(patientIdentifier.parse(' P/7 * ')).toBe('P/7 *');
    for (const id of ['P\u00007', 'P\t7', 'P\u007f']) {
      expect(hasControlCharacter(id)).toBe(true);
      expect(patientIdentifier.safeParse(id).success).toBe(false);
    }
    expect(hasControlCharacter('Añá 7')).toBe(false);
  });
});

describe('readLanguageTag', () => {
  it.each([
    ['es', 'es'],
    [' es-MX ', 'es-MX'],
    ['eng', 'en'],
    ['SPA', 'es'],
    ['zh-Hant-TW', 'zh-Hant-TW'],
  ])('reads %j as %s', (text, tag) => {
    expect(readLanguageTag(text)).toEqual({ ok: true, tag });
  });

  it('reads language names only when asked (fields that carry text)', () => {
    expect(readLanguageTag('Spanish')).toEqual({ ok: false, reason: 'not-a-tag' });
    expect(readLanguageTag('Spanish', { names: true })).toEqual({ ok: true, tag: 'es' });
    expect(readLanguageTag(' español ', { names: true })).toEqual({ ok: true, tag: 'es' });
    expect(readLanguageTag('English', { names: true })).toEqual({ ok: true, tag: 'en' });
  });

  it.each(['', 'e', 'es_MX', '12', 'english!', 'constructor', '__proto__', 'toString'])(
    'reads %j as no tag',
    (text) => {
      expect(readLanguageTag(text, { names: true })).toEqual({ ok: false, reason: 'not-a-tag' });
    },
  );

  it('says when a tag is only too long', () => {
    const long = `en-${'abcdefgh-'.repeat(4)}x1`;
    expect(long.length).toBeGreaterThan(FIELD_LIMITS.language);
    expect(readLanguageTag(long)).toEqual({ ok: false, reason: 'too-long' });
  });
});

describe('displayZone', () => {
  const at = (iso: string): number => Date.parse(iso);

  it('keeps DEFAULT_TIMEZONE when it has the offset at that instant, summer or winter', () => {
    expect(displayZone(at('2026-12-04T16:30:00Z'), -420, 'America/Denver', 'is-an-offset')).toBe(
      'America/Denver',
    );
    expect(displayZone(at('2026-07-01T15:30:00Z'), -360, 'America/Denver', 'is-an-offset')).toBe(
      'America/Denver',
    );
  });

  it('is the sender’s fixed offset otherwise, as ±HHMM', () => {
    expect(displayZone(at('2026-12-04T14:30:00Z'), -300, 'America/Denver', 'is-an-offset')).toBe('-0500');
    expect(displayZone(at('2026-12-04T04:00:00Z'), 330, 'America/Denver', 'says-nothing')).toBe('+0530');
  });

  it('reads a zero offset as the format says: no zone (FHIR), or an offset like any other (HL7)', () => {
    const instant = at('2026-12-04T16:30:00Z');
    expect(displayZone(instant, 0, 'America/Denver', 'says-nothing')).toBe('America/Denver');
    expect(displayZone(instant, 0, 'America/Denver', 'is-an-offset')).toBe('+0000');
    expect(displayZone(instant, 0, 'Europe/London', 'is-an-offset')).toBe('Europe/London');
  });
});
