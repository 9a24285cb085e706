/**
 * A reader for ER7, HL7 v2's text encoding, numbered the way the standard and every interface spec number it:
 * segment SCH, field 11, component 4 is `sch.field(11).value(4)`, and in MSH the field separator itself is
 * MSH-1. The mappers only read, so this is a reader and nothing else: separators come from MSH-1/MSH-2,
 * repetitions, components and subcomponents split in that order, and escape sequences (\F\ \S\ \T\ \R\ \E\
 * \Xhh\; highlighting and charset escapes are dropped) are decoded when a value is read.
 *
 * It answers as node-hl7-client 3.2 (the parser this replaced) does, so the mappers answer as before: a blank
 * line between segments makes the message unreadable, text holding `MSH|` twice is a batch (not read), and a
 * \X..\ escape with an odd number of hex digits makes its value unreadable (Er7ReadError).
 */

/** A value (or a segment name) that cannot be decoded, or a segment that is blank. */
export class Er7ReadError extends Error {
  override readonly name = 'Er7ReadError';
}

/** The five encoding characters MSH-1 and MSH-2 declare. */
export interface Er7Separators {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

/** One message. Segments are split from the text when first asked for. */
export class Er7Message {
  private list: Er7Segment[] | undefined;

  private constructor(
    readonly separators: Er7Separators,
    private readonly lines: readonly string[],
  ) {}

  /**
   * Reads `text` (segments separated by CR, or by LF when it holds no CR): undefined unless it starts with MSH
   * and its five encoding characters, or when it holds `MSH|` twice (a batch of messages, not one).
   */
  static parse(text: string): Er7Message | undefined {
    if (!/^MSH[^\r]{5}/.test(text) || text.split('MSH|').length > 2) return undefined;
    const separators: Er7Separators = {
      field: text.charAt(3),
      component: text.charAt(4),
      repetition: text.charAt(5),
      escape: text.charAt(6),
      subcomponent: text.charAt(7),
    };
    return new Er7Message(separators, text.trim().split(text.includes('\r') ? '\r' : '\n'));
  }

  /** Every segment in message order; throws Er7ReadError for a blank one or a name that cannot be decoded. */
  all(): Er7Segment[] {
    this.list ??= this.lines.map((line) => {
      const text = line.trim();
      if (text === '') throw new Er7ReadError('a blank segment');
      return new Er7Segment(text, this.separators);
    });
    return this.list;
  }

  /** The segments named `name`, in message order. */
  segments(name: string): Er7Segment[] {
    return this.all().filter((segment) => segment.name === name);
  }

  /** The first segment named `name`. */
  segment(name: string): Er7Segment | undefined {
    return this.segments(name)[0];
  }
}

export class Er7Segment {
  /** The decoded first component of field 0 (a segment name's place). */
  readonly name: string;
  private readonly fields: readonly string[];

  constructor(
    text: string,
    private readonly separators: Er7Separators,
  ) {
    this.fields = text.split(separators.field);
    this.name = new Er7Repetition(firstPart(this.fields[0] ?? '', separators.repetition), separators).text(1);
  }

  /** Field n's repetitions; none when the field is empty or beyond the segment's end. */
  repetitions(field: number): Er7Repetition[] {
    // The field separator is MSH-1, so MSH-2 is the first text after the name.
    const text = this.fields[this.name === 'MSH' ? field - 1 : field] ?? '';
    if (text === '') return [];
    return text.split(this.separators.repetition).map((part) => new Er7Repetition(part, this.separators));
  }

  /** Field n's first repetition; an empty one when there is none. */
  field(field: number): Er7Repetition {
    return this.repetitions(field)[0] ?? new Er7Repetition('', this.separators);
  }
}

export class Er7Repetition {
  private readonly components: readonly string[];

  constructor(
    text: string,
    private readonly separators: Er7Separators,
  ) {
    this.components = text === '' ? [] : text.split(separators.component);
  }

  /** Component n as the sender meant it: decoded and trimmed; '' when absent or HL7's null `""`. */
  value(component: number): string {
    const value = this.text(component).trim();
    return value === '""' ? '' : value;
  }

  /** Component n decoded, as is: its first subcomponent (a TS inside a TQ is a composite of its own). */
  text(component: number): string {
    const raw = this.components[component - 1] ?? '';
    return decode(firstPart(raw, this.separators.subcomponent), this.separators);
  }

  /** Every component, decoded, as is (HD and PT fields the ACK echoes). */
  texts(): string[] {
    return this.components.map((_, index) => this.text(index + 1));
  }
}

function firstPart(text: string, separator: string): string {
  const end = text.indexOf(separator);
  return end < 0 ? text : text.slice(0, end);
}

/** Decodes escape sequences: text between two escape characters, named by the character after the first. */
function decode(text: string, separators: Er7Separators): string {
  const { escape } = separators;
  let decoded = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf(escape, from);
    const close = open < 0 ? -1 : text.indexOf(escape, open + 1);
    if (close < 0) return decoded + text.slice(from);
    decoded += text.slice(from, open) + escaped(text.slice(open, close + 1), separators);
    from = close + 1;
  }
}

function escaped(sequence: string, separators: Er7Separators): string {
  switch (sequence.charAt(1)) {
    case 'E':
      return separators.escape;
    case 'F':
      return separators.field;
    case 'R':
      return separators.repetition;
    case 'S':
      return separators.component;
    case 'T':
      return separators.subcomponent;
    case 'X':
      return hexText(sequence.slice(2, -1));
    // Highlighting (H, N), charset switches (C, M) and locally defined (Z) escapes carry no text.
    case 'C':
    case 'H':
    case 'M':
    case 'N':
    case 'Z':
      return '';
    default:
      return sequence;
  }
}

/** \Xhh..\: one character per pair of hex digits (a pair that is not hex reads as its parseInt). */
function hexText(hex: string): string {
  if (hex.length % 2 !== 0) throw new Er7ReadError('a \\X\\ escape with an odd number of hex digits');
  let text = '';
  for (let i = 0; i < hex.length; i += 2)
    text += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16));
  return text;
}
