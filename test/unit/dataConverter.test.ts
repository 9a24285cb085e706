import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../src/config';
import { newCodecKeyEntry } from '../../src/temporal/codecKeys';
import { codecKeysOf, dataConverterOf, withSandboxSecrets } from '../../src/temporal/dataConverter';

const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'codec-keys-'));

describe('payload codec keys from configuration', () => {
  test('no keys: Temporal’s defaults (sandbox and tests)', () => {
    const config = parseConfig({ DATA_DIR: tempDir() });
    expect(codecKeysOf(config)).toBeNull();
    expect(dataConverterOf(config)).toEqual({});
  });

  test('keys from a file, newest first; the codec and the encoded failures are wired', () => {
    const file = path.join(tempDir(), 'keys');
    writeFileSync(file, `# rotated 2026-12\n${newCodecKeyEntry('new')}\n${newCodecKeyEntry('old')}\n`);
    const config = parseConfig({ PAYLOAD_CODEC_KEYS_FILE: file });
    expect(codecKeysOf(config)?.map((k) => k.id)).toEqual(['new', 'old']);
    const converter = dataConverterOf(config);
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.failureConverterPath).toMatch(/failureConverter/);
  });

  test('an unreadable or bad key file is a configuration error that names no key', () => {
    expect(() => codecKeysOf(parseConfig({ PAYLOAD_CODEC_KEYS_FILE: '/nonexistent/keys' }))).toThrow(
      'PAYLOAD_CODEC_KEYS_FILE: cannot be read (ENOENT)',
    );
    const file = path.join(tempDir(), 'keys');
    writeFileSync(file, 'k1:c2hvcnQ=\n');
    expect(() => codecKeysOf(parseConfig({ PAYLOAD_CODEC_KEYS_FILE: file }))).toThrow(ConfigError);
  });

  test('npm start in sandbox mode generates one owner-only key per data folder and keeps it', () => {
    const dataDir = tempDir();
    const config = parseConfig({ DATA_DIR: dataDir });
    const env = withSandboxSecrets(config, {});
    const file = env.PAYLOAD_CODEC_KEYS_FILE as string;
    expect(file).toBe(path.join(dataDir, 'payload-codec.keys'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = readFileSync(file, 'utf8');
    withSandboxSecrets(config, {});
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(codecKeysOf(parseConfig({ DATA_DIR: dataDir, ...env }))).toHaveLength(1);
  });

  test('configured keys and operator token are never replaced by generated ones', () => {
    const key = newCodecKeyEntry('ops');
    const token = 'an-operator-token-of-at-least-32-characters';
    const source = { PAYLOAD_CODEC_KEYS: key, OPERATOR_TOKEN: token };
    const config = parseConfig({ DATA_DIR: tempDir(), ...source });
    expect(withSandboxSecrets(config, source)).toEqual(source);
  });

  test('npm start in sandbox mode also generates an operator token for the codec sign-in, once', () => {
    const dataDir = tempDir();
    const config = parseConfig({ DATA_DIR: dataDir });
    const token = withSandboxSecrets(config, {}).OPERATOR_TOKEN as string;
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(withSandboxSecrets(config, {}).OPERATOR_TOKEN).toBe(token);
    expect(statSync(path.join(dataDir, 'operator-token')).mode & 0o777).toBe(0o600);
  });

  test('outside sandbox mode nothing is generated', () => {
    const config = { ...parseConfig({ DATA_DIR: tempDir() }), sandbox: false };
    expect(withSandboxSecrets(config, {})).toEqual({});
  });
});
