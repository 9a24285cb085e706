/**
 * Values and mutations shared by every ingress: strings that break parsers (unicode, control
 * characters, huge, lone surrogates, prototype names), and edits that turn a valid JSON document
 * into a near-valid one (a field dropped, a wrong type, an extra key, deep nesting, broken text).
 * Mutations are data (what to change, where as an index into the document's paths), so fast-check
 * prints them and a seed replays them.
 */
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
] as const;

/** Strings that have broken parsers before: empties, look-alikes of other types, injections, odd code points. */
export const specialString = fc.constantFrom(
  '',
  ' ',
  '\t\r\n',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e999',
  'NaN',
  '[]',
  '{}',
  ...PROTOTYPE_KEYS,
  '../../etc/passwd',
  'a/b',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  '%00',
  '%zz',
  '\u0000',
  '\u0007\u001b[31m',
  '\u000b\u001c\r',
  '\u202eevil',
  '\ufeffBOM',
  'e\u0301\u0301\u0301',
  '😀🏥',
  'ñandú',
  '李小龍',
  '\\',
  '"',
  '${x}',
  '{{x}}',
  'A'.repeat(129),
  '9'.repeat(40),
);

/** Short text of every kind fast-check makes, plus the special strings. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: specialString },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
);

/** Text JSON can carry but UTF-8 cannot: lone surrogates (JSON.stringify escapes them as \udXXX). */
export const loneSurrogate = fc.constantFrom('\ud800', 'a\udc00b', '\udfff\ud800');

/** Around and over the 256 KB body limit, and long enough to exceed every field limit. */
export const hugeText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(200, 5_000, 70_000, 300_000), fc.constantFrom('x', 'é', '😀', '|', '\\'))
  .map(([chars, unit]) => unit.repeat(Math.ceil(chars / unit.length)));

/** Deep nesting is spliced into the serialized text: building it as an object would overflow our own stack. */
const DEEP_MARK = '\u0000deep:';
export const deepNesting: fc.Arbitrary<string> = fc
  .constantFrom(50, 2_000, 60_000)
  .map((depth) => `${DEEP_MARK}${depth}\u0000`);

/** A value to put where a field was: wrong types, odd strings, huge, deep. */
export const fuzzJsonValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: anyText },
  { weight: 2, arbitrary: fc.constantFrom<Json>(null, true, false, 0, -0, 1.5, 2 ** 53 + 2, -1e308, [], {}) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 1, arbitrary: hugeText },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: anyText.map((s) => [s]) },
  { weight: 1, arbitrary: anyText.map((s) => ({ value: s })) },
);

export const fuzzKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  { weight: 2, arbitrary: anyText },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'resourceType', 'event_type', 'id', 'entry', 'Body') },
);

export type JsonEdit =
  | { op: 'delete'; at: number }
  | { op: 'set'; at: number; value: Json }
  | { op: 'addKey'; at: number; key: string; value: Json }
  | { op: 'wrapInArray'; at: number }
  | { op: 'duplicateArrayItem'; at: number };

export const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fuzzJsonValue }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('addKey' as const),
      at: fc.nat(),
      key: fuzzKey,
      value: fuzzJsonValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrapInArray' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicateArrayItem' as const), at: fc.nat() }) },
);

type Path = Array<string | number>;

/** Every path in the document (the root excluded), depth first, in key order: `at` indexes this list. */
function pathsOf(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([...prefix, i]);
      pathsOf(item, [...prefix, i], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      out.push([...prefix, key]);
      pathsOf(value[key] as Json, [...prefix, key], out);
    }
  }
  return out;
}

function containerAt(root: Json, path: Path): Json | undefined {
  let node: Json | undefined = root;
  for (const step of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[step as number] : (node[step as string] as Json | undefined);
  }
  return node;
}

