/**
 * Fuzz inputs for the EHR ingresses: canonical JSON events, HL7 v2 SIU (HTTP and MLLP), FHIR
 * Appointments and FHIR Subscription notifications. Each starts from a valid message written here
 * (never from a real feed), then is mutated: fields dropped or retyped, odd text, encoding
 * characters and separators changed, segments moved, bodies truncated; a share is plain garbage.
 */
import fc from 'fast-check';
import { EHR_EVENT_TYPES } from '../../src/shared/appointment';
import { r4BackportNotification, r5Notification } from '../helpers/fhirNotifications';
import { anyText, garbageBody, hexId, hugeText, nearValidJson, sometimes, type Json } from './mutations';
import { printable, describeRequest, preview, type FuzzRequest } from './transport';

/** Appointments created before fuzzing: near-valid inputs name them, so their workflows are the ones at risk. */
export const POOL_APPOINTMENTS = ['FZ-P1', 'FZ-P2', 'FZ-P3', 'FZ-P4', 'FZ-P5', 'FZ-P6'] as const;

/** Resources on the test FHIR server (the "EHR") that reference-only Appointments resolve to. */
export const FHIR_SEED_IDS = { patient: 'fz-patient', practitioner: 'fz-dr', location: 'fz-clinic' } as const;

export const SANDBOX_KEY = 'sandbox-key';

export interface HttpCase {
  ingress: string;
  /** What kind of input this is (near-valid and which edits, garbage...), for the summary. */
  shape: string;
  request: FuzzRequest;
  /** Made to fail authentication (forged signature, no key): must never be accepted. */
  forged?: boolean;
}

export interface EhrContext {
  /** The FHIR_BASE_URL the stack reads references from. */
  fhirBaseUrl: string;
}

// ----- values shared by the formats -------------------------------------------------------------------------

const appointmentId: fc.Arbitrary<string> = fc.oneof(
  { weight: 7, arbitrary: fc.constantFrom(...POOL_APPOINTMENTS) },
  { weight: 2, arbitrary: hexId(10).map((h) => `FZ-${h}`) },
  { weight: 1, arbitrary: fc.oneof(anyText, fc.constantFrom('a/b', 'FZ P1', 'x'.repeat(129), 'FZ-P1\n')) },
);

/** Patients' numbers: mostly untextable (no texts, so the worker stays quiet), some mobiles. */
const patientPhone: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('***-***-0142', 'XXX-XXX-0199') },
  { weight: 2, arbitrary: fc.constantFrom('+44 20 7946 0958', '+61 2 9374 4000') },
  { weight: 2, arbitrary: fc.constantFrom('12345', '', '+1', 'not a phone', '+999999999999999999') },
  { weight: 1, arbitrary: fc.constantFrom('(303) 555-0142', '+33 6 12 34 56 78') },
  { weight: 1, arbitrary: anyText },
);

const localDateTime: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
        hour: fc.integer({ min: 6, max: 19 }),
        minute: fc.constantFrom(0, 15, 30, 45),
      })
      .map(({ month, day, hour, minute }) => `2031-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:00`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '2020-01-01T10:00:00',
      '2031-02-30T10:00:00',
      '2031-03-09T02:30:00',
      '2031-13-01T10:00:00',
      '2031-06-01T24:00:00',
      '2031-06-01T10:00',
      '2031-06-01T10:00:00Z',
      '2031-06-01T10:00:00-07:00',
      '0000-01-01T00:00:00',
      '9999-12-31T23:59:59',
      '2031-06-01',
    ),
  },
);

const zone: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('America/Denver', 'America/New_York', 'Europe/Madrid', '-0700', '+05:30'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'UTC',
      'Etc/GMT+14',
      'Mars/Phobos',
      '+2500',
      '-07',
      'america/denver',
      'EST5EDT',
      '',
    ),
  },
  { weight: 1, arbitrary: anyText },
);

const pad = (n: number): string => String(n).padStart(2, '0');

