/**
 * HL7 v2 SIU messages for fuzzing: a valid SIU^S12 family message as segments, edits that break it
 * (segments moved, fields set, encoding characters changed), re-framing, and plain garbage text.
 */
import fc from 'fast-check';
import { anyText, hexId, hugeText, sometimes } from './mutations';
import { appointmentId, localDateTime } from './ehrCommon';

/** Segments as field lists; MSH's first entry after the name is MSH-2 (MSH-1 is the separator itself). */
export type Segments = string[][];

const hl7Time: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: localDateTime
      .filter((t) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(t))
      .map((t) => t.replace(/[-:T]/g, '')),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '203103040930',
      '20310304093000-0700',
      '20310304093000.1234+0100',
      '20310304',
      '2031030409',
      '20311340093000',
      '20310304096000',
      '20310304093000+2500',
      '99991231235959',
      '""',
      '2031-03-04T09:30:00',
    ),
  },
  { weight: 1, arbitrary: anyText },
);

const hl7Phone: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '^PRN^PH^^44^20^79460958',
      '^PRN^CP^^^^^^^^^***-***-0142',
      '^NET^Internet^fuzz@example.org',
      '(303)555-0142^PRN^CP',
      '+442079460958^^PH~^ORN^FX^^1^303^5550100',
      '""',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('^PRN^CP^^1^303^5550142', '3035550142') },
  { weight: 1, arbitrary: anyText },
);

const hl7Field: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: anyText },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\\F\\',
      '\\S\\\\T\\\\R\\\\E\\',
      '\\X0D\\',
      '\\X0B1C\\',
      '\\Xzz\\',
      '\\',
      'a\\',
      '\\.br\\',
      '\\H\\bold\\N\\',
      '\\Z99\\',
      '\\C2842\\',
      '|||',
      '^^^^^^^^^^^^^^^^^^^^',
      '~~~~~~~~',
      '&&&&',
      'A^B~C^D&E',
      '""',
    ),
  },
  { weight: 2, arbitrary: hl7Time },
  { weight: 1, arbitrary: hl7Phone },
  { weight: 1, arbitrary: hugeText.filter((t) => t.length < 100_000) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('|', '^', '~', '\\', '&', 'A', '1', '\r', '\n'),
      maxLength: 30,
    }),
  },
);

export interface SiuParams {
  trigger: string;
  controlId: string;
  placer: string;
  filler: string | null;
  start: string | null;
  startIn: 'SCH' | 'TQ1' | 'AIS';
  processingId: string;
  version: string;
  enhanced: boolean;
  phone: string;
  language: string;
  extraSegments: boolean;
}

export const siuParams: fc.Arbitrary<SiuParams> = fc.record({
  trigger: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom('S12', 'S12', 'S13', 'S14', 'S15', 'S17', 'S26') },
    { weight: 1, arbitrary: fc.constantFrom('S99', 'A01', '', 's12', 'S12 ') },
  ),
  controlId: hexId(14).map((h) => `FZH${h}`),
  placer: fc.oneof(appointmentId, fc.constant('')),
  filler: fc.option(appointmentId, { freq: 4 }),
  start: fc.option(hl7Time, { freq: 6 }),
  startIn: fc.constantFrom('SCH', 'SCH', 'TQ1', 'AIS'),
  processingId: fc.constantFrom('P', 'P', 'P', 'T', 'D', 'P^T', ''),
  version: fc.constantFrom('2.5.1', '2.5.1', '2.3', '2.4', '2.3.1', '2.8', '3.0', ''),
  enhanced: fc.boolean(),
  phone: hl7Phone,
  language: fc.constantFrom('en', 'es', 'eng', 'spa', 'Spanish', '', 'xx'),
  extraSegments: fc.boolean(),
});