/** Own, enumerable, and never the prototype setter: `__proto__` becomes a real key JSON.stringify writes. */
function defineKey(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function setAt(parent: Json, step: string | number, value: Json): void {
  if (Array.isArray(parent)) parent[step as number] = value;
  else if (parent !== null && typeof parent === 'object') defineKey(parent, String(step), value);
}

/** Applies the edits in order to a copy of `document`. */
export function applyJsonEdits(document: Json, edits: readonly JsonEdit[]): Json {
  let root = structuredClone(document);
  for (const edit of edits) {
    const paths = pathsOf(root);
    if (edit.op === 'addKey') {
      const objects = [[], ...paths].filter((p) => {
        const node = containerAt(root, p);
        return node !== null && typeof node === 'object' && !Array.isArray(node);
      });
      const target = containerAt(root, objects[edit.at % objects.length] ?? []);
      if (target && typeof target === 'object' && !Array.isArray(target))
        defineKey(target, edit.key, edit.value);
      continue;
    }
    if (paths.length === 0) {
      if (edit.op === 'set') root = edit.value;
      continue;
    }
    const path = paths[edit.at % paths.length] as Path;
    const parent = containerAt(root, path.slice(0, -1));
    const step = path[path.length - 1] as string | number;
    const current = containerAt(root, path) ?? null;
    switch (edit.op) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(step as number, 1);
        else if (parent !== null && typeof parent === 'object') delete parent[step as string];
        break;
      case 'set':
        setAt(parent ?? null, step, edit.value);
        break;
      case 'wrapInArray':
        setAt(parent ?? null, step, [current]);
        break;
      case 'duplicateArrayItem':
        if (Array.isArray(parent)) parent.splice(step as number, 0, structuredClone(current));
        else setAt(parent ?? null, step, [current, current]);
        break;
    }
  }
  return root;
}

/** JSON text of a document, with deep-nesting marks expanded in place. */
export function serializeJson(document: Json): string {
  return JSON.stringify(document).replace(/"\\u0000deep:(\d+)\\u0000"/g, (_m, depth: string) => {
    const n = Number(depth);
    return `${'['.repeat(n)}${']'.repeat(n)}`;
  });
}

/** Edits to the JSON text itself: what a broken serializer or a truncated transfer sends. */
export type TextEdit =
  | { op: 'truncate'; keep: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'deleteChar'; at: number }
  | { op: 'duplicateKey'; key: string; valueJson: string }
  | { op: 'prefix'; text: string }
  | { op: 'suffix'; text: string };

export const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), keep: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.oneof(fc.constantFrom('"', '{', '}', ',', ':', '\\', '\u0000', '\ufeff', '[', 'NaN'), anyText),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteChar' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('duplicateKey' as const),
      key: fc.oneof(
        fuzzKey,
        fc.constantFrom('event_type', 'appointment_id', 'resourceType', 'from', 'status'),
      ),
      valueJson: fc.oneof(fc.json({ maxDepth: 1 }), fc.constantFrom('"BOOKED"', '"Appointment"', 'null')),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('prefix' as const),
      text: fc.constantFrom('\ufeff', ' \n', '\u0000', ")]}'\n", 'x'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('suffix' as const), text: anyText }) },
);

export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const edit of edits) {
    switch (edit.op) {
      case 'truncate':
        out = out.slice(0, edit.keep % (out.length + 1));
        break;
      case 'insert': {
        const at = edit.at % (out.length + 1);
        out = out.slice(0, at) + edit.text + out.slice(at);
        break;
      }
      case 'deleteChar': {
        const at = edit.at % Math.max(1, out.length);
        out = out.slice(0, at) + out.slice(at + 1);
        break;
      }
      case 'duplicateKey': {
        const close = out.lastIndexOf('}');
        if (close > 0)
          out = `${out.slice(0, close)},${JSON.stringify(edit.key)}:${edit.valueJson}${out.slice(close)}`;
        break;
      }
      case 'prefix':
        out = edit.text + out;
        break;
      case 'suffix':
        out += edit.text;
        break;
    }
  }
  return out;
}

/** Bodies that are not the expected document at all. */
export const garbageBody: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.json({ maxDepth: 3 }).map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: anyText.map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: hugeText.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: deepNesting.map((d) => Buffer.from(serializeJson(d))) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
);

/** `arbitrary`'s value about once in `oneIn` draws, else null (fc.option is the reverse: null once in `freq`). */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

/** A JSON document near the valid one: sent unchanged (a third), edited as a value (mostly), or as text (rarely). */
export function nearValidJson(valid: fc.Arbitrary<Json>): fc.Arbitrary<{ text: string; edits: string }> {
  return fc
    .tuple(
      valid,
      fc.oneof(
        { weight: 3, arbitrary: fc.constant<JsonEdit[]>([]) },
        { weight: 4, arbitrary: fc.array(jsonEdit, { minLength: 1, maxLength: 1 }) },
        { weight: 2, arbitrary: fc.array(jsonEdit, { minLength: 2, maxLength: 3 }) },
      ),
      sometimes(fc.array(textEdit, { minLength: 1, maxLength: 2 }), 8),
    )
    .map(([document, edits, textEdits]) => {
      const text = applyTextEdits(serializeJson(applyJsonEdits(document, edits)), textEdits ?? []);
      const described = [...edits.map((e) => e.op), ...(textEdits ?? []).map((e) => `text:${e.op}`)].join(
        ',',
      );
      return { text, edits: described || 'none' };
    });
}

/** Lower-case hex, for unique ids that make each input's effects attributable. */
export const hexId = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
