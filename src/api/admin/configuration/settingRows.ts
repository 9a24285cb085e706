/**
 * Each setting's row on the configuration page: its value (secrets and URL passwords masked), where it
 * came from (see configurationPage.ts for how that is worked out), what is used when it is unset, and
 * its own findings.
 */
import { SANDBOX_FROM_NUMBER } from '../../../activities/twilioClient';
import type { AppConfig } from '../../../config';
import {
  sandboxAdminPasswordFile,
  sandboxCodecKeysFile,
  sandboxOperatorTokenFile,
  sandboxPhoneIdKeyFile,
  sandboxTwilioTokenFile,
} from '../../../config/sandboxSecrets';
import { envFields } from '../../../config/schema';
import { SANDBOX_ADMINISTRATOR_PHONE, SANDBOX_VERIFY_SERVICE_SID } from '../../../sandbox/verifySandbox';
import { blank, type Finding } from './findings';

/** Names shown masked, as parseConfig masks them in its problems. */
export const SECRET_NAME = /TOKEN|SECRET|PASSWORD|KEY/;

export interface SettingRow {
  readonly name: string;
  readonly secret: boolean;
  /** What to show: the value, "set (n characters)" / "not set" for secrets. */
  readonly value: string;
  readonly source: string;
  readonly findings: readonly Finding[];
}

const SANDBOX_GENERATED: Readonly<Record<string, (config: AppConfig) => string>> = {
  PAYLOAD_CODEC_KEYS_FILE: sandboxCodecKeysFile,
  OPERATOR_TOKEN: sandboxOperatorTokenFile,
  PHONE_ID_KEY: sandboxPhoneIdKeyFile,
  SANDBOX_TWILIO_AUTH_TOKEN: sandboxTwilioTokenFile,
  APPLICATION_PASSWORD: sandboxAdminPasswordFile,
};

/** What an unset variable falls back to, when that is not the schema's own default. */
const USED_INSTEAD: Readonly<Record<string, (config: AppConfig) => string | undefined>> = {
  PUBLIC_BASE_URL: (c) => c.publicBaseUrl,
  API_HOST: (c) => c.apiHost ?? 'every interface',
  DEFAULT_TIMEZONE: (c) => c.defaultTimezone,
  TEMPORAL_ADDRESS: (c) =>
    c.embeddedTemporal ? `${c.temporalAddress} (the embedded dev server)` : undefined,
  API_INTERNAL_URL: (c) => c.apiInternalUrl,
  CODEC_CORS_ORIGINS: (c) => (c.codecCorsOrigins.length > 0 ? c.codecCorsOrigins.join(', ') : 'none'),
  EHR_CALLBACK_URL: (c) => (c.sandbox ? 'the built-in sandbox receiver' : undefined),
  ADMINISTRATOR_PHONE: (c) => (c.sandbox ? `${SANDBOX_ADMINISTRATOR_PHONE} (the virtual phone)` : undefined),
  TWILIO_VERIFY_SERVICE_SID: (c) => (c.sandbox ? `${SANDBOX_VERIFY_SERVICE_SID} (the emulation)` : undefined),
  TWILIO_PHONE_NUMBER: (c) => (c.sandbox ? `${SANDBOX_FROM_NUMBER} (the sandbox’s)` : undefined),
  EHR_API_KEYS: (c) => (c.sandbox ? 'the sandbox’s key (README, “Sending appointment events”)' : undefined),
  HL7_MLLP_PORT: () => 'off',
  HL7_TEXT_TEST_MESSAGES: () => 'false',
  GCS_BUCKET: (c) => `files under ${c.dataDir}`,
};

function present(value: unknown): boolean {
  return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => shown(v)).join(', ');
  if (typeof value === 'string') return withoutUrlPassword(value);
  return String(value);
}

/** A URL's password (`https://user:pw@host`) is a secret whatever the variable's name. */
function withoutUrlPassword(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) return value;
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return value;
  }
}

function masked(value: unknown): string {
  if (!present(value)) return 'not set';
  const text = Array.isArray(value) ? value.join(',') : String(value);
  return `set (${text.length} characters)`;
}

/** Every setting's row: value (masked), source and its own problems and risks. */
export function settingRows(
  config: AppConfig,
  environment: Readonly<Record<string, string | undefined>>,
  dotenvFile: Readonly<Record<string, string>> | undefined,
  findings: readonly Finding[],
): SettingRow[] {
  const values = config.env as unknown as Readonly<Record<string, unknown>>;
  return Object.keys(envFields.shape).map((name) => {
    const secret = SECRET_NAME.test(name);
    const value = values[name];
    const fromEnv = blank(environment[name]);
    const fromFile = blank(dotenvFile?.[name]);
    const own: Finding[] = findings.filter((f) => f.name === name);
    let source: string;
    if (fromEnv !== undefined) {
      if (fromFile === fromEnv) source = '.env file';
      else {
        source = 'environment';
        if (fromFile !== undefined) {
          own.push({
            name,
            level: 'note',
            message:
              'the .env file has another value: the real environment variable wins (or the file changed since start-up; restart to apply it)',
          });
        }
      }
    } else {
      if (fromFile !== undefined) {
        own.push({
          name,
          level: 'note',
          message: 'the .env file sets it, but the API started without it: restart to apply',
        });
      }
      const generated = SANDBOX_GENERATED[name];
      if (name === 'SANDBOX_MODE' && config.sandbox) {
        source = 'npm start’s embedded default (no TEMPORAL_ADDRESS, no Twilio credentials)';
      } else if (config.sandbox && generated && present(value)) {
        source = `generated for sandbox in DATA_DIR (${generated(config)})`;
      } else if (present(value)) {
        source = 'default';
      } else {
        source = 'not set';
      }
    }
    let display = secret ? masked(value) : present(value) ? shown(value) : 'not set';
    if (!present(value)) {
      const instead = USED_INSTEAD[name]?.(config);
      if (instead !== undefined) display = `not set; uses ${instead}`;
    }
    return { name, secret, value: display, source, findings: own };
  });
}
