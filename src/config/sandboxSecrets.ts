/**
 * Sandbox mode's secrets, generated once per data folder (owner-only files) instead of constants anyone
 * could know: the payload codec key and operator token (so the sandbox encrypts as production does),
 * the phone-id key (phone workflow ids), the sandbox Twilio account's auth token (its webhook
 * signatures) and the operator console's password (`admin-password`). A variable that is set wins
 * over its file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { newCodecKeyEntry } from './codecKeys';

/** The part of the configuration this needs (AppConfig has it). */
export interface SandboxFolder {
  readonly sandbox: boolean;
  readonly dataDir: string;
  readonly env: {
    readonly PAYLOAD_CODEC_KEYS?: string | undefined;
    readonly PAYLOAD_CODEC_KEYS_FILE?: string | undefined;
    readonly OPERATOR_TOKEN?: string | undefined;
    readonly PHONE_ID_KEY?: string | undefined;
    readonly SANDBOX_TWILIO_AUTH_TOKEN?: string | undefined;
    readonly APPLICATION_PASSWORD?: string | undefined;
  };
}

export const sandboxCodecKeysFile = (config: Pick<SandboxFolder, 'dataDir'>): string =>
  path.join(config.dataDir, 'payload-codec.keys');
export const sandboxOperatorTokenFile = (config: Pick<SandboxFolder, 'dataDir'>): string =>
  path.join(config.dataDir, 'operator-token');
export const sandboxPhoneIdKeyFile = (config: Pick<SandboxFolder, 'dataDir'>): string =>
  path.join(config.dataDir, 'sandbox-phone-id.key');
export const sandboxTwilioTokenFile = (config: Pick<SandboxFolder, 'dataDir'>): string =>
  path.join(config.dataDir, 'sandbox-twilio-auth-token');
/** The operator console's password in sandbox mode (README "Operator console"). */
export const sandboxAdminPasswordFile = (config: Pick<SandboxFolder, 'dataDir'>): string =>
  path.join(config.dataDir, 'admin-password');

/**
 * In sandbox mode: `env` with each unset sandbox secret read from (or first written to) its file under
 * DATA_DIR. Outside sandbox mode `env` unchanged: production secrets are set, never generated.
 */
export function withSandboxSecrets(config: SandboxFolder, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!config.sandbox) return env;
  const result = { ...env };
  if (!config.env.PAYLOAD_CODEC_KEYS && !config.env.PAYLOAD_CODEC_KEYS_FILE) {
    const file = sandboxCodecKeysFile(config);
    createOnce(file, () => `${newCodecKeyEntry(`sandbox-${Date.now()}`)}\n`);
    result.PAYLOAD_CODEC_KEYS_FILE = file;
  }
  const secrets = [
    ['OPERATOR_TOKEN', sandboxOperatorTokenFile(config)],
    ['PHONE_ID_KEY', sandboxPhoneIdKeyFile(config)],
    ['SANDBOX_TWILIO_AUTH_TOKEN', sandboxTwilioTokenFile(config)],
    ['APPLICATION_PASSWORD', sandboxAdminPasswordFile(config)],
  ] as const;
  for (const [name, file] of secrets) {
    if (config.env[name]) continue;
    createOnce(file, () => randomBytes(32).toString('base64url'));
    result[name] = readFileSync(file, 'utf8').trim();
  }
  return result;
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
