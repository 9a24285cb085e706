/** Fuzz inputs for the HL7 v2 ingresses: SIU messages POSTed to /v1/ehr/hl7v2, and MLLP connections. */
import fc from 'fast-check';
import { hugeText, sometimes } from './mutations';
import { printable, preview } from './transport';
import { authenticates, authorization, headersOf, httpCase, type HttpCase } from './ehrCommon';
import { hl7Message } from './ehrHl7Messages';

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
