import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { isEmbeddedDefault, parseConfig, SANDBOX_API_KEY } from '../../../src/config';
import { problemsOf, productionEnv, SANDBOX_TEST_AUTH_TOKEN, sandboxEnv } from '../../helpers/config';

describe('configuration', () => {
  test('no variables at all gives the embedded sandbox defaults', () => {
    const config = parseConfig(sandboxEnv());
    expect(config.sandbox).toBe(true);
    expect(config.embeddedTemporal).toBe(true);
    expect(config.ehrApiKeys).toEqual([SANDBOX_API_KEY]);
    expect(config.env).toMatchObject({
      PORT: 3000,
      REMINDER_OUTREACH_START: '0000',
      REMINDER_OUTREACH_FINISH: '2400',
      REMINDER_FIRST_TIMING: '4800',
      REMINDER_SECOND_TIMING: '2400',
      MAX_REMINDERS_PER_PHONE_PER_DAY: 2,
      DEFAULT_COUNTRY: 'US',
      TEMPORAL_NAMESPACE: 'default',
    });
    expect(config.temporalAddress).toBe('127.0.0.1:7233');
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
  });

  test('a worker cache of 0 workflows is refused (local activities need the cache)', () => {
    expect(problemsOf(sandboxEnv({ WORKER_MAX_CACHED_WORKFLOWS: '0' })).map((p) => p.split(':')[0])).toEqual([
      'WORKER_MAX_CACHED_WORKFLOWS',
    ]);
    expect(
      parseConfig(sandboxEnv({ WORKER_MAX_CACHED_WORKFLOWS: '1' })).env.WORKER_MAX_CACHED_WORKFLOWS,
    ).toBe(1);
  });

  test('every problem is reported at once, naming the variable', () => {
    const problems = problemsOf(
      sandboxEnv({
        REMINDER_OUTREACH_START: '9am',
        CUSTOMER_CODE: 'Main Clinic',
        PORT: '99999',
        DEFAULT_TIMEZONE: 'Mars/Olympus',
        DEFAULT_COUNTRY: 'XX',
        REMINDER_FIRST_TIMING: '2400',
      }),
    );
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      [
        'CUSTOMER_CODE',
        'DEFAULT_COUNTRY',
        'DEFAULT_TIMEZONE',
        'PORT',
        'REMINDER_FIRST_TIMING',
        'REMINDER_OUTREACH_START',
      ].sort(),
    );
    expect(problems.join('\n')).toContain('must be longer than REMINDER_SECOND_TIMING');
  });

  test.each([
    ['4800', true],
    ['0130', true],
    ['9999', false],
    ['480', false],
    ['48h0', false],
    ['0060', false],
  ])('reminder timing %s valid=%s (HHMM, hours may exceed 24)', (value, valid) => {
    const problems = problemsOf(sandboxEnv({ REMINDER_FIRST_TIMING: value, REMINDER_SECOND_TIMING: '0000' }));
    expect(problems.length === 0).toBe(valid);
  });

  test.each([
    ['0800', '2000', true],
    ['0000', '2400', true],
    ['2000', '0800', false],
    ['0800', '0800', false],
    ['0800', '2401', false],
    ['0860', '2000', false],
  ])('outreach window %s-%s valid=%s', (start, finish, valid) => {
    const problems = problemsOf(
      sandboxEnv({ REMINDER_OUTREACH_START: start, REMINDER_OUTREACH_FINISH: finish }),
    );
    expect(problems.length === 0).toBe(valid);
  });

  test('SECOND=0000 turns the second reminder off and is not compared with FIRST', () => {
    expect(problemsOf(sandboxEnv({ REMINDER_FIRST_TIMING: '0100', REMINDER_SECOND_TIMING: '0000' }))).toEqual(
      [],
    );
  });

  test('CUSTOMER_CODE accepts only lowercase letters and digits', () => {
    expect(problemsOf(sandboxEnv({ CUSTOMER_CODE: 'stmarys2' }))).toEqual([]);
    expect(problemsOf(sandboxEnv({ CUSTOMER_CODE: 'st-marys' }))).toHaveLength(1);
  });

  test('Twilio mode needs a sender, a public URL, EHR keys, a callback URL, a phone id key, the default zone and the console sign-in', () => {
    const problems = problemsOf({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'secret' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      [
        'ADMINISTRATOR_PHONE',
        'APPLICATION_PASSWORD',
        'TWILIO_VERIFY_SERVICE_SID',
        'DEFAULT_TIMEZONE',
        'EHR_API_KEYS',
        'EHR_CALLBACK_URL',
        'PAYLOAD_CODEC_KEYS',
        'PHONE_ID_KEY',
        'PUBLIC_BASE_URL',
        'TWILIO_PHONE_NUMBER',
      ].sort(),
    );
  });

  test('DEFAULT_TIMEZONE is required outside sandbox mode (HL7/FHIR times without an offset are read in it)', () => {
    const { DEFAULT_TIMEZONE: _zone, ...production } = productionEnv();
    expect(problemsOf(production)).toEqual([
      expect.stringMatching(/^DEFAULT_TIMEZONE: is required outside sandbox mode/),
    ]);
    expect(problemsOf({ ...production, DEFAULT_TIMEZONE: '  ' })).toHaveLength(1);
    expect(parseConfig({ ...production, DEFAULT_TIMEZONE: 'America/Denver' }).defaultTimezone).toBe(
      'America/Denver',
    );
    // The sandbox keeps working with nothing set.
    expect(parseConfig(sandboxEnv()).defaultTimezone).toBe('UTC');
  });

  test('a complete Twilio configuration leaves sandbox mode', () => {
    const config = parseConfig(
      productionEnv({
        EHR_API_KEYS: 'ehr-key-one-0123456789abcdef0123456789, ehr-key-two-0123456789abcdef0123456789',
      }),
    );
    expect(config.sandbox).toBe(false);
    expect(config.ehrApiKeys).toEqual([
      'ehr-key-one-0123456789abcdef0123456789',
      'ehr-key-two-0123456789abcdef0123456789',
    ]);
    expect(config.publicBaseUrl).toBe('https://sms.example.org');
  });

  test('production settings that would fall open are refused together (http URLs, short secrets, the sandbox key)', () => {
    const production = productionEnv({
      PUBLIC_BASE_URL: 'http://sms.example.org/',
      EHR_API_KEYS: 'sandbox-key',
      EHR_CALLBACK_URL: 'http://ehr.example.org/sms-replies',
      EHR_CALLBACK_SECRET: 'short',
      PHONE_ID_KEY: 'sixteen-chars-xx',
    });
    expect(
      problemsOf(production)
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(
      ['EHR_API_KEYS', 'EHR_CALLBACK_SECRET', 'EHR_CALLBACK_URL', 'PHONE_ID_KEY', 'PUBLIC_BASE_URL'].sort(),
    );
    expect(problemsOf({ ...production, EHR_API_KEYS: 'short-key' })).toContainEqual(
      'EHR_API_KEYS: each key must be at least 32 random characters outside sandbox mode',
    );
    // http is fine to this machine (a local EHR, a tunnel's local end).
    const local = {
      ...production,
      PUBLIC_BASE_URL: 'http://localhost:3000',
      EHR_CALLBACK_URL: 'http://127.0.0.1:8080/replies',
      EHR_API_KEYS: 'ehr-key-one-0123456789abcdef0123456789',
      EHR_CALLBACK_SECRET: 'callback-secret-0123456789abcdef012345',
      PHONE_ID_KEY: 'a-long-random-phone-id-key-0123456789abcdef',
    };
    expect(parseConfig(local).sandbox).toBe(false);
    // The sandbox keeps its short defaults.
    expect(
      parseConfig(sandboxEnv({ EHR_CALLBACK_URL: 'http://ehr.example.org/x', EHR_CALLBACK_SECRET: 's' }))
        .sandbox,
    ).toBe(true);
  });

  test('payload codec keys: inline or a file, not both; a bad key is listed without echoing it', () => {
    const key = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
    expect(problemsOf(sandboxEnv({ PAYLOAD_CODEC_KEYS: key, PAYLOAD_CODEC_KEYS_FILE: '/etc/keys' }))).toEqual(
      ['PAYLOAD_CODEC_KEYS: set PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE, not both'],
    );
    const short = `k1:${Buffer.alloc(16, 7).toString('base64')}`;
    const problems = problemsOf(sandboxEnv({ PAYLOAD_CODEC_KEYS: short }));
    expect(problems).toEqual([expect.stringContaining('32 random bytes')]);
    expect(problems.join()).not.toContain(short.slice(3));
    expect(parseConfig(sandboxEnv({ PAYLOAD_CODEC_KEYS: key })).env.PAYLOAD_CODEC_KEYS).toBe(key);
  });

  test('a copy of .env.example, blanks and all, is npm start’s embedded default (sandbox) and nothing else', () => {
    const example = parseDotenv(readFileSync(path.join(__dirname, '../../../.env.example')));
    expect(isEmbeddedDefault(example)).toBe(true);
    const config = parseConfig({ ...example, SANDBOX_MODE: 'true' });
    expect(config.sandbox).toBe(true);
    expect(config.env.HL7_MLLP_HOST).toBe('127.0.0.1');
    expect(config.apiHost).toBe('127.0.0.1');
    // Run any other way (npm run api, a container), the same file is refused: sandbox is never an accident.
    expect(problemsOf(example)).toEqual([expect.stringMatching(/^TWILIO_ACCOUNT_SID: .*SANDBOX_MODE=true/)]);
  });

  test('sandbox mode: said out loud outside npm start, never beside Twilio, loopback unless told otherwise', () => {
    expect(isEmbeddedDefault({})).toBe(true);
    expect(isEmbeddedDefault({ TEMPORAL_ADDRESS: 'temporal:7233' })).toBe(false);
    expect(isEmbeddedDefault({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` })).toBe(false);
    expect(isEmbeddedDefault({ SANDBOX_MODE: 'false' })).toBe(false);
    expect(problemsOf({ SANDBOX_MODE: 'false' })).toEqual([
      expect.stringMatching(/^TWILIO_ACCOUNT_SID: is required/),
    ]);
    expect(problemsOf({ SANDBOX_MODE: 'yes' })).toContainEqual(
      'SANDBOX_MODE: must be true or false (got "yes")',
    );
    expect(problemsOf(productionEnv({ SANDBOX_MODE: 'true' }))).toEqual([
      expect.stringMatching(/^SANDBOX_MODE: must not be true when Twilio credentials are set/),
    ]);
    expect(problemsOf(productionEnv({ SANDBOX_TWILIO_AUTH_TOKEN: 'x'.repeat(32) }))).toEqual([
      expect.stringMatching(/^SANDBOX_TWILIO_AUTH_TOKEN: applies only in sandbox mode/),
    ]);
    expect(parseConfig(sandboxEnv()).apiHost).toBe('127.0.0.1');
    expect(parseConfig(sandboxEnv({ API_HOST: '0.0.0.0' })).apiHost).toBe('0.0.0.0');
    expect(parseConfig(productionEnv()).apiHost).toBeUndefined();
    expect(problemsOf(sandboxEnv({ API_HOST: 'api.example.org' }))).toEqual([
      expect.stringMatching(/^API_HOST: must be an IP address/),
    ]);
  });

  test('TRUST_PROXY: none by default; named ranges, IPs and CIDRs; anything else refused', () => {
    expect(parseConfig(sandboxEnv()).env.TRUST_PROXY).toEqual([]);
    expect(
      parseConfig(sandboxEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8, 192.0.2.7, fd00::/8' })).env.TRUST_PROXY,
    ).toEqual(['loopback', '10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
    for (const bad of ['true', 'proxy.example.org', '10.0.0.0/33', '10.0.0.0/8/1']) {
      expect(problemsOf(sandboxEnv({ TRUST_PROXY: bad }))).toEqual([
        expect.stringMatching(/^TRUST_PROXY: must be/),
      ]);
    }
  });

  test('sandbox secrets parsed without a data folder are random, never a constant', () => {
    const one = parseConfig({ SANDBOX_MODE: 'true' });
    const two = parseConfig({ SANDBOX_MODE: 'true' });
    expect(one.sandboxTwilioAuthToken).not.toBe(two.sandboxTwilioAuthToken);
    expect(one.phoneIdKey).not.toBe(two.phoneIdKey);
    expect(one.sandboxTwilioAuthToken.length).toBeGreaterThanOrEqual(32);
    expect(parseConfig(sandboxEnv()).sandboxTwilioAuthToken).toBe(SANDBOX_TEST_AUTH_TOKEN);
  });

  test('MLLP settings: IP addresses only, TLS certificate and key together, client CA only with TLS', () => {
    expect(problemsOf(sandboxEnv({ HL7_MLLP_ALLOWED_CLIENTS: '10.0.0.1, engine.example.org' }))).toEqual([
      expect.stringMatching(/^HL7_MLLP_ALLOWED_CLIENTS: must be comma-separated IP addresses/),
    ]);
    expect(problemsOf(sandboxEnv({ HL7_MLLP_TLS_CERT_PATH: '/etc/mllp.pem' }))).toEqual([
      'HL7_MLLP_TLS_CERT_PATH: HL7_MLLP_TLS_CERT_PATH and HL7_MLLP_TLS_KEY_PATH must be set together (got "/etc/mllp.pem")',
    ]);
    expect(problemsOf(sandboxEnv({ HL7_MLLP_TLS_CLIENT_CA_PATH: '/etc/ca.pem' })).join()).toContain(
      'needs HL7_MLLP_TLS_CERT_PATH',
    );
    expect(
      parseConfig(sandboxEnv({ HL7_MLLP_ALLOWED_CLIENTS: '10.0.0.1, ::1' })).env.HL7_MLLP_ALLOWED_CLIENTS,
    ).toEqual(['10.0.0.1', '::1']);
  });

  test('CODEC_CORS_ORIGINS takes origins only (what a browser sends), trailing slashes dropped', () => {
    expect(
      parseConfig(sandboxEnv({ CODEC_CORS_ORIGINS: 'https://ui.example.org/, http://127.0.0.1:8233' }))
        .codecCorsOrigins,
    ).toEqual(['https://ui.example.org', 'http://127.0.0.1:8233']);
    for (const bad of ['ui.example.org', 'https://ui.example.org/path', 'javascript:alert(1)']) {
      expect(problemsOf(sandboxEnv({ CODEC_CORS_ORIGINS: bad }))).toEqual([
        expect.stringMatching(/^CODEC_CORS_ORIGINS: must be comma-separated origins/),
      ]);
    }
  });

  test('secret values are never echoed in problems', () => {
    const problems = problemsOf({ TWILIO_AUTH_TOKEN: 'super-secret-token' });
    expect(problems.join('\n')).not.toContain('super-secret-token');
  });

  test('a callback URL needs its signing secret', () => {
    expect(problemsOf(sandboxEnv({ EHR_CALLBACK_URL: 'https://ehr.example.org/hook' }))).toEqual([
      'EHR_CALLBACK_SECRET: is required when EHR_CALLBACK_URL is set (callbacks are HMAC-signed)',
    ]);
  });

  test('TEMPORAL_ADDRESS switches off the embedded dev server', () => {
    const config = parseConfig(sandboxEnv({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }));
    expect(config.embeddedTemporal).toBe(false);
    expect(config.temporalAddress).toBe('temporal.internal:7233');
    expect(problemsOf(sandboxEnv({ TEMPORAL_ADDRESS: 'http://temporal' }))).toHaveLength(1);
  });
});