export function siuSegments(p: SiuParams): Segments {
  const start = p.start ?? '';
  const msh = [
    'MSH',
    '^~\\&',
    'FZEHR',
    'FZFAC',
    'SMS',
    'CLINIC',
    '20310101083000',
    '',
    `SIU^${p.trigger}^SIU_S12`,
    p.controlId,
    p.processingId,
    p.version,
  ];
  if (p.enhanced) msh.push('', '', '', 'AL', 'NE');
  const sch = [
    'SCH',
    `${p.placer}^FZ`,
    p.filler === null ? '' : `${p.filler}^FZ`,
    '',
    '',
    '',
    'CHECKUP^Checkup',
    '',
    '',
    '30',
    'MIN',
    p.startIn === 'SCH' ? `^^30^${start}` : '',
  ];
  const segments: Segments = [
    msh,
    sch,
    [
      'PID',
      '1',
      '',
      'FZPAT-1^^^FZ^MR',
      '',
      'FUZZ^ANA',
      '',
      '19800101',
      'F',
      '',
      '',
      '',
      '',
      p.phone,
      '',
      p.language,
    ],
  ];
  if (p.startIn === 'TQ1') segments.push(['TQ1', '1', '', '', '', '', '', start]);
  segments.push(['RGS', '1']);
  if (p.startIn === 'AIS') segments.push(['AIS', '1', '', 'CHECKUP^Checkup', start]);
  if (p.extraSegments) {
    segments.push(['AIG', '1', '', '', 'KIM, JO']);
    segments.push(['ZFZ', 'custom', 'segment']);
    segments.push(['PV1', '1', 'O', 'EAST^^^FZ', '', '', '', '2002^LEE^SAM']);
  }
  segments.push(['AIL', '1', '', '^^^^^^^^Fuzz Clinic']);
  segments.push(['AIP', '1', '', '2001^KIM^JO']);
  return segments;
}

export type Hl7Edit =
  | { op: 'dropSegment'; seg: number }
  | { op: 'duplicateSegment'; seg: number }
  | { op: 'swapSegments'; a: number; b: number }
  | { op: 'insertSegment'; seg: number; text: string }
  | { op: 'setField'; seg: number; field: number; value: string }
  | { op: 'truncateSegment'; seg: number; keep: number }
  | { op: 'encodingCharacters'; value: string }
  | { op: 'renameSegment'; seg: number; name: string };

export const hl7Edit: fc.Arbitrary<Hl7Edit> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropSegment' as const), seg: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicateSegment' as const), seg: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swapSegments' as const), a: fc.nat(), b: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insertSegment' as const),
      seg: fc.nat(),
      text: fc.oneof(anyText, fc.constantFrom('MSH|^~\\&|X', 'SCH|', 'PID|||', 'ERR|', 'MSA|AA|1', '|')),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('setField' as const),
      seg: fc.nat(),
      field: fc.integer({ min: 1, max: 20 }),
      value: hl7Field,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('truncateSegment' as const),
      seg: fc.nat(),
      keep: fc.nat({ max: 12 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('encodingCharacters' as const),
      value: fc.oneof(
        fc.constantFrom(
          '',
          '^',
          '^~',
          '^~\\',
          '^~\\&#',
          '#~\\&',
          '^^^^',
          '||||',
          '\\\\\\\\',
          '^~\\&^~\\&',
          ' ',
        ),
        anyText,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('renameSegment' as const),
      seg: fc.nat(),
      name: fc.constantFrom('msh', 'MSH', 'SCH', 'PID', 'ZZZ', '', 'MS', 'MSHX', ' MSH'),
    }),
  },
);

