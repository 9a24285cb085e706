/**
 * Fuzz inputs for the Twilio webhooks and the sandbox's simulated patient: Twilio's form posts with
 * fuzzed fields, correctly signed (as Twilio signs: HMAC-SHA1 of the public URL and sorted parameters),
 * and forged ones (no signature, another account's, a body or URL changed after signing).
 */
import fc from 'fast-check';
import twilio from 'twilio';
import { POOL_APPOINTMENTS, type HttpCase } from './ehrCommon';
import { anyText, garbageBody, hexId, hugeText, nearValidJson, sometimes, type Json } from './mutations';
import { describeRequest, printable } from './transport';

/** Numbers the patients text from: a few, so replies land in a handful of phone conversations. */
export const PATIENT_NUMBERS = ['+13035550142', '+13035550143', '+447700900123'] as const;
const CLINIC_NUMBER = '+15005550006';

export interface TwilioContext {
  authToken: string;
  /** PUBLIC_BASE_URL: what Twilio signs. */
  publicBaseUrl: string;
}

/** Form fields in order; a key may repeat (the parser then sees a list). */
type Pairs = Array<[string, string]>;

const sid: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: hexId(32).map((h) => `SM${h}`) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      anyText,
      hexId(32).map((h) => `MM${h.toUpperCase()}`),
      fc.constantFrom(
        'SMshort',
        `sm${'a'.repeat(32)}`,
        `SM${'g'.repeat(32)}`,
        `SM${'0'.repeat(33)}`,
        ` SM${'0'.repeat(32)}`,
      ),
    ),
  },
);

const address: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PATIENT_NUMBERS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '+1 (303) 555-0142',
      'x'.repeat(65),
      'whatsapp:+13035550142',
      '12345',
    ),
  },
  { weight: 1, arbitrary: anyText },
);

const replyBody: fc.Arbitrary<string | null> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '1',
      'YES',
      ' yes ',
      '2',
      'CANCEL APPT',
      'STOP',
      'START',
      'HELP',
      'sí',
      'hola',
      '',
    ),
  },
  { weight: 3, arbitrary: anyText },
  { weight: 1, arbitrary: hugeText.filter((t) => t.length < 100_000) },
  { weight: 1, arbitrary: fc.constant(null) },
);

const extraPairs: fc.Arbitrary<Pairs> = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'hasOwnProperty',
        'toString',
        'MediaUrl0',
        'FromCity',
        'AddOns',
        'a[b]',
        'a.b',
        '',
      ),
      anyText,
    ),
    anyText,
  ),
  { maxLength: 3 },
);

/** Duplicates of a field we read: the parser turns them into a list. */
const duplicatePair: fc.Arbitrary<[string, string] | null> = sometimes(
  fc.tuple(fc.constantFrom('Body', 'From', 'MessageSid', 'MessageStatus', 'NumMedia', 'To'), anyText),
  8,
);

const inboundPairs: fc.Arbitrary<{ pairs: Pairs; shape: string }> = fc
  .record({
    sid,
    from: address,
    to: fc.oneof({ weight: 5, arbitrary: fc.constant(CLINIC_NUMBER) }, { weight: 1, arbitrary: address }),
    body: replyBody,
    numMedia: fc.option(fc.constantFrom('0', '0', '0', '0', '1', '3', 'abc', '-1', '999', '1e3', ''), {
      freq: 4,
    }),
    extra: extraPairs,
    duplicate: duplicatePair,
    dropped: sometimes(fc.constantFrom('MessageSid', 'From', 'To'), 10),
  })
  .map((f) => {
    const pairs: Pairs = [
      ['ToCountry', 'US'],
      ['SmsMessageSid', f.sid],
      ['SmsSid', f.sid],
      ['SmsStatus', 'received'],
      ['To', f.to],
      ['NumSegments', '1'],
      ['MessageSid', f.sid],
      ['AccountSid', `AC${'1'.repeat(32)}`],
      ['From', f.from],
      ['ApiVersion', '2010-04-01'],
    ];
    if (f.body !== null) pairs.push(['Body', f.body]);
    if (f.numMedia !== null) pairs.push(['NumMedia', f.numMedia]);
    if (f.numMedia !== null && f.numMedia !== '0')
      pairs.push(['MediaUrl0', 'https://api.twilio.com/media/x.jpg']);
    pairs.push(...f.extra);
    if (f.duplicate) pairs.push(f.duplicate);
    const kept = f.dropped === null ? pairs : pairs.filter(([k]) => k !== f.dropped);
    const edits = [
      f.extra.length > 0 ? 'extra' : '',
      f.duplicate ? 'duplicate' : '',
      f.dropped ? `no-${f.dropped}` : '',
    ]
      .filter(Boolean)
      .join(',');
    return { pairs: kept, shape: edits || 'fields' };
  });

