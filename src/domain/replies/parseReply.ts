/**
 * Grammar of patients' SMS replies.
 *
 * Normalisation (so "  ¡Sí! ", "si", "SÍ." and full-width "ＹＥＳ" all read the same):
 * NFKC (full-width letters/digits → ASCII), upper case, accents removed (SÍ → SI), `-`/`_` read as spaces,
 * leading/trailing punctuation and symbols dropped (`.`, `!`, `¡`, `¿`, quotes, `#`, emoji), inner whitespace
 * collapsed.
 *
 * Keywords:
 * - CONFIRM: 1, C, Y, YES, CONFIRM; Spanish also SI/SÍ, CONFIRMAR.
 * - CANCEL_REQUEST (cancel the appointment, keep texting): 2, CANCEL APPT, CANCEL APPOINTMENT; Spanish also
 *   CANCELAR CITA, CANCELAR LA CITA, CANCELAR MI CITA.
 * - OPT_OUT, OPT_IN and HELP keywords apply whatever the patient's language, because a patient may write in another
 *   language than the one on file and an opt-out must always be honoured.
 *   - OPT_OUT: the carrier/CTIA keywords STOP, STOPALL, UNSUBSCRIBE, END, QUIT, CANCEL, REVOKE, OPTOUT (plus
 *     "OPT OUT", "STOP ALL"), and the Spanish PARAR, ALTO, DETENER, CANCELAR. A bare CANCEL/CANCELAR is an opt-out,
 *     not an appointment cancellation: carriers (and Twilio) already treat CANCEL that way, and when unsure we err
 *     on the side of honouring a revocation of consent. Also, a reply whose FIRST word is STOP, STOPALL or
 *     UNSUBSCRIBE ("Stop texting me") is an opt-out: those words carry no other meaning in a reply.
 *   - OPT_IN: START, UNSTOP, and Spanish COMENZAR. (Carriers only know the English words; if the carrier blocked
 *     the number after STOP, only START/UNSTOP lift that block.)
 *   - HELP: HELP, INFO, and Spanish AYUDA.
 * - A bare positive integer other than 1 and 2 is a CHOICE (answer to a numbered DISAMBIGUATE question). 1 and 2
 *   stay CONFIRM/CANCEL_REQUEST; a caller with an open disambiguation question should use `parseChoice` instead.
 * - Anything else, including longer free text such as "yes please", is UNKNOWN; it is for the caller to answer
 *   with NOT_UNDERSTOOD or route to staff.
 */

export type ReplyKind = 'CONFIRM' | 'CANCEL_REQUEST' | 'OPT_OUT' | 'OPT_IN' | 'HELP' | 'CHOICE' | 'UNKNOWN';

export interface ParsedReply {
  kind: ReplyKind;
  /** Only for CHOICE: the number the patient sent. */
  choice?: number;
}

export const OPT_OUT_KEYWORDS = [
  'STOP',
  'STOPALL',
  'STOP ALL',
  'UNSUBSCRIBE',
  'END',
  'QUIT',
  'CANCEL',
  'REVOKE',
  'OPTOUT',
  'OPT OUT',
  'PARAR',
  'ALTO',
  'DETENER',
  'CANCELAR',
] as const;
export const OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'COMENZAR'] as const;
export const HELP_KEYWORDS = ['HELP', 'INFO', 'AYUDA'] as const;

/** First words that make any reply an opt-out. Deliberately excludes CANCEL ("cancel my appointment") and END. */
const OPT_OUT_LEADING_WORDS: ReadonlySet<string> = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE']);

const CONFIRM_KEYWORDS_EN = ['C', 'Y', 'YES', 'CONFIRM'];
const CANCEL_REQUEST_KEYWORDS_EN = ['CANCEL APPT', 'CANCEL APPOINTMENT'];
const CONFIRM_KEYWORDS_ES = [...CONFIRM_KEYWORDS_EN, 'SI', 'CONFIRMAR'];
const CANCEL_REQUEST_KEYWORDS_ES = [
  ...CANCEL_REQUEST_KEYWORDS_EN,
  'CANCELAR CITA',
  'CANCELAR LA CITA',
  'CANCELAR MI CITA',
];

