import fc from 'fast-check';
import { countSegments, gsm7Septets, isGsm7 } from '../../../../src/domain/messages/segments';

const a = (n: number): string => 'a'.repeat(n);

describe('countSegments — GSM-7', () => {
  it('counts nothing for the empty text', () => {
    expect(countSegments('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 0 });
  });

  it.each([
    [1, 1],
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
    [459, 3],
    [460, 4],
  ])('%i plain septets take %i segment(s)', (length, segments) => {
    expect(countSegments(a(length))).toEqual({ encoding: 'GSM-7', units: length, segments });
  });

  it('keeps the whole default alphabet in GSM-7, including the Spanish/Nordic letters it has', () => {
    const defaultAlphabet =
      '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
    expect([...defaultAlphabet]).toHaveLength(127);
    expect(countSegments(defaultAlphabet)).toEqual({ encoding: 'GSM-7', units: 127, segments: 1 });
    for (const char of 'ñéüÑÜàèùìòÇØøÅåÄÖäö¿¡') expect(gsm7Septets(char)).toBe(1);
  });

  it.each([...'^{}\\[~]|€\f'])('counts extension character %j as 2 septets', (char) => {
    expect(gsm7Septets(char)).toBe(2);
    expect(countSegments(`x${char}`)).toEqual({ encoding: 'GSM-7', units: 3, segments: 1 });
  });

  it('fits 80 extension characters (160 septets) in one segment', () => {
    expect(countSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
  });

  it('puts at most 76 escape pairs in a multipart segment', () => {
    // 81 pairs = 162 septets: 76 pairs (152 septets) per segment, the 77th would straddle the boundary.
    expect(countSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', units: 162, segments: 2 });
    expect(countSegments('€'.repeat(152))).toEqual({ encoding: 'GSM-7', units: 304, segments: 2 });
    expect(countSegments('€'.repeat(153))).toEqual({ encoding: 'GSM-7', units: 306, segments: 3 });
  });

  it('never splits an escape pair across segments', () => {
    // 306 septets would fit 2 × 153, but the € at septets 153-154 must move whole to segment 2.
    expect(countSegments(`${a(152)}€${a(152)}`)).toEqual({ encoding: 'GSM-7', units: 306, segments: 3 });
    // Same length, pair not on the boundary: 2 segments.
    expect(countSegments(`${a(151)}€${a(153)}`)).toEqual({ encoding: 'GSM-7', units: 306, segments: 2 });
    expect(countSegments(`€${a(304)}`)).toEqual({ encoding: 'GSM-7', units: 306, segments: 2 });
  });

  it('counts a line break as one septet', () => {
    expect(countSegments('a\nb')).toEqual({ encoding: 'GSM-7', units: 3, segments: 1 });
  });
});

describe('countSegments — UCS-2', () => {
  it.each([...'áíóúÁçãõ`’“”\u00a0中'])('switches to UCS-2 for %j, which GSM-7 lacks', (char) => {
    expect(isGsm7(char)).toBe(false);
    expect(countSegments(`Hola ${char}`)).toEqual({ encoding: 'UCS-2', units: 6, segments: 1 });
  });

  it('switches the whole text, counting every character as UTF-16 code units', () => {
    // The € would be 2 septets in GSM-7 but is 1 code unit in UCS-2.
    expect(countSegments('Clínica €')).toEqual({ encoding: 'UCS-2', units: 9, segments: 1 });
  });

  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
    [201, 3],
    [202, 4],
  ])('%i code units take %i segment(s)', (length, segments) => {
    expect(countSegments(`á${a(length - 1)}`)).toEqual({ encoding: 'UCS-2', units: length, segments });
  });

  it('counts an emoji as 2 code units', () => {
    expect(countSegments('😀')).toEqual({ encoding: 'UCS-2', units: 2, segments: 1 });
    expect(countSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(countSegments('😀'.repeat(36))).toEqual({ encoding: 'UCS-2', units: 72, segments: 2 });
  });

  it('never splits a surrogate pair across segments', () => {
    // 134 units would fit 2 × 67, but the emoji at units 67-68 moves whole to segment 2, pushing 1 unit to a third.
    expect(countSegments(`${a(66)}😀${a(66)}`)).toEqual({ encoding: 'UCS-2', units: 134, segments: 3 });
    expect(countSegments(`${a(65)}😀${a(67)}`)).toEqual({ encoding: 'UCS-2', units: 134, segments: 2 });
    // 33 emoji (66 units) per multipart segment: 67 emoji = 134 units need 3 segments.
    expect(countSegments('😀'.repeat(67))).toEqual({ encoding: 'UCS-2', units: 134, segments: 3 });
  });

  it('treats a lone surrogate as one UCS-2 unit rather than failing', () => {
    expect(countSegments('a\ud83d')).toEqual({ encoding: 'UCS-2', units: 2, segments: 1 });
  });
});

describe('countSegments — properties', () => {
  it('needs at least ceil(units / capacity) segments and only one segment up to the single-segment limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (text) => {
        const { encoding, units, segments } = countSegments(text);
        const [single, multi] = encoding === 'GSM-7' ? [160, 153] : [70, 67];
        if (units === 0) return segments === 0;
        if (units <= single) return segments === 1;
        return segments >= Math.ceil(units / multi) && segments <= Math.ceil(units / (multi - 1));
      }),
    );
  });

  it('uses GSM-7 exactly when every character is in the GSM-7 tables', () => {
    const gsmChar = fc.constantFrom(...'@£$¥èéÇ\nØ_ΦÆß !09:?¡AZÄÑ§¿azäñà^{}\\[~]|€');
    fc.assert(
      fc.property(fc.array(gsmChar, { maxLength: 400 }), (chars) => {
        const text = chars.join('');
        const expectedUnits = chars.reduce((sum, char) => sum + (gsm7Septets(char) ?? 0), 0);
        const result = countSegments(text);
        return result.encoding === 'GSM-7' && result.units === expectedUnits;
      }),
    );
  });
});
