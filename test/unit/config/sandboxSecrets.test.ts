import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../src/config';
import { withSandboxSecrets } from '../../../src/config/sandboxSecrets';
import { newCodecKeyEntry } from '../../../src/config/codecKeys';
import { codecKeysOf } from '../../../src/temporal/dataConverter';
import { productionEnv } from '../../helpers/config';

const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'sandbox-secrets-'));
const sandboxConfig = (dataDir: string, env: Record<string, string> = {}) =>
  parseConfig({ SANDBOX_MODE: 'true', DATA_DIR: dataDir, ...env });

describe('sandbox secrets, one set per data folder', () => {
  test('the payload codec key is generated once, owner-only, and then kept', () => {
    const dataDir = tempDir();
    const config = sandboxConfig(dataDir);
    const env = withSandboxSecrets(config, {});
    const file = env.PAYLOAD_CODEC_KEYS_FILE as string;
    expect(file).toBe(path.join(dataDir, 'payload-codec.keys'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = readFileSync(file, 'utf8');
    withSandboxSecrets(config, {});
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(codecKeysOf(parseConfig({ SANDBOX_MODE: 'true', DATA_DIR: dataDir, ...env }))).toHaveLength(1);
  });

  test.each([
    ['OPERATOR_TOKEN', 'operator-token'],
    ['PHONE_ID_KEY', 'sandbox-phone-id.key'],
    ['SANDBOX_TWILIO_AUTH_TOKEN', 'sandbox-twilio-auth-token'],
    ['APPLICATION_PASSWORD', 'admin-password'],
  ] as const)(
    '%s is random, at least 32 characters, kept in %s, the same on every start',
    (name, fileName) => {
      const dataDir = tempDir();
      const first = withSandboxSecrets(sandboxConfig(dataDir), {})[name] as string;
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(withSandboxSecrets(sandboxConfig(dataDir), {})[name]).toBe(first);
      expect(statSync(path.join(dataDir, fileName)).mode & 0o777).toBe(0o600);
      // Another data folder, another secret: nothing about it is a constant.
      expect(withSandboxSecrets(sandboxConfig(tempDir()), {})[name]).not.toBe(first);
    },
  );

  test('a parsed configuration uses them: the Twilio token and phone-id key come from the folder', () => {
    const dataDir = tempDir();
    const env = withSandboxSecrets(sandboxConfig(dataDir), { SANDBOX_MODE: 'true', DATA_DIR: dataDir });
    const config = parseConfig(env);
    expect(config.sandboxTwilioAuthToken).toBe(
      readFileSync(path.join(dataDir, 'sandbox-twilio-auth-token'), 'utf8'),
    );
    expect(config.phoneIdKey).toBe(readFileSync(path.join(dataDir, 'sandbox-phone-id.key'), 'utf8'));
  });

  test('set variables are never replaced by generated ones', () => {
    const source = {
      PAYLOAD_CODEC_KEYS: newCodecKeyEntry('ops'),
      OPERATOR_TOKEN: 'an-operator-token-of-at-least-32-characters',
      PHONE_ID_KEY: 'a-phone-id-key-chosen-by-the-operator-0123',
      SANDBOX_TWILIO_AUTH_TOKEN: 'the-token-conformance-signs-with',
      APPLICATION_PASSWORD: 'an operator-chosen password',
    };
    const config = sandboxConfig(tempDir(), source);
    expect(withSandboxSecrets(config, source)).toEqual(source);
    expect(config.sandboxTwilioAuthToken).toBe(source.SANDBOX_TWILIO_AUTH_TOKEN);
  });

  test('outside sandbox mode nothing is generated', () => {
    const config = parseConfig(productionEnv({ DATA_DIR: tempDir() }));
    expect(withSandboxSecrets(config, {})).toEqual({});
  });
});