/** Bearer headers: the sandbox key nearly always, sometimes none or a wrong one. */
const authorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 20, arbitrary: fc.constant(`Bearer ${SANDBOX_KEY}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'Bearer wrong-key',
      `bearer ${SANDBOX_KEY}`,
      `Bearer  ${SANDBOX_KEY}`,
      `Basic ${Buffer.from('sandbox:key').toString('base64')}`,
      'Bearer',
      `Bearer ${SANDBOX_KEY}x`,
    ),
  },
);

/** Whether the header carries the key in the documented form (scheme case-insensitive): any other must be refused. */
const authenticates = (auth: string | undefined): boolean =>
  auth !== undefined && new RegExp(`^bearer\\s+${SANDBOX_KEY}$`, 'i').test(auth);

function headersOf(contentType: string | undefined, auth: string | undefined): Record<string, string> {
  return {
    ...(contentType === undefined ? {} : { 'Content-Type': contentType }),
    ...(auth === undefined ? {} : { Authorization: auth }),
  };
}

function httpCase(ingress: string, shape: string, request: FuzzRequest, forged = false): HttpCase {
  return printable(
    { ingress, shape, request, ...(forged ? { forged } : {}) },
    (c) => `${c.shape}: ${describeRequest(c.request)}`,
  );
}

const jsonContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/fhir+json',
      undefined,
    ),
  },
);

/** A body and how it was made: near-valid (with the edits named) or garbage. */
function bodyOf(valid: fc.Arbitrary<Json>, garbageShare = 1): fc.Arbitrary<{ body: Buffer; shape: string }> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: nearValidJson(valid).map(({ text, edits }) => ({
        body: Buffer.from(text),
        shape: `near-valid[${edits}]`,
      })),
    },
    { weight: garbageShare, arbitrary: garbageBody.map((body) => ({ body, shape: 'garbage' })) },
  );
}

// ----- POST /v1/ehr/events ----------------------------------------------------------------------------------

export const jsonEventDocument: fc.Arbitrary<Json> = fc
  .record({
    // BOOKED twice as often as the other types, then two the parser must normalise.
    eventType: fc.constantFrom('BOOKED', ...EHR_EVENT_TYPES, 'booked', ' canceled '),
    eventId: fc.option(
      hexId(12).map((h) => `FZJ-${h}`),
      { freq: 8 },
    ),
    eventAt: fc.option(
      fc
        .integer({ min: 0, max: 400 })
        .map((d) => new Date(Date.UTC(2030, 0, 1) + d * 86_400_000).toISOString()),
      { freq: 3 },
    ),
    appointmentId,
    timing: fc.option(fc.tuple(localDateTime, zone), { freq: 8 }),
    location: fc.option(fc.constantFrom('Fuzz Clinic', 'Sala 3 — Planta 2'), { freq: 2 }),
    patientId: fc.oneof(
      { weight: 5, arbitrary: hexId(6).map((h) => `FZPAT-${h}`) },
      { weight: 1, arbitrary: anyText },
    ),
    phone: fc.option(patientPhone, { freq: 10 }),
    language: fc.option(fc.constantFrom('en', 'es', 'es-MX', 'fr', 'e', 'english'), { freq: 2 }),
    provider: fc.option(fc.constantFrom('Kim', 'Lee'), { freq: 2 }),
    callback: sometimes(fc.constantFrom('303-555-0100', '+1 800 555 0199', '303-555-0100', 'ext. 12'), 3),
  })
  .map((p) => {
    const doc: { [key: string]: Json } = {
      event_type: p.eventType,
      appointment_id: p.appointmentId,
      patient_id: p.patientId,
      patient_first_name: 'Ana',
      patient_last_name: 'Fuzz',
    };
    if (p.eventId !== null) doc.event_id = p.eventId;
    if (p.eventAt !== null) doc.event_datetime_utc = p.eventAt;
    if (p.timing !== null) [doc.appointment_datetime, doc.appointment_timezone] = p.timing;
    if (p.location !== null) doc.appointment_location = p.location;
    if (p.phone !== null) doc.patient_phone = p.phone;
    if (p.language !== null) doc.patient_language = p.language;
    if (p.provider !== null)
      Object.assign(doc, { provider_id: `DR-${p.provider}`, provider_last_name: p.provider });
    if (p.callback !== null) doc.provider_callback_phone = p.callback;
    return doc;
  });

export const jsonEventCase: fc.Arbitrary<HttpCase> = fc
  .tuple(bodyOf(jsonEventDocument), jsonContentType, authorization)
  .map(([{ body, shape }, contentType, auth]) =>
    httpCase(
      'jsonEvents',
      shape,
      {
        method: 'POST',
        path: '/v1/ehr/events',
        headers: headersOf(contentType, auth),
        body,
      },
      !authenticates(auth),
    ),
  );

// ----- HL7 v2 SIU -------------------------------------------------------------------------------------------

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

const hl7ContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.constantFrom(
      'application/hl7-v2',
      'x-application/hl7-v2+er7',
      'text/plain',
      'application/edi-hl7',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/hl7-v2; charset=utf-8',
      'text/plain; charset=ISO-8859-1',
      'text/plain; charset=latin1',
      'text/plain; charset=klingon',
      'application/json',
      'application/hl7-v2+xml',
      undefined,
    ),
  },
);

/** The bytes sent for `text` under a Content-Type: latin1 bodies for a latin1 charset (mostly), else UTF-8. */
function encodeFor(text: string, contentType: string | undefined, mismatch: boolean): Buffer {
  const latin1 = /charset=(iso-8859-1|latin1)/i.test(contentType ?? '');
  return Buffer.from(text, latin1 !== mismatch ? 'latin1' : 'utf8');
}

export const hl7HttpCase: fc.Arbitrary<HttpCase> = fc
  .tuple(
    hl7Message,
    hl7ContentType,
    authorization,
    fc.constantFrom(false, false, false, false, true),
    sometimes(hugeText, 40),
  )
  .map(([{ text, shape }, contentType, auth, mismatch, huge]) =>
    httpCase(
      'hl7Http',
      `${shape}${mismatch ? ',charset-mismatch' : ''}${huge === null ? '' : ',huge'}`,
      {
        method: 'POST',
        path: '/v1/ehr/hl7v2',
        headers: headersOf(contentType, auth),
        body: encodeFor(huge === null ? text : text + huge, contentType, mismatch),
      },
      !authenticates(auth),
    ),
  );

/**
 * One MLLP connection: messages framed 0x0B…0x1C 0x0D, with noise between frames and the bytes split
 * into arbitrary writes. Block characters inside a message would change the framing, so they are
 * replaced there (raw framing garbage is its own case).
 */
export interface MllpScript {
  messages: string[];
  noise: string[];
  /** Byte counts of successive writes (cycled). */
  splits: number[];
  /** Raw bytes sent before the messages (0x0B and 0x1C included), closed with 0x1C 0x0D. */
  garbage?: Buffer;
}

const withoutBlocks = (text: string): string => text.split('\u000b').join('?').split('\u001c').join('?');

export const mllpScript: fc.Arbitrary<MllpScript> = fc
  .record({
    messages: fc.array(
      hl7Message.map((m) => withoutBlocks(m.text)),
      { minLength: 1, maxLength: 4 },
    ),
    noise: fc.array(
      fc.oneof(
        fc.constant(''),
        fc.constant('\r\n'),
        fc.string({ unit: 'binary-ascii', maxLength: 8 }).map(withoutBlocks),
      ),
      {
        maxLength: 4,
      },
    ),
    splits: fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }),
    garbage: sometimes(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.constantFrom(
          Buffer.from([0x0b, 0x0b, 0x1c]),
          Buffer.from([0x1c, 0x0d, 0x0b]),
          Buffer.from('\u000bMSH|^~\\&\u000b'),
        ),
      ),
      5,
    ),
  })
  .map(({ garbage, ...rest }) =>
    printable({ ...rest, ...(garbage === null ? {} : { garbage }) }, describeScript),
  );

function describeScript(script: MllpScript): string {
  const garbage = script.garbage ? ` garbage=${script.garbage.toString('hex').slice(0, 80)}` : '';
  return `MLLP splits=${script.splits.join(',')} noise=${JSON.stringify(script.noise)}${garbage} messages=[${script.messages.map((m) => preview(m, 300)).join(', ')}]`;
}

// ----- FHIR -------------------------------------------------------------------------------------------------

const fhirStatus = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'booked',
      'booked',
      'cancelled',
      'noshow',
      'arrived',
      'fulfilled',
      'entered-in-error',
      'checked-in',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom('proposed', 'pending', 'waitlist', 'BOOKED', '', 'unknown') },
);

const fhirInstant: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: localDateTime.map((t) => `${t}-07:00`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2031-03-04T09:30:00Z',
      '2031-03-04T09:30:00.123+05:45',
      '2031-03-04',
      '2031-03-04T09:30:00',
      '2031-03-04T25:30:00Z',
      '2031-03-04T09:30:00+99:00',
      '1900-01-01T00:00:00Z',
    ),
  },
  { weight: 1, arbitrary: anyText },
);

export interface AppointmentParams {
  id: string;
  versionId: string | null;
  lastUpdated: string | null;
  status: string;
  start: string | null;
  phone: string;
  shape: 'contained' | 'bundle' | 'references' | 'absolute' | 'elsewhere';
  bundleType: string;
  timezone: string | null;
}

export const appointmentParams: fc.Arbitrary<AppointmentParams> = fc.record({
  id: appointmentId,
  versionId: fc.option(
    hexId(10).map((h) => `FZV${h}`),
    { freq: 8 },
  ),
  lastUpdated: fc.option(
    fc.constantFrom(
      '2030-06-01T10:00:00Z',
      '2030-06-01T10:00:00.5+02:00',
      '2030-06-01T10:00:00Z',
      'yesterday',
    ),
    { freq: 2 },
  ),
  status: fhirStatus,
  start: fc.option(fhirInstant, { freq: 8 }),
  phone: patientPhone,
  shape: fc.constantFrom('contained', 'contained', 'bundle', 'bundle', 'references', 'absolute', 'elsewhere'),
  bundleType: fc.constantFrom(
    'collection',
    'transaction',
    'batch',
    'message',
    'collection',
    'transaction',
    'searchset',
  ),
  timezone: sometimes(
    fc.constantFrom('America/Denver', 'Europe/Madrid', 'America/Denver', 'Mars/Phobos', ''),
    3,
  ),
});

function patientResource(id: string, phone: string): Json {
  return {
    resourceType: 'Patient',
    id,
    name: [{ use: 'official', family: 'Fuzz', given: ['Ana'] }],
    telecom: [{ system: 'phone', value: phone, use: 'mobile' }],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es' }] }, preferred: true }],
  };
}

const practitionerResource = (id: string): Json => ({
  resourceType: 'Practitioner',
  id,
  name: [{ family: 'Kim', given: ['Jo'] }],
  telecom: [{ system: 'phone', value: '303-555-0100', use: 'work' }],
});

const locationResource = (id: string): Json => ({ resourceType: 'Location', id, name: 'Fuzz Clinic' });

/** A valid FHIR Appointment in one of the accepted packagings (or referencing the EHR, or another server). */
export function appointmentDocument(p: AppointmentParams, context: EhrContext): Json {
  const appointment: { [key: string]: Json } = {
    resourceType: 'Appointment',
    id: p.id,
    status: p.status,
  };
  const meta: { [key: string]: Json } = {};
  if (p.versionId !== null) meta.versionId = p.versionId;
  if (p.lastUpdated !== null) meta.lastUpdated = p.lastUpdated;
  if (Object.keys(meta).length > 0) appointment.meta = meta;
  if (p.start !== null) appointment.start = p.start;
  if (p.timezone !== null) {
    appointment.extension = [
      { url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: p.timezone },
    ];
  }
  const participants = (refs: string[]): Json =>
    refs.map((reference) => ({ actor: { reference }, status: 'accepted' }));
  const seeds = [
    `Patient/${FHIR_SEED_IDS.patient}`,
    `Practitioner/${FHIR_SEED_IDS.practitioner}`,
    `Location/${FHIR_SEED_IDS.location}`,
  ];
  switch (p.shape) {
    case 'contained':
      appointment.contained = [
        patientResource('p', p.phone),
        practitionerResource('d'),
        locationResource('l'),
      ];
      appointment.participant = participants(['#p', '#d', '#l']);
      return appointment;
    case 'references':
      appointment.participant = participants(seeds);
      return appointment;
    case 'absolute':
      appointment.participant = participants(seeds.map((s) => `${context.fhirBaseUrl}/${s}`));
      return appointment;
    case 'elsewhere':
      appointment.participant = participants(seeds.map((s) => `https://ehr.elsewhere.example/fhir/${s}`));
      return appointment;
    case 'bundle': {
      const urls = [
        'urn:uuid:6f1c1f4e-0000-4000-8000-000000000001',
        'urn:uuid:6f1c1f4e-0000-4000-8000-000000000002',
        'urn:uuid:6f1c1f4e-0000-4000-8000-000000000003',
      ];
      appointment.participant = participants(urls);
      return {
        resourceType: 'Bundle',
        type: p.bundleType,
        entry: [
          { fullUrl: 'urn:uuid:6f1c1f4e-0000-4000-8000-0000000000aa', resource: appointment },
          { fullUrl: urls[0] as string, resource: patientResource('bp', p.phone) },
          { fullUrl: urls[1] as string, resource: practitionerResource('bd') },
          { fullUrl: urls[2] as string, resource: locationResource('bl') },
        ],
      };
    }
  }
}

const fhirContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.constantFrom('application/fhir+json', 'application/json', 'application/json+fhir'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/fhir+json; fhirVersion=4.0',
      'application/fhir+xml',
      'text/plain',
      undefined,
      'application/fhir+json; charset=utf-16',
    ),
  },
);

export function fhirCase(context: EhrContext): fc.Arbitrary<HttpCase> {
  const document = appointmentParams.map((p) => appointmentDocument(p, context));
  return fc
    .tuple(bodyOf(document), fhirContentType, authorization)
    .map(([{ body, shape }, contentType, auth]) =>
      httpCase(
        'fhir',
        shape,
        { method: 'POST', path: '/v1/ehr/fhir', headers: headersOf(contentType, auth), body },
        !authenticates(auth),
      ),
    );
}

// ----- FHIR Subscription notifications ----------------------------------------------------------------------

const notificationType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('event-notification') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('handshake', 'heartbeat', 'query-status', 'query-event', 'unknown', ''),
  },
);

/** A notification body and where it is sent (the base endpoint, or a rest-hook URL naming the Appointment). */
export interface NotificationParams {
  kind: 'r5-full' | 'r5-id-only' | 'backport' | 'bare' | 'rest-hook-put' | 'rest-hook-empty';
  type: string;
  eventNumber: string;
  appointment: AppointmentParams;
  /** The id in a rest-hook URL: encoded text, or raw bytes (malformed escapes). */
  urlId: { raw: boolean; value: string };
}