export function applyHl7Edits(segments: Segments, edits: readonly Hl7Edit[]): Segments {
  const out = segments.map((s) => [...s]);
  const index = (n: number): number => n % Math.max(1, out.length);
  for (const edit of edits) {
    if (out.length === 0) break;
    switch (edit.op) {
      case 'dropSegment':
        out.splice(index(edit.seg), 1);
        break;
      case 'duplicateSegment':
        out.splice(index(edit.seg), 0, [...(out[index(edit.seg)] ?? [])]);
        break;
      case 'swapSegments': {
        const a = index(edit.a);
        const b = index(edit.b);
        [out[a], out[b]] = [out[b] ?? [], out[a] ?? []];
        break;
      }
      case 'insertSegment':
        out.splice(index(edit.seg), 0, [edit.text]);
        break;
      case 'setField': {
        const segment = out[index(edit.seg)] ?? [];
        while (segment.length <= edit.field) segment.push('');
        segment[edit.field] = edit.value;
        break;
      }
      case 'truncateSegment':
        out[index(edit.seg)] = (out[index(edit.seg)] ?? []).slice(0, edit.keep);
        break;
      case 'encodingCharacters': {
        const msh = out.find((s) => s[0] === 'MSH');
        if (msh) msh[1] = edit.value;
        break;
      }
      case 'renameSegment': {
        const segment = out[index(edit.seg)];
        if (segment) segment[0] = edit.name;
        break;
      }
    }
  }
  return out;
}

export interface Hl7Framing {
  fieldSeparator: string;
  terminator: string;
  prefix: string;
  suffix: string;
}

const hl7Framing: fc.Arbitrary<Hl7Framing> = fc.record({
  fieldSeparator: fc.oneof(
    { weight: 12, arbitrary: fc.constant('|') },
    { weight: 1, arbitrary: fc.constantFrom('#', '^', ' ', '\t') },
  ),
  terminator: fc.oneof(
    { weight: 8, arbitrary: fc.constant('\r') },
    { weight: 3, arbitrary: fc.constantFrom('\n', '\r\n', '\n\r', '\r\r') },
  ),
  prefix: fc.oneof(
    { weight: 10, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.constantFrom('\ufeff', ' ', '\r\n', '\u000b', 'x') },
  ),
  suffix: fc.oneof(
    { weight: 10, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.constantFrom('\u001c\r', '\r\r\r', 'garbage', '\u0000') },
  ),
});

export function serializeHl7(segments: Segments, framing: Hl7Framing): string {
  const body = segments.map((s) => s.join(framing.fieldSeparator)).join(framing.terminator);
  return `${framing.prefix}${body}${framing.terminator}${framing.suffix}`;
}

/** One ER7 message: a near-valid SIU (edited, maybe re-framed) or garbage text. */
export const hl7Message: fc.Arbitrary<{ text: string; shape: string }> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        siuParams,
        fc.oneof(
          { weight: 3, arbitrary: fc.constant<Hl7Edit[]>([]) },
          { weight: 4, arbitrary: fc.array(hl7Edit, { minLength: 1, maxLength: 1 }) },
          { weight: 2, arbitrary: fc.array(hl7Edit, { minLength: 2, maxLength: 3 }) },
        ),
        sometimes(hl7Framing, 4),
      )
      .map(([params, edits, framing]) => ({
        text: serializeHl7(
          applyHl7Edits(siuSegments(params), edits),
          framing ?? { fieldSeparator: '|', terminator: '\r', prefix: '', suffix: '' },
        ),
        shape: `near-valid[${params.trigger},${edits.map((e) => e.op).join(',') || 'none'}${framing ? ',framing' : ''}]`,
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        anyText,
        fc.constantFrom(
          'MSH',
          'MSH|',
          'MSH|^~\\&',
          'MSH|^~\\&|||||||SIU^S12|1|P|2.5.1',
          '\r\r\r',
          'PID|1\rSCH|1',
        ),
        fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('latin1')),
        siuParams.map((p) =>
          serializeHl7(siuSegments(p), { fieldSeparator: '|', terminator: '\r', prefix: '', suffix: '' })
            .split('')
            .reverse()
            .join(''),
        ),
      )
      .map((text) => ({ text, shape: 'garbage' })),
  },
);
