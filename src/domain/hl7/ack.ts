/**
 * HL7 v2 acknowledgments (ACK) for the messages we receive. Pure: the clock and the new control id
 * are passed in. Written with the standard encoding characters (|^~\&) and CR between segments.
 */
import type { Hl7Header } from './header';
import type { Hl7ErrorCode } from './problems';

/** The outcome for the sender's application: accepted, error in the content, rejected. */
export type AckOutcome = 'AA' | 'AE' | 'AR';
/** MSA-1 (HL7 table 0008): original mode AA/AE/AR, enhanced mode's accept acknowledgment CA/CE/CR. */
export type AckCode = AckOutcome | 'CA' | 'CE' | 'CR';

/** One ERR segment's worth; without a segment it is about the message as a whole. */
export interface AckError {
  segment?: string;
  field?: number;
  message: string;
  hl7ErrorCode: Hl7ErrorCode;
  /** ERR-4 (table 0516): E error (default), W warning (an AA that recorded something worth knowing). */
  severity?: 'E' | 'W';
}

export interface AckRequest {
  /** The received message's header; absent when the message could not be read at all. */
  header?: Hl7Header;
  outcome: AckOutcome;
  errors?: readonly AckError[];
  /** MSH-7 of the ACK. */
  now: Date;
  /** MSH-10 of the ACK: a new id, the original one goes to MSA-2. */
  ackControlId: string;
}

/** HL7 table 0357 texts for ERR-3 (v2.5+) and ERR-1.4 (v2.3/2.4). */
const ERROR_CODE_TEXT: Readonly<Record<Hl7ErrorCode, string>> = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  203: 'Unsupported version id',
  207: 'Application internal error',
};

// Answered in the sender's version; the one we speak best when it did not say.
const DEFAULT_VERSION = '2.5.1';

/**
 * The MSA-1 code. Original mode (MSH-15 and MSH-16 both empty) answers AA/AE/AR. Enhanced mode
 * answers with the accept (commit) acknowledgment CA/CE/CR: "accepted" here means handed durably
 * to Temporal, which is exactly a commit, and the appointment's processing is asynchronous, so no
 * separate application acknowledgment follows. AR maps to CR only for an unsupported message
 * type/version (the standard's CR cases); any other failure to commit is CE.
 */
export function acknowledgmentCode(
  outcome: AckOutcome,
  header: Hl7Header | undefined,
  errors: readonly AckError[] = [],
): AckCode {
  const enhanced = Boolean(header?.acceptAckType || header?.applicationAckType);
  if (!enhanced) return outcome;
  if (outcome === 'AA') return 'CA';
  const incompatible = errors.some((e) => e.hl7ErrorCode >= 200 && e.hl7ErrorCode <= 203);
  return outcome === 'AR' && incompatible ? 'CR' : 'CE';
}

/** The ACK message text (ER7, CR-separated, ending with CR). */
export function buildAck({ header, outcome, errors = [], now, ackControlId }: AckRequest): string {
  const version = header?.versionId || DEFAULT_VERSION;
  const modernErr = versionAtLeast(version, 2, 5);
  const code = acknowledgmentCode(outcome, header, errors);
  const msh = [
    'MSH',
    '^~\\&',
    // The ACK goes back: its sender is the original receiver and vice versa.
    encodeComponents(header?.receivingApplication ?? []),
    encodeComponents(header?.receivingFacility ?? []),
    encodeComponents(header?.sendingApplication ?? []),
    encodeComponents(header?.sendingFacility ?? []),
    formatHl7Timestamp(now),
    '',
    ackMessageType(header?.triggerEvent ?? '', version),
    escapeEr7(ackControlId),
    encodeComponents(header?.processingId?.length ? header.processingId : ['P']),
    escapeEr7(version),
  ];
  // MSA-3 (text message) is how v2.3/2.4 engines show why; v2.5 deprecated it in favour of ERR-8.
  const msaText = !modernErr && errors[0] ? errors[0].message : undefined;
  // MSA-2 echoes MSH-10 byte for byte (escaped only as ER7 requires), leading spaces and all.
  const msa = ['MSA', code, escapeEr7(header?.controlId ?? ''), ...(msaText ? [escapeEr7(msaText)] : [])];
  const segments = [msh.join('|'), msa.join('|')];
  // v2.3/2.4 ERR has no severity: a warning there would read as an error, so MSA-3 alone carries it.
  const errs = modernErr ? errors : errors.filter((e) => e.severity !== 'W');
  if (errs.length > 0) {
    if (modernErr) segments.push(...errs.map(errSegmentV25));
    else segments.push(errSegmentV23(errs));
  }
  return `${segments.join('\r')}\r`;
}

