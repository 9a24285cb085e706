import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { newCodecKeyEntry, parseCodecKeys, type CodecKey } from '../../../src/config/codecKeys';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../../../src/temporal/payloadCodec';

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (p: Payload): string => Buffer.from(p.data ?? new Uint8Array()).toString('latin1');
const PATIENT = { phone: '+13035550188', firstName: 'Zelda', reply: 'see you Tuesday' };

describe('AES-256-GCM payload codec', () => {
  test('round-trips a payload, and the encrypted form holds none of its text', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const [encrypted] = await codec.encode([payload(PATIENT)]);
    expect(Buffer.from(encrypted?.metadata?.[METADATA_ENCODING_KEY] ?? []).toString()).toBe(
      ENCRYPTED_ENCODING,
    );
    expect(Buffer.from(encrypted?.metadata?.[KEY_ID_METADATA] ?? []).toString()).toBe('k1');
    for (const value of Object.values(PATIENT)) expect(text(encrypted as Payload)).not.toContain(value);
    const [decoded] = await codec.decode([encrypted as Payload]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(PATIENT);
  });

  test('the same payload encrypts differently each time (a fresh IV)', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const [a, b] = await codec.encode([payload('same'), payload('same')]);
    expect(Buffer.compare(Buffer.from(a?.data ?? []), Buffer.from(b?.data ?? []))).not.toBe(0);
  });

  test('rotation: the newest key encrypts, a payload written with the old key still decodes', async () => {
    const old = key('2026-01');
    const [written] = await new AesGcmPayloadCodec([old]).encode([payload('before rotation')]);
    const rotated = new AesGcmPayloadCodec([key('2026-12'), old]);
    const [decoded] = await rotated.decode([written as Payload]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toBe('before rotation');
    const [fresh] = await rotated.encode([payload('after')]);
    expect(Buffer.from(fresh?.metadata?.[KEY_ID_METADATA] ?? []).toString()).toBe('2026-12');
  });

  test('a payload under a key no longer configured is refused, not passed on as garbage', async () => {
    const [written] = await new AesGcmPayloadCodec([key('gone')]).encode([payload('x')]);
    await expect(new AesGcmPayloadCodec([key('other')]).decode([written as Payload])).rejects.toThrow(
      PayloadDecryptionError,
    );
  });

  test('an altered payload, or one relabelled to another key id, does not authenticate', async () => {
    const k = key('k1');
    const codec = new AesGcmPayloadCodec([k, { id: 'k2', key: k.key }]);
    const [written] = await codec.encode([payload('x')]);
    const data = Buffer.from(written?.data ?? []);
    data[20] = (data[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...written, data }])).rejects.toThrow(PayloadDecryptionError);
    const relabelled = {
      ...written,
      metadata: { ...written?.metadata, [KEY_ID_METADATA]: Buffer.from('k2') },
    };
    await expect(codec.decode([relabelled])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ ...written, data: Buffer.alloc(5) }])).rejects.toThrow('truncated');
  });

  test('payloads written before the codec pass through decoding unchanged', async () => {
    const plain = payload({ a: 1 });
    expect(await new AesGcmPayloadCodec([key('k1')]).decode([plain])).toEqual([plain]);
  });
});

describe('parseCodecKeys', () => {
  test('newest first, from a comma list or lines with comments', () => {
    const [a, b] = [newCodecKeyEntry('new'), newCodecKeyEntry('old')];
    const parsed = parseCodecKeys(`# keys\n${a}\n\n${b}\n`);
    expect(parsed.ok && parsed.keys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(parseCodecKeys(`${a},${b}`)).toEqual(parsed);
  });

  test.each([
    ['', 'no key given'],
    ['nokey', 'must be <key id>:<base64 key>'],
    ['bad id!:AAAA', 'must be <key id>:<base64 key>'],
    [`k1:${Buffer.alloc(16).toString('base64')}`, '32 random bytes'],
    ['k1:not base64!!', '32 random bytes'],
  ])('%j is refused (%s), never echoing the key', (input, message) => {
    const parsed = parseCodecKeys(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join(' ')).toContain(message);
    if (!parsed.ok && input.includes(':'))
      expect(parsed.problems.join(' ')).not.toContain(input.split(':')[1]);
  });

  test('a key id listed twice is refused', () => {
    const entry = newCodecKeyEntry('k1');
    const parsed = parseCodecKeys(`${entry},${entry}`);
    expect(parsed.ok || parsed.problems).toEqual(['entry 2 (k1): the key id is listed twice']);
  });
});
