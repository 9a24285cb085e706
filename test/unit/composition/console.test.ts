/** The operator console's settings: production requires them, sandbox mode fills them in. */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { consoleSettingsOf } from '../../../src/composition/console';
import { parseConfig } from '../../../src/config';
import { withSandboxSecrets } from '../../../src/config/sandboxSecrets';
import { productionEnv, problemsOf, sandboxEnv } from '../../helpers/config';

const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'console-settings-'));

describe('outside sandbox mode', () => {
  test('APPLICATION_PASSWORD (16+ characters), ADMINISTRATOR_PHONE and TWILIO_VERIFY_SERVICE_SID are required', () => {
    const {
      APPLICATION_PASSWORD: _p,
      ADMINISTRATOR_PHONE: _a,
      TWILIO_VERIFY_SERVICE_SID: _v,
      ...withoutConsole
    } = productionEnv();
    expect(problemsOf(withoutConsole).map((p) => p.split(':')[0])).toEqual([
      'APPLICATION_PASSWORD',
      'ADMINISTRATOR_PHONE',
      'TWILIO_VERIFY_SERVICE_SID',
    ]);
    const short = problemsOf(productionEnv({ APPLICATION_PASSWORD: 'fifteen-chars-x' }));
    expect(short).toEqual([expect.stringMatching(/^APPLICATION_PASSWORD: is required .*16\+ characters/)]);
    // A secret is never echoed in a problem.
    expect(short.join()).not.toContain('fifteen-chars-x');
    expect(problemsOf(productionEnv({ TWILIO_VERIFY_SERVICE_SID: 'MG123' }))[0]).toMatch(
      /^TWILIO_VERIFY_SERVICE_SID: must look like VA followed by 32 hex/,
    );
    expect(problemsOf(productionEnv({ ADMINISTRATOR_PHONE: '303-555-0100' }))[0]).toMatch(
      /^ADMINISTRATOR_PHONE: must be an E.164/,
    );
    expect(consoleSettingsOf(parseConfig(productionEnv()))).toEqual({
      password: 'a-console-password-0123456789',
      administratorPhone: '+15005550100',
      verifyServiceSid: `VA${'b'.repeat(32)}`,
    });
  });

  test('session lengths default to 30 idle minutes and 8 hours, and are bounded', () => {
    const config = parseConfig(productionEnv());
    expect(config.env.ADMIN_SESSION_IDLE_MINUTES).toBe(30);
    expect(config.env.ADMIN_SESSION_MAX_HOURS).toBe(8);
    expect(
      parseConfig(productionEnv({ ADMIN_SESSION_IDLE_MINUTES: '10', ADMIN_SESSION_MAX_HOURS: '2' })).env,
    ).toMatchObject({ ADMIN_SESSION_IDLE_MINUTES: 10, ADMIN_SESSION_MAX_HOURS: 2 });
    expect(problemsOf(productionEnv({ ADMIN_SESSION_IDLE_MINUTES: '0' }))[0]).toMatch(
      /^ADMIN_SESSION_IDLE_MINUTES/,
    );
    expect(problemsOf(productionEnv({ ADMIN_SESSION_MAX_HOURS: 'eight' }))[0]).toMatch(
      /^ADMIN_SESSION_MAX_HOURS/,
    );
  });
});

describe('sandbox mode', () => {
  test('the password is random per data folder, owner-only in admin-password, the same on every start', () => {
    const dataDir = tempDir();
    const config = parseConfig(sandboxEnv({ DATA_DIR: dataDir }));
    const first = withSandboxSecrets(config, {}).APPLICATION_PASSWORD as string;
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dataDir, 'admin-password');
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(withSandboxSecrets(config, {}).APPLICATION_PASSWORD).toBe(first);
    expect(
      withSandboxSecrets(parseConfig(sandboxEnv({ DATA_DIR: tempDir() })), {}).APPLICATION_PASSWORD,
    ).not.toBe(first);
    // A set password wins over the file.
    const chosen = parseConfig(sandboxEnv({ DATA_DIR: dataDir, APPLICATION_PASSWORD: 'chosen-by-me' }));
    expect(withSandboxSecrets(chosen, {}).APPLICATION_PASSWORD).toBeUndefined();
  });

  test('the administrator number and Verify service default to the sandbox ones unless set', () => {
    expect(consoleSettingsOf(parseConfig(sandboxEnv({ APPLICATION_PASSWORD: 'x' })))).toEqual({
      password: 'x',
      administratorPhone: '+15005550100',
      verifyServiceSid: `VA${'0'.repeat(32)}`,
    });
    expect(
      consoleSettingsOf(
        parseConfig(
          sandboxEnv({
            ADMINISTRATOR_PHONE: '+13035550100',
            TWILIO_VERIFY_SERVICE_SID: `VA${'c'.repeat(32)}`,
          }),
        ),
      ),
    ).toMatchObject({ administratorPhone: '+13035550100', verifyServiceSid: `VA${'c'.repeat(32)}` });
    // Sandbox mode needs none of them set.
    expect(problemsOf(sandboxEnv())).toEqual([]);
  });
});
