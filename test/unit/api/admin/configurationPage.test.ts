/**
 * The configuration and integration pages' pure parts: where each setting came from, what is risky,
 * the endpoints, and that the page's examples and verification snippets really work: the examples go
 * through the real JSON, HL7 and FHIR mappings, the Node snippet verifies a signature made by
 * src/activities/ehrCallback.ts in a VM, the Python one in python3.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { signBody, signTimestamped } from '../../../../src/activities/ehrCallback';
import {
  configurationProblems,
  configurationRisks,
  type Finding,
} from '../../../../src/api/admin/configuration/findings';
import { settingRows } from '../../../../src/api/admin/configuration/settingRows';
import { integrationEndpoints } from '../../../../src/api/admin/integration/endpoints';
import { integrationExamples } from '../../../../src/api/admin/integration/examples';
import {
  NODE_VERIFY_SNIPPET,
  PYTHON_VERIFY_SNIPPET,
} from '../../../../src/api/admin/integration/verifySnippets';
import { parseConfig, type AppConfig } from '../../../../src/config';
import { withSandboxSecrets } from '../../../../src/config/sandboxSecrets';
import { envFields } from '../../../../src/config/schema';
import { parseCanonicalEvent } from '../../../../src/domain/events/canonicalEvent';
import { mapFhirAppointment } from '../../../../src/domain/fhir/appointmentMapping';
import { mapSiuMessage } from '../../../../src/domain/hl7/siuMapping';
import { productionEnv, sandboxEnv } from '../../../helpers/config';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A sandbox configuration as loadConfig makes it: secrets generated in a fresh DATA_DIR. */
function sandboxConfig(env: Record<string, string>): AppConfig {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'config-page-'));
  dirs.push(dataDir);
  const source = { ...env, DATA_DIR: dataDir };
  const parsed = parseConfig(source);
  return parseConfig(withSandboxSecrets(parsed, source));
}

const names = (findings: readonly Finding[]): string[] => findings.map((f) => `${f.level} ${f.name}`);

describe('settingRows', () => {
  test('every setting, with its source worked out from the environment, .env, sandbox files and defaults', () => {
    const environment = sandboxEnv({ CUSTOMER_NAME: 'Valley Clinic', LOG_LEVEL: 'warn', PORT: '3999' });
    delete environment.SANDBOX_MODE; // npm start's embedded default turned it on
    const config = sandboxConfig({ ...environment, SANDBOX_MODE: 'true' });
    const dotenv = { CUSTOMER_NAME: 'Valley Clinic', LOG_LEVEL: 'debug', REMINDER_FIRST_TIMING: '7200' };
    const rows = settingRows(config, environment, dotenv, []);
    expect(rows.map((r) => r.name)).toEqual(Object.keys(envFields.shape));
    const row = (name: string) => rows.find((r) => r.name === name);

    expect(row('CUSTOMER_NAME')).toMatchObject({ value: 'Valley Clinic', source: '.env file' });
    expect(row('LOG_LEVEL')).toMatchObject({ value: 'warn', source: 'environment' });
    expect(row('LOG_LEVEL')?.findings[0]?.message).toContain('the .env file has another value');
    expect(row('REMINDER_FIRST_TIMING')).toMatchObject({ value: '4800', source: 'default' });
    expect(row('REMINDER_FIRST_TIMING')?.findings[0]?.message).toContain('restart to apply');
    expect(row('SANDBOX_MODE')?.source).toContain('embedded default');
    expect(row('PHONE_ID_KEY')?.source).toBe(
      `generated for sandbox in DATA_DIR (${path.join(config.dataDir, 'sandbox-phone-id.key')})`,
    );
    expect(row('APPLICATION_PASSWORD')?.value).toMatch(/^set \(\d+ characters\)$/);
    expect(row('SANDBOX_TWILIO_AUTH_TOKEN')).toMatchObject({ source: 'environment', secret: true });
    expect(row('PUBLIC_BASE_URL')).toMatchObject({
      value: 'not set; uses http://localhost:3999',
      source: 'not set',
    });
    expect(row('TWILIO_AUTH_TOKEN')).toMatchObject({ value: 'not set', secret: true });
    expect(row('EHR_API_KEYS')?.value).toContain('the sandbox’s key');
  });

  test('secrets show only their length; a URL’s password is masked whatever the name', () => {
    const env = productionEnv({
      TWILIO_AUTH_TOKEN: 'tok-0123456789',
      EHR_CALLBACK_URL: 'https://engine:hunter2@ehr.example.org/replies',
    });
    const config = parseConfig(env);
    const rows = settingRows(config, env, undefined, []);
    const text = JSON.stringify(rows);
    for (const [name, value] of Object.entries(env)) {
      if (/TOKEN|SECRET|PASSWORD|KEY/.test(name)) expect([name, text.includes(value)]).toEqual([name, false]);
    }
    expect(text).not.toContain('hunter2');
    expect(rows.find((r) => r.name === 'TWILIO_AUTH_TOKEN')?.value).toBe('set (14 characters)');
    expect(rows.find((r) => r.name === 'EHR_CALLBACK_URL')?.value).toBe(
      'https://engine:***@ehr.example.org/replies',
    );
  });
});