const messageStatus = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('delivered', 'undelivered', 'failed', 'sent', 'queued', 'read', 'DELIVERED'),
  },
  { weight: 2, arbitrary: fc.constantFrom('', 'accepted', 'sending', 'x'.repeat(33), 'deliv ered', '🙂') },
  { weight: 1, arbitrary: anyText },
);

const statusPairs: fc.Arbitrary<{ pairs: Pairs; shape: string }> = fc
  .record({
    sid,
    status: messageStatus,
    errorCode: sometimes(
      fc.constantFrom('30006', '21610', '', '0', 'abc', '12345678901', ' 30003 ', '-1'),
      3,
    ),
    to: fc.option(address, { freq: 3 }),
    extra: extraPairs,
    duplicate: duplicatePair,
  })
  .map((f) => {
    const pairs: Pairs = [
      ['SmsSid', f.sid],
      ['SmsStatus', f.status],
      ['MessageStatus', f.status],
      ['MessageSid', f.sid],
      ['AccountSid', `AC${'1'.repeat(32)}`],
      ['From', CLINIC_NUMBER],
      ['ApiVersion', '2010-04-01'],
    ];
    if (f.errorCode !== null) pairs.push(['ErrorCode', f.errorCode]);
    if (f.to !== null) pairs.push(['To', f.to]);
    pairs.push(...f.extra);
    if (f.duplicate) pairs.push(f.duplicate);
    const edits = [f.extra.length > 0 ? 'extra' : '', f.duplicate ? 'duplicate' : '']
      .filter(Boolean)
      .join(',');
    return { pairs, shape: edits || 'fields' };
  });

/** The status callback's query (the URL we give Twilio carries the appointment id): fuzzed too, and signed over. */
const statusQuery: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...POOL_APPOINTMENTS).map((id) => `?appointmentId=${id}`) },
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc.oneof(
      anyText.map((id) => `?appointmentId=${encodeURIComponent(id)}`),
      fc.constantFrom(
        '?appointmentId=FZ-P1&appointmentId=FZ-P2',
        '?appointmentId=a%2Fb',
        '?appointmentId=%E0%A4%A',
        '?appointmentId[x]=1',
        '?appointmentId=',
        '?__proto__=x',
        `?appointmentId=${'x'.repeat(200)}`,
      ),
    ),
  },
);

const encodePairs = (pairs: Pairs): string =>
  pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

/** The parameters as the server's form parser hands them to the signature check: repeats become lists. */
function paramsOf(pairs: Pairs): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of pairs) {
    const previous = Object.prototype.hasOwnProperty.call(params, key) ? params[key] : undefined;
    Object.defineProperty(params, key, {
      value: previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return params;
}

type Forgery = 'none' | 'unsigned' | 'other-token' | 'body-changed' | 'url-changed' | 'garbage' | 'json-body';

const forgery: fc.Arbitrary<Forgery> = fc.oneof(
  { weight: 14, arbitrary: fc.constant('none' as const) },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'unsigned',
      'other-token',
      'body-changed',
      'url-changed',
      'garbage',
      'json-body',
    ),
  },
);

const formContentType: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/x-www-form-urlencoded; charset=utf-8',
      'text/plain',
      'multipart/form-data; boundary=x',
    ),
  },
);

