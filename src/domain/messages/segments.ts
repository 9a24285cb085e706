/**
 * SMS segment counting (GSM 03.38 / 3GPP TS 23.038), so callers can see what a text will cost before sending.
 *
 * Rules implemented:
 * - If every character is in the GSM-7 default alphabet or its basic extension table, the text is sent as GSM-7.
 *   Default-alphabet characters cost 1 septet; extension characters cost 2 (an ESC septet plus the character).
 *   One segment holds 160 septets; a multipart message holds 153 per segment (7 septets go to the UDH).
 *   An ESC pair is never split across segments, so a segment may end one septet short.
 * - Otherwise the whole text is sent as UCS-2: 70 UTF-16 code units in one segment, 67 per multipart segment.
 *   A surrogate pair (e.g. most emoji) is never split, so a segment may end one unit short.
 *
 * Not modelled: national language shift tables (carriers in the US do not use them) and carrier "smart encoding"
 * that silently replaces characters; we count what we would actually send.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  /** Number of SMS segments; 0 for the empty text (there is nothing to send). */
  segments: number;
}

/**
 * GSM-7 default alphabet, in table order (0x00-0x7F). 0x1B (ESC) is omitted: it introduces the extension table
 * and is not a character a text can contain. Note that lowercase `ç` is NOT in the table (only `Ç`), nor are
 * `á`, `í`, `ó`, `ú`.
 */
const GSM7_DEFAULT_ALPHABET =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Basic extension table: each of these is sent as ESC + character, i.e. 2 septets. `\f` is the page break. */
const GSM7_EXTENSION_TABLE = '\f^{}\\[~]|€';

const GSM7_SEPTETS_BY_CHAR: ReadonlyMap<string, 1 | 2> = new Map<string, 1 | 2>([
  ...[...GSM7_DEFAULT_ALPHABET].map((char): [string, 1] => [char, 1]),
  ...[...GSM7_EXTENSION_TABLE].map((char): [string, 2] => [char, 2]),
]);

const GSM7_SINGLE_SEGMENT_SEPTETS = 160;
const GSM7_MULTIPART_SEGMENT_SEPTETS = 153;
const UCS2_SINGLE_SEGMENT_UNITS = 70;
const UCS2_MULTIPART_SEGMENT_UNITS = 67;

/** Septets a character costs in GSM-7, or undefined if GSM-7 cannot represent it. */
export function gsm7Septets(char: string): 1 | 2 | undefined {
  return GSM7_SEPTETS_BY_CHAR.get(char);
}

/** True when the whole text can be sent as GSM-7 (default alphabet + basic extension table). */
export function isGsm7(text: string): boolean {
  for (const char of text) {
    if (gsm7Septets(char) === undefined) return false;
  }
  return true;
}

export function countSegments(text: string): SegmentCount {
  // Iterating a string yields code points, so a surrogate pair arrives as one 2-unit "char".
  const chars = [...text];
  const gsmCosts = chars.map(gsm7Septets);
  if (gsmCosts.every((cost): cost is 1 | 2 => cost !== undefined)) {
    return packIntoSegments('GSM-7', gsmCosts, GSM7_SINGLE_SEGMENT_SEPTETS, GSM7_MULTIPART_SEGMENT_SEPTETS);
  }
  const ucs2Costs = chars.map((char) => char.length);
  return packIntoSegments('UCS-2', ucs2Costs, UCS2_SINGLE_SEGMENT_UNITS, UCS2_MULTIPART_SEGMENT_UNITS);
}

/**
 * Greedy packing of indivisible items (ESC pairs, surrogate pairs) into multipart segments; greedy is optimal here
 * because every item must stay in order and an item never exceeds a segment.
 */
function packIntoSegments(
  encoding: SmsEncoding,
  costs: readonly number[],
  singleSegmentCapacity: number,
  multipartSegmentCapacity: number,
): SegmentCount {
  const units = costs.reduce((sum, cost) => sum + cost, 0);
  if (units === 0) return { encoding, units, segments: 0 };
  if (units <= singleSegmentCapacity) return { encoding, units, segments: 1 };

  let segments = 1;
  let usedInCurrentSegment = 0;
  for (const cost of costs) {
    if (usedInCurrentSegment + cost > multipartSegmentCapacity) {
      segments += 1;
      usedInCurrentSegment = 0;
    }
    usedInCurrentSegment += cost;
  }
  return { encoding, units, segments };
}