describe('problems and risks', () => {
  test('a clean production configuration has no problem and no risk', () => {
    const env = productionEnv({
      GCS_BUCKET: 'snapshots',
      REMINDER_OUTREACH_START: '0800',
      REMINDER_OUTREACH_FINISH: '2000',
    });
    const config = parseConfig(env);
    expect(configurationProblems(config, env, undefined)).toEqual([]);
    expect(configurationRisks(config)).toEqual([]);
  });

  test('parseConfig’s problems for the variables as they are now (.env under the environment)', () => {
    const env = productionEnv();
    const config = parseConfig(env);
    const problems = configurationProblems(config, env, {
      REMINDER_OUTREACH_START: '9am',
      TWILIO_AUTH_TOKEN: 'x',
    });
    expect(problems).toEqual([
      {
        name: 'REMINDER_OUTREACH_START',
        level: 'problem',
        message: 'must be a time of day HHMM between 0000 and 2400 (got "9am")',
      },
    ]);
  });

  test('risky settings: sandbox, http, MLLP open to all, test messages texted, API_HOST not loopback', () => {
    const config = sandboxConfig(
      sandboxEnv({
        PUBLIC_BASE_URL: 'http://sms.example.org',
        HL7_MLLP_PORT: '2575',
        HL7_MLLP_HOST: '0.0.0.0',
        HL7_TEXT_TEST_MESSAGES: 'true',
        API_HOST: '0.0.0.0',
      }),
    );
    expect(names(configurationRisks(config))).toEqual([
      'risk SANDBOX_MODE',
      'risk API_HOST',
      'risk PUBLIC_BASE_URL',
      'risk HL7_MLLP_ALLOWED_CLIENTS',
      'note HL7_MLLP_TLS_CERT_PATH',
      'risk HL7_TEXT_TEST_MESSAGES',
      'note REMINDER_OUTREACH_START',
    ]);
  });

  test('production: a plain Temporal connection to another host, an emulator endpoint, local snapshots', () => {
    const withEmulator = parseConfig(
      productionEnv({
        TEMPORAL_ADDRESS: 'temporal.example.org:7233',
        GCS_BUCKET: 'b',
        GCS_API_ENDPOINT: 'http://127.0.0.1:4443',
      }),
    );
    expect(names(configurationRisks(withEmulator))).toEqual(
      expect.arrayContaining(['risk TEMPORAL_TLS', 'risk GCS_API_ENDPOINT']),
    );
    const withTls = parseConfig(
      productionEnv({ TEMPORAL_ADDRESS: 'temporal.example.org:7233', TEMPORAL_TLS: 'true' }),
    );
    expect(names(configurationRisks(withTls))).toEqual(['note GCS_BUCKET', 'note REMINDER_OUTREACH_START']);
  });
});

describe('integration endpoints', () => {
  test('built from PUBLIC_BASE_URL; MLLP on the public host and HL7_MLLP_PORT', () => {
    const config = parseConfig(
      productionEnv({
        HL7_MLLP_PORT: '2575',
        HL7_MLLP_HOST: '0.0.0.0',
        HL7_MLLP_ALLOWED_CLIENTS: '10.0.0.5',
      }),
    );
    expect(integrationEndpoints(config).map((e) => `${e.method} ${e.url}`)).toEqual([
      'POST https://sms.example.org/v1/ehr/events',
      'POST https://sms.example.org/v1/ehr/hl7v2',
      'TCP sms.example.org:2575',
      'POST https://sms.example.org/v1/ehr/fhir',
      'POST https://sms.example.org/v1/ehr/fhir/notifications',
      'GET https://sms.example.org/v1/appointments/{appointment_id}',
      'GET https://sms.example.org/openapi.json',
    ]);
    expect(integrationEndpoints(config)[2]?.note).toContain('accepts 10.0.0.5 only');
  });
});

