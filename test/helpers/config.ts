/** Configuration problems as a list, for tests that check what a set of variables is refused for. */
import { randomBytes } from 'node:crypto';
import { ConfigError, parseConfig } from '../../src/config';

/** The sandbox account's token tests send and sign with: random per run, as sandbox mode's is per data folder. */
export const SANDBOX_TEST_AUTH_TOKEN = randomBytes(16).toString('hex');

/** A sandbox-mode environment (said out loud, as everywhere but `npm start`'s default) plus `overrides`. */
export function sandboxEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return { SANDBOX_MODE: 'true', SANDBOX_TWILIO_AUTH_TOKEN: SANDBOX_TEST_AUTH_TOKEN, ...overrides };
}

/** Every problem parseConfig reports for `env`, or [] when it is accepted. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

/** A complete production (Twilio) configuration that parseConfig accepts; tests change single variables. */
export function productionEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'secret',
    TWILIO_PHONE_NUMBER: '+15005550006',
    PUBLIC_BASE_URL: 'https://sms.example.org/',
    EHR_API_KEYS: 'ehr-key-one-0123456789abcdef0123456789',
    EHR_CALLBACK_URL: 'https://ehr.example.org/sms-replies',
    EHR_CALLBACK_SECRET: 'callback-secret-0123456789abcdef012345',
    PHONE_ID_KEY: 'a-long-random-phone-id-key-0123456789abcdef',
    PAYLOAD_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    DEFAULT_TIMEZONE: 'America/Chicago',
    APPLICATION_PASSWORD: 'a-console-password-0123456789',
    ADMINISTRATOR_PHONE: '+15005550100',
    TWILIO_VERIFY_SERVICE_SID: `VA${'b'.repeat(32)}`,
    ...overrides,
  };
}