type KeywordKind = Exclude<ReplyKind, 'CHOICE' | 'UNKNOWN'>;

function keywordTable(
  confirm: readonly string[],
  cancelRequest: readonly string[],
): ReadonlyMap<string, KeywordKind> {
  return new Map<string, KeywordKind>([
    ...confirm.map((word): [string, KeywordKind] => [word, 'CONFIRM']),
    ...cancelRequest.map((word): [string, KeywordKind] => [word, 'CANCEL_REQUEST']),
    // Universal keywords last, so they win should a language ever reuse one of them.
    ...OPT_OUT_KEYWORDS.map((word): [string, KeywordKind] => [word, 'OPT_OUT']),
    ...OPT_IN_KEYWORDS.map((word): [string, KeywordKind] => [word, 'OPT_IN']),
    ...HELP_KEYWORDS.map((word): [string, KeywordKind] => [word, 'HELP']),
  ]);
}

const KEYWORDS_BY_LANGUAGE = {
  en: keywordTable(CONFIRM_KEYWORDS_EN, CANCEL_REQUEST_KEYWORDS_EN),
  es: keywordTable(CONFIRM_KEYWORDS_ES, CANCEL_REQUEST_KEYWORDS_ES),
} as const;

/** Twilio's longest inbound Body (ten concatenated segments); anything past it is not read. */
export const MAX_REPLY_CHARACTERS = 1600;

const EDGE_CHARACTER = /^[\s\p{P}\p{S}]$/u;

/**
 * Drops spaces, punctuation and symbols at both ends, in linear time (a regex anchored at the end,
 * `[…]+$`, retries from every position: quadratic on a long run of spaces followed by a letter).
 */
function trimEdges(text: string): string {
  const chars = [...text];
  let start = 0;
  let end = chars.length;
  while (start < end && EDGE_CHARACTER.test(chars[start] ?? '')) start += 1;
  while (end > start && EDGE_CHARACTER.test(chars[end - 1] ?? '')) end -= 1;
  return chars.slice(start, end).join('');
}

/** Canonical form used for matching; exported so callers can log/compare replies the same way. */
export function normalizeReply(text: string): string {
  return trimEdges(
    text
      .slice(0, MAX_REPLY_CHARACTERS)
      .normalize('NFKC')
      .toUpperCase()
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .replace(/[-_]/g, ' '),
  ).replace(/\s+/gu, ' ');
}

/** Any positive integer reply ("3", " 3. ", "#3", full-width "３"), else undefined. */
export function parseChoice(text: string): number | undefined {
  const normalized = normalizeReply(text);
  if (!/^[0-9]+$/.test(normalized)) return undefined;
  const value = Number(normalized);
  return value > 0 && Number.isSafeInteger(value) ? value : undefined;
}

export function parseReply(text: string, language?: string): ParsedReply {
  const choice = parseChoice(text);
  if (choice === 1) return { kind: 'CONFIRM' };
  if (choice === 2) return { kind: 'CANCEL_REQUEST' };
  if (choice !== undefined) return { kind: 'CHOICE', choice };

  const normalized = normalizeReply(text);
  const keywordKind = keywordsFor(language).get(normalized);
  if (keywordKind) return { kind: keywordKind };

  const firstWord = normalized.split(' ', 1)[0] ?? '';
  if (OPT_OUT_LEADING_WORDS.has(firstWord)) return { kind: 'OPT_OUT' };
  return { kind: 'UNKNOWN' };
}

/** Spanish grammar for `es`, `es-MX`, `es_US`...; English grammar for anything else. */
function keywordsFor(language: string | undefined): ReadonlyMap<string, KeywordKind> {
  const primarySubtag = (language ?? '').split(/[-_]/, 1)[0]?.toLowerCase();
  return primarySubtag === 'es' ? KEYWORDS_BY_LANGUAGE.es : KEYWORDS_BY_LANGUAGE.en;
}
