import path from 'node:path';
import { parseConfig } from '../../../src/config';
import { DEFAULT_FHIR_SCOPE } from '../../../src/config/schema';
import { problemsOf, productionEnv, sandboxEnv } from '../../helpers/config';

const names = (problems: string[]): string[] => problems.map((p) => p.split(':')[0] ?? '');
/** The FHIR settings' problems only: other rules of a production environment are other tests' concern. */
const fhirProblemsOf = (env: Record<string, string>): string[] =>
  problemsOf(env).filter((p) => p.startsWith('FHIR_'));

describe('FHIR settings', () => {
  test('unset: no EHR FHIR API, references must come with the Appointment', () => {
    expect(parseConfig(sandboxEnv()).fhir).toBeUndefined();
    expect(fhirProblemsOf(productionEnv())).toEqual([]);
    // Blank, as in a copy of .env.example.
    expect(parseConfig(sandboxEnv({ FHIR_BASE_URL: '', FHIR_SCOPE: '' })).fhir).toBeUndefined();
  });

  test('a base alone reads without authorisation, with the default scope, trailing slash dropped', () => {
    const config = parseConfig(sandboxEnv({ FHIR_BASE_URL: 'http://127.0.0.1:8080/fhir/R4/' }));
    expect(config.fhir).toEqual({
      baseUrl: 'http://127.0.0.1:8080/fhir/R4',
      scope: DEFAULT_FHIR_SCOPE,
      smart: undefined,
    });
    expect(DEFAULT_FHIR_SCOPE.split(' ')).toEqual([
      'system/Patient.read',
      'system/Practitioner.read',
      'system/PractitionerRole.read',
      'system/Location.read',
      'system/Appointment.read',
    ]);
  });

  test('SMART Backend Services: client id, key path (resolved), optional kid and scope', () => {
    const config = parseConfig(
      sandboxEnv({
        FHIR_BASE_URL: 'https://ehr.example.org/fhir/R4',
        FHIR_CLIENT_ID: 'appointment-sms',
        FHIR_PRIVATE_KEY_PATH: 'keys/ehr.pem',
        FHIR_KEY_ID: 'key-2026',
        FHIR_SCOPE: 'system/Patient.rs system/Location.rs',
      }),
    );
    expect(config.fhir).toEqual({
      baseUrl: 'https://ehr.example.org/fhir/R4',
      scope: 'system/Patient.rs system/Location.rs',
      smart: {
        clientId: 'appointment-sms',
        privateKeyPath: expect.stringMatching(/keys\/ehr\.pem$/),
        keyId: 'key-2026',
      },
    });
    expect(path.isAbsolute(config.fhir?.smart?.privateKeyPath ?? '')).toBe(true);
    const withoutKid = parseConfig(
      sandboxEnv({
        FHIR_BASE_URL: 'http://localhost:9000/fhir',
        FHIR_CLIENT_ID: 'c',
        FHIR_PRIVATE_KEY_PATH: '/etc/k.pem',
      }),
    );
    expect(withoutKid.fhir?.smart).toEqual({ clientId: 'c', privateKeyPath: '/etc/k.pem' });
  });

  test('the client id and the key go together, and need a base', () => {
    expect(
      names(problemsOf(sandboxEnv({ FHIR_BASE_URL: 'https://ehr.example.org/fhir', FHIR_CLIENT_ID: 'c' }))),
    ).toEqual(['FHIR_CLIENT_ID']);
    expect(
      names(
        problemsOf(
          sandboxEnv({ FHIR_BASE_URL: 'https://ehr.example.org/fhir', FHIR_PRIVATE_KEY_PATH: '/k.pem' }),
        ),
      ),
    ).toEqual(['FHIR_CLIENT_ID']);
    expect(names(problemsOf(sandboxEnv({ FHIR_CLIENT_ID: 'c', FHIR_PRIVATE_KEY_PATH: '/k.pem' })))).toEqual([
      'FHIR_BASE_URL',
    ]);
    expect(
      names(problemsOf(sandboxEnv({ FHIR_BASE_URL: 'https://ehr.example.org/fhir', FHIR_KEY_ID: 'k1' }))),
    ).toEqual(['FHIR_KEY_ID']);
  });

  test.each([
    ['https://ehr.example.org/fhir/R4', true],
    ['http://localhost:8080/fhir', true],
    ['http://127.0.0.1:8080/fhir', true],
    ['http://ehr.example.org/fhir/R4', false],
  ])('outside sandbox mode %s accepted=%s (https, or loopback)', (url, accepted) => {
    const problems = fhirProblemsOf(productionEnv({ FHIR_BASE_URL: url }));
    expect(problems).toEqual(accepted ? [] : [expect.stringMatching(/^FHIR_BASE_URL: must be https:\/\//)]);
  });

  test('in sandbox mode a plain http EHR test server anywhere is fine; a non-URL never', () => {
    expect(problemsOf(sandboxEnv({ FHIR_BASE_URL: 'http://hapi.example.org/fhir' }))).toEqual([]);
    expect(names(problemsOf(sandboxEnv({ FHIR_BASE_URL: 'ehr.example.org/fhir' })))).toEqual([
      'FHIR_BASE_URL',
    ]);
    expect(names(problemsOf(sandboxEnv({ FHIR_BASE_URL: 'ftp://ehr.example.org/fhir' })))).toEqual([
      'FHIR_BASE_URL',
    ]);
  });

  test('the key path is never echoed in a problem', () => {
    const problems = problemsOf(sandboxEnv({ FHIR_PRIVATE_KEY_PATH: '/secret/place/key.pem' }));
    expect(problems.join('\n')).not.toContain('/secret/place');
  });
});
