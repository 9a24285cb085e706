/**
 * How payloads reach Temporal: through the AES-256-GCM codec whenever keys are configured
 * (PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE), for every client (API, activities, tools) and
 * the worker alike; failure messages and stack traces too. Without keys: Temporal's defaults
 * (tests only: outside sandbox mode the keys are required, and sandbox mode generates one per data folder).
 */
import { readFileSync } from 'node:fs';
import type { DataConverter } from '@temporalio/common';
import { ConfigError, type AppConfig } from '../config';
import { parseCodecKeys, type CodecKey } from '../config/codecKeys';
import { AesGcmPayloadCodec } from './payloadCodec';

const loaded = new WeakMap<AppConfig, readonly CodecKey[] | null>();

/** The configured keys (the file is read once per config), or null when none are configured. */
export function codecKeysOf(config: AppConfig): readonly CodecKey[] | null {
  const cached = loaded.get(config);
  if (cached !== undefined) return cached;
  const { PAYLOAD_CODEC_KEYS: inline, PAYLOAD_CODEC_KEYS_FILE: file } = config.env;
  let keys: readonly CodecKey[] | null = null;
  if (inline || file) {
    let text = inline ?? '';
    if (file) {
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new ConfigError([
          `PAYLOAD_CODEC_KEYS_FILE: cannot be read (${(err as NodeJS.ErrnoException).code})`,
        ]);
      }
    }
    const parsed = parseCodecKeys(text);
    if (!parsed.ok) {
      const name = file ? 'PAYLOAD_CODEC_KEYS_FILE' : 'PAYLOAD_CODEC_KEYS';
      throw new ConfigError(parsed.problems.map((p) => `${name}: ${p}`));
    }
    keys = parsed.keys;
  }
  loaded.set(config, keys);
  return keys;
}

export function payloadCodecOf(config: AppConfig): AesGcmPayloadCodec | undefined {
  const keys = codecKeysOf(config);
  return keys ? new AesGcmPayloadCodec(keys) : undefined;
}

/**
 * For every Client (the API's, the activities', tools') and the Worker. The failure converter is
 * loaded by path (the worker puts it into the workflow bundle).
 */
export function dataConverterOf(config: AppConfig): DataConverter {
  const codec = payloadCodecOf(config);
  return codec ? { payloadCodecs: [codec], failureConverterPath: require.resolve('./failureConverter') } : {};
}