function twilioCase(
  ingress: 'twilioInbound' | 'twilioStatus',
  context: TwilioContext,
  path: string,
  query: string,
  pairs: Pairs,
  shape: string,
  forged: Forgery,
  contentType: string,
  garbageSignature: string,
): HttpCase {
  const url = `${context.publicBaseUrl}${path}${query}`;
  let signature: string | undefined = twilio.getExpectedTwilioSignature(
    context.authToken,
    url,
    paramsOf(pairs),
  );
  let body = Buffer.from(encodePairs(pairs));
  let sentPath = `${path}${query}`;
  let sentContentType = contentType;
  switch (forged) {
    case 'none':
      break;
    case 'unsigned':
      signature = undefined;
      break;
    case 'other-token':
      signature = twilio.getExpectedTwilioSignature(`${context.authToken}x`, url, paramsOf(pairs));
      break;
    case 'body-changed':
      body = Buffer.from(encodePairs([...pairs, ['Body', 'STOP']]));
      break;
    case 'url-changed':
      sentPath = `${path}${query}${query ? '&' : '?'}x=1`;
      break;
    case 'garbage':
      signature = garbageSignature;
      break;
    case 'json-body':
      body = Buffer.from(JSON.stringify(Object.fromEntries(pairs)));
      sentContentType = 'application/json';
      signature = twilio.getExpectedTwilioSignature(context.authToken, url, {});
      break;
  }
  const request = {
    method: 'POST',
    path: sentPath,
    headers: {
      'Content-Type': sentContentType,
      ...(signature === undefined ? {} : { 'X-Twilio-Signature': signature }),
    },
    body,
  };
  return printable(
    {
      ingress,
      shape: forged === 'none' ? `signed[${shape}]` : `forged:${forged}`,
      request,
      ...(forged === 'none' ? {} : { forged: true }),
    },
    (c) => `${c.shape}: ${describeRequest(c.request)}`,
  );
}

/** Printable ASCII only: a header value can carry nothing else. */
const headerText = fc.string({ unit: fc.constantFrom(...' !#$%+/0123456789=ABCDEFabcdef~'), maxLength: 40 });

export function twilioInboundCase(context: TwilioContext): fc.Arbitrary<HttpCase> {
  return fc
    .tuple(inboundPairs, forgery, formContentType, headerText)
    .map(([{ pairs, shape }, forged, contentType, garbage]) =>
      twilioCase(
        'twilioInbound',
        context,
        '/v1/twilio/inbound',
        '',
        pairs,
        shape,
        forged,
        contentType,
        garbage,
      ),
    );
}

export function twilioStatusCase(context: TwilioContext): fc.Arbitrary<HttpCase> {
  return fc
    .tuple(statusPairs, statusQuery, forgery, formContentType, headerText)
    .map(([{ pairs, shape }, query, forged, contentType, garbage]) =>
      twilioCase(
        'twilioStatus',
        context,
        '/v1/twilio/status',
        query,
        pairs,
        shape,
        forged,
        contentType,
        garbage,
      ),
    );
}

// ----- POST /v1/sandbox/inbound -----------------------------------------------------------------------------

export const sandboxInboundDocument: fc.Arbitrary<Json> = fc
  .record({
    from: address,
    body: replyBody.map((b) => b ?? ''),
    to: sometimes(fc.constantFrom(CLINIC_NUMBER, '+15005550001', 'clinic'), 4),
    media: sometimes(
      fc.constantFrom(
        ['https://example.org/cat.jpg'],
        ['ftp://example.org/x'],
        [],
        Array(11).fill('https://e.org/a.png'),
      ),
      6,
    ),
  })
  .map((p) => {
    const doc: { [key: string]: Json } = { from: p.from, body: p.body };
    if (p.to !== null) doc.to = p.to;
    if (p.media !== null) doc.media = p.media as Json;
    return doc;
  });

export const sandboxInboundCase: fc.Arbitrary<HttpCase> = fc
  .tuple(
    fc.oneof(
      {
        weight: 4,
        arbitrary: nearValidJson(sandboxInboundDocument).map(({ text, edits }) => ({
          body: Buffer.from(text),
          shape: `near-valid[${edits}]`,
        })),
      },
      { weight: 1, arbitrary: garbageBody.map((body) => ({ body, shape: 'garbage' })) },
    ),
    fc.oneof(
      { weight: 10, arbitrary: fc.constant('application/json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
        ),
      },
    ),
  )
  .map(([{ body, shape }, contentType]) =>
    printable(
      {
        ingress: 'sandboxInbound',
        shape,
        request: {
          method: 'POST',
          path: '/v1/sandbox/inbound',
          headers: { 'Content-Type': contentType },
          body,
        },
      },
      (c) => `${c.shape}: ${describeRequest(c.request)}`,
    ),
  );
