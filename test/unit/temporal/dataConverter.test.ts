import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../../src/config';
import { newCodecKeyEntry } from '../../../src/config/codecKeys';
import { codecKeysOf, dataConverterOf } from '../../../src/temporal/dataConverter';
import { sandboxEnv } from '../../helpers/config';

const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'codec-keys-'));

describe('payload codec keys from configuration', () => {
  test('no keys: Temporal’s defaults (tests; sandbox mode generates a key, production requires one)', () => {
    const config = parseConfig(sandboxEnv({ DATA_DIR: tempDir() }));
    expect(codecKeysOf(config)).toBeNull();
    expect(dataConverterOf(config)).toEqual({});
  });

  test('keys from a file, newest first; the codec and the encoded failures are wired', () => {
    const file = path.join(tempDir(), 'keys');
    writeFileSync(file, `# rotated 2026-12\n${newCodecKeyEntry('new')}\n${newCodecKeyEntry('old')}\n`);
    const config = parseConfig(sandboxEnv({ PAYLOAD_CODEC_KEYS_FILE: file }));
    expect(codecKeysOf(config)?.map((k) => k.id)).toEqual(['new', 'old']);
    const converter = dataConverterOf(config);
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.failureConverterPath).toMatch(/failureConverter/);
  });

  test('an unreadable or bad key file is a configuration error that names no key', () => {
    expect(() =>
      codecKeysOf(parseConfig(sandboxEnv({ PAYLOAD_CODEC_KEYS_FILE: '/nonexistent/keys' }))),
    ).toThrow('PAYLOAD_CODEC_KEYS_FILE: cannot be read (ENOENT)');
    const file = path.join(tempDir(), 'keys');
    writeFileSync(file, 'k1:c2hvcnQ=\n');
    expect(() => codecKeysOf(parseConfig(sandboxEnv({ PAYLOAD_CODEC_KEYS_FILE: file })))).toThrow(
      ConfigError,
    );
  });
});