export const notificationParams: fc.Arbitrary<NotificationParams> = fc.record({
  kind: fc.constantFrom(
    'r5-full',
    'r5-full',
    'r5-id-only',
    'backport',
    'bare',
    'rest-hook-put',
    'rest-hook-empty',
  ),
  type: notificationType,
  eventNumber: fc.integer({ min: 1, max: 999_999 }).map(String),
  appointment: appointmentParams.map((p) => ({
    ...p,
    shape: p.shape === 'bundle' ? ('contained' as const) : p.shape,
  })),
  urlId: fc.oneof(
    { weight: 6, arbitrary: fc.constant({ raw: false, value: '' }) },
    { weight: 2, arbitrary: anyText.map((value) => ({ raw: false, value })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('%', '%zz', '%E0%A4%A', '..', '.', 'a%2Fb', '%00', 'x'.repeat(70))
        .map((value) => ({ raw: true, value })),
    },
  ),
});

function notificationDocument(p: NotificationParams, context: EhrContext): Json | undefined {
  const appointment = appointmentDocument(p.appointment, context);
  const reference = `Appointment/${p.appointment.id}`;
  const content = {
    type: p.type,
    subscription: 'Subscription/fuzz',
    events: [{ eventNumber: p.eventNumber, focus: reference }],
  };
  const withResource: Json[] = [{ fullUrl: `${context.fhirBaseUrl}/${reference}`, resource: appointment }];
  switch (p.kind) {
    case 'r5-full':
      return r5Notification({ ...content, entries: withResource });
    case 'r5-id-only':
      return r5Notification(content);
    case 'backport':
      return r4BackportNotification({ ...content, entries: withResource });
    case 'bare':
    case 'rest-hook-put':
      return appointment;
    case 'rest-hook-empty':
      return undefined;
  }
}

function notificationPath(p: NotificationParams): string {
  if (p.kind === 'r5-full' || p.kind === 'r5-id-only' || p.kind === 'backport' || p.kind === 'bare') {
    return '/v1/ehr/fhir/notifications';
  }
  const id = p.urlId.value === '' ? p.appointment.id : p.urlId.value;
  const segment = p.urlId.raw ? id : encodeURIComponent(id);
  return `/v1/ehr/fhir/notifications/Appointment/${segment}`;
}

export function fhirNotificationCase(context: EhrContext): fc.Arbitrary<HttpCase> {
  return fc.tuple(notificationParams, fhirContentType, authorization).chain(([params, contentType, auth]) => {
    const document = notificationDocument(params, context);
    const body: fc.Arbitrary<{ body?: Buffer; shape: string }> =
      document === undefined
        ? fc.constantFrom(
            { shape: `${params.kind}:empty` },
            { body: Buffer.from('{}'), shape: `${params.kind}:{}` },
          )
        : bodyOf(fc.constant(document), 1).map(({ body: b, shape }) => ({
            body: b,
            shape: `${params.kind}:${shape}`,
          }));
    return body.map(({ body: b, shape }) =>
      httpCase(
        'fhirNotifications',
        shape,
        {
          method: params.kind === 'rest-hook-put' ? 'PUT' : 'POST',
          path: notificationPath(params),
          headers: headersOf(b === undefined ? undefined : contentType, auth),
          ...(b === undefined ? {} : { body: b }),
        },
        !authenticates(auth),
      ),
    );
  });
}
