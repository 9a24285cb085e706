/**
 * How payloads reach Temporal: through the AES-256-GCM codec whenever keys are configured
 * (PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE), for every client (API, activities, tools) and
 * the worker alike; failure messages and stack traces too. Without keys: Temporal's defaults
 * (sandbox and tests only: outside sandbox mode the keys are required).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { ConfigError, type AppConfig } from '../config';
import { newCodecKeyEntry, parseCodecKeys, type CodecKey } from './codecKeys';
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

/** Where `npm start` keeps the key it generates for the embedded default (sandbox mode, no keys set). */
export function sandboxCodecKeysFile(config: AppConfig): string {
  return path.join(config.dataDir, 'payload-codec.keys');
}

/**
 * `npm start` in sandbox mode without keys: encrypts all the same, with a key generated once per
 * data folder (owner-only file), so the embedded default shows what production does.
 * Returns the environment to parse the configuration from again.
 */
export function withSandboxSecrets(config: AppConfig, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!config.sandbox) return env;
  const result = { ...env };
  if (!config.env.PAYLOAD_CODEC_KEYS && !config.env.PAYLOAD_CODEC_KEYS_FILE) {
    const file = sandboxCodecKeysFile(config);
    createOnce(file, () => `${newCodecKeyEntry(`sandbox-${Date.now()}`)}\n`);
    result.PAYLOAD_CODEC_KEYS_FILE = file;
  }
  if (!config.env.OPERATOR_TOKEN) {
    // The codec server's operator token (its sign-in page asks for it): kept beside the key.
    const file = sandboxOperatorTokenFile(config);
    createOnce(file, () => randomBytes(32).toString('base64url'));
    result.OPERATOR_TOKEN = readFileSync(file, 'utf8').trim();
  }
  return result;
}

export function sandboxOperatorTokenFile(config: AppConfig): string {
  return path.join(config.dataDir, 'operator-token');
}

/** Writes an owner-only file unless it exists (`wx`: two processes starting at once keep the first). */
function createOnce(file: string, content: () => string): void {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, content(), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
