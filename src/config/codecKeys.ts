/**
 * Payload encryption keys (PAYLOAD_CODEC_KEYS, or one per line in PAYLOAD_CODEC_KEYS_FILE):
 * `<key id>:<base64 of 32 random bytes>`, newest first. The newest encrypts; every listed key
 * decrypts, so a rotation adds a key in front and drops the old one only once no history needs it.
 * Pure: parses text, never logs or returns the key material in a message.
 */
import { randomBytes } from 'node:crypto';

export interface CodecKey {
  /** Written into each payload's metadata: which key decrypts it. Not secret. */
  id: string;
  /** 32 bytes: AES-256. */
  key: Buffer;
}

export type CodecKeysResult = { ok: true; keys: CodecKey[] } | { ok: false; problems: string[] };

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Entries separated by commas or new lines; blank lines and `#` comments are skipped. */
export function parseCodecKeys(text: string): CodecKeysResult {
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const problems: string[] = [];
  const keys: CodecKey[] = [];
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon).trim();
    const material = colon < 0 ? '' : entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      problems.push(`${where}: must be <key id>:<base64 key>, the id 1-64 of A-Z a-z 0-9 . _ -`);
      return;
    }
    const key = BASE64.test(material) ? Buffer.from(material, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) {
      problems.push(`${where} (${id}): the key must be 32 random bytes in base64 (openssl rand -base64 32)`);
      return;
    }
    if (keys.some((k) => k.id === id)) {
      problems.push(`${where} (${id}): the key id is listed twice`);
      return;
    }
    keys.push({ id, key });
  });
  if (entries.length === 0) problems.push('no key given');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, keys };
}

/** A new key entry, `<id>:<base64>`, for generated key files (sandbox) and the README's recipe. */
export function newCodecKeyEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