/** ACK^S12^ACK; the message structure component (MSH-9.3) exists from v2.3.1 on. */
function ackMessageType(trigger: string, version: string): string {
  if (!trigger) return 'ACK';
  return versionAtLeast(version, 2, 3, 1) ? `ACK^${escapeEr7(trigger)}^ACK` : `ACK^${escapeEr7(trigger)}`;
}

/** v2.5+: ERR-2 location (ERL), ERR-3 code (CWE, table 0357), ERR-4 severity, ERR-8 user message. */
function errSegmentV25(error: AckError): string {
  const location = error.segment
    ? [error.segment, '1', error.field === undefined ? '' : String(error.field)]
    : [];
  const code = [String(error.hl7ErrorCode), ERROR_CODE_TEXT[error.hl7ErrorCode], 'HL70357'];
  return [
    'ERR',
    '',
    encodeComponents(trimEmpty(location)),
    encodeComponents(code),
    error.severity ?? 'E',
    '',
    '',
    '',
    escapeEr7(error.message),
  ].join('|');
}

/** v2.3/2.4: one ERR whose ERR-1 (ELD: segment ^ sequence ^ field ^ code&text&HL70357) repeats. */
function errSegmentV23(errors: readonly AckError[]): string {
  const repetitions = errors.map((error) => {
    const code = [String(error.hl7ErrorCode), ERROR_CODE_TEXT[error.hl7ErrorCode], 'HL70357']
      .map(escapeEr7)
      .join('&');
    const location = error.segment
      ? [escapeEr7(error.segment), '1', error.field === undefined ? '' : String(error.field)]
      : ['', '', ''];
    return [...location, code].join('^');
  });
  return `ERR|${repetitions.join('~')}`;
}

function trimEmpty(parts: string[]): string[] {
  const copy = [...parts];
  while (copy.length > 0 && copy[copy.length - 1] === '') copy.pop();
  return copy;
}

function encodeComponents(parts: readonly string[]): string {
  return trimEmpty(parts.map(escapeEr7)).join('^');
}

const ENCODING_CHARACTER_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\E\\',
  '|': '\\F\\',
  '^': '\\S\\',
  '&': '\\T\\',
  '~': '\\R\\',
};

/**
 * ER7 escape sequences for the standard encoding characters, and hex escapes (\Xhh\) for control
 * characters: a CR would end the segment, and an MLLP block character would cut the frame.
 */
export function escapeEr7(value: string): string {
  let escaped = '';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    const control = code < 0x20 || code === 0x7f;
    escaped +=
      ENCODING_CHARACTER_ESCAPES[ch] ??
      (control ? `\\X${code.toString(16).toUpperCase().padStart(2, '0')}\\` : ch);
  }
  return escaped;
}

/** YYYYMMDDHHMMSS+0000: always UTC with an explicit offset, so no reader guesses a zone. */
export function formatHl7Timestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-12-01T15:30:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}+0000`;
}

function versionAtLeast(version: string, ...minimum: number[]): boolean {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  // An unreadable version gets the current structures.
  if (!match) return true;
  const parts = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  for (let i = 0; i < minimum.length; i++) {
    const have = parts[i] ?? 0;
    const want = minimum[i] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}