describe('the integration page’s examples go through the real mappings', () => {
  const now = new Date('2026-12-01T15:00:00Z');
  const examples = integrationExamples(now, 'America/Denver');
  const context = { defaultCountry: 'US', defaultTimezone: 'America/Denver', receivedAt: now.toISOString() };

  test('JSON event', () => {
    const parsed = parseCanonicalEvent(JSON.parse(examples.json), context);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.event).toMatchObject({
      eventType: 'BOOKED',
      appointmentId: 'EXAMPLE-1001',
      start: '2026-12-04T16:30:00.000Z',
      patient: { phone: '+13035550142', firstName: 'Robin' },
    });
  });

  test('HL7 SIU^S12, one segment a line', () => {
    const mapped = mapSiuMessage(examples.hl7, context);
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.warnings).toEqual([]);
    expect(mapped.event).toMatchObject({
      eventType: 'BOOKED',
      appointmentId: 'EXAMPLE-1002',
      start: '2026-12-04T16:30:00.000Z',
      location: 'Example Clinic',
      patient: { id: 'P-EXAMPLE-2', phone: '+13035550143' },
      provider: { id: 'PR-100', lastName: 'SAMPLE' },
    });
  });

  test('FHIR Appointment with a contained Patient', () => {
    const mapped = mapFhirAppointment(JSON.parse(examples.fhir), context);
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.event).toMatchObject({
      eventType: 'BOOKED',
      appointmentId: 'EXAMPLE-1003',
      eventId: 'Appointment/EXAMPLE-1003/_history/1',
      start: '2026-12-04T16:30:00.000Z',
      patient: { phone: '+13035550144', firstName: 'Robin', lastName: 'Example' },
      provider: { firstName: 'Sam', callbackPhone: '+13035550100' },
      location: 'Example Clinic',
    });
  });

  test('the data is made up: 555-01xx numbers, example names', () => {
    const all = `${examples.json}${examples.hl7}${examples.fhir}`;
    for (const phone of all.match(/\+1\d{10}/g) ?? []) expect(phone).toMatch(/^\+130355501\d\d$/);
  });
});

describe('the verification snippets verify what ehrCallback.ts signs', () => {
  const secret = 'callback-secret-for-the-snippets-0123456789';
  const body = Buffer.from(
    JSON.stringify({
      event_type: 'CONFIRM',
      appointment_id: 'EXAMPLE-1001',
      patient_id: 'P-EXAMPLE-1',
      reply_text: 'yes',
    }),
  );
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'x-signature': signBody(body, secret),
    'x-signature-timestamp': String(timestamp),
    'x-timestamp-signature': signTimestamped(body, timestamp, secret),
  };

  test('Node', () => {
    const sandbox: Record<string, unknown> = { require, Buffer };
    vm.runInNewContext(`${NODE_VERIFY_SNIPPET}\nthis.verifyCallback = verifyCallback;`, sandbox);
    const verify = sandbox.verifyCallback as (
      raw: Buffer,
      headers: Record<string, string>,
      secret: string,
      nowMs?: number,
    ) => boolean;
    expect(verify(body, headers, secret)).toBe(true);
    expect(verify(Buffer.concat([body, Buffer.from(' ')]), headers, secret)).toBe(false);
    expect(verify(body, headers, 'another-secret')).toBe(false);
    expect(verify(body, headers, secret, (timestamp + 301) * 1000)).toBe(false);
    expect(verify(body, { ...headers, 'x-timestamp-signature': headers['x-signature'] }, secret)).toBe(false);
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  (python ? test : test.skip)('Python', () => {
    const script = `${PYTHON_VERIFY_SNIPPET}
import json, sys
case = json.load(sys.stdin)
body = bytes.fromhex(case["body"])
print(json.dumps([
    verify_callback(body, case["headers"], case["secret"]),
    verify_callback(body + b" ", case["headers"], case["secret"]),
    verify_callback(body, case["headers"], "another-secret"),
    verify_callback(body, case["headers"], case["secret"], now=case["late"]),
]))
`;
    const run = spawnSync('python3', ['-c', script], {
      input: JSON.stringify({ body: body.toString('hex'), headers, secret, late: timestamp + 301 }),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([true, false, false, false]);
  });
});
