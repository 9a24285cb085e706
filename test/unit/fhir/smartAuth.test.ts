import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ASSERTION_LIFETIME_SECONDS,
  CLIENT_ASSERTION_TYPE,
  clientAssertion,
  loadPrivateKey,
  signingAlgorithm,
  tokenRequestBody,
} from '../../../src/fhir/smartAuth';

const TOKEN_URL = 'https://ehr.example.org/oauth2/token';
const NOW_MS = Date.UTC(2026, 10, 20, 18, 0, 0);

function decode(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function parts(jwt: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  ok: (key: KeyObject) => boolean;
} {
  const [header, claims, signature] = jwt.split('.');
  const input = Buffer.from(`${header}.${claims}`);
  const sig = Buffer.from(signature ?? '', 'base64url');
  return {
    header: decode(header),
    claims: decode(claims),
    ok: (key) =>
      key.asymmetricKeyType === 'ec'
        ? verify('sha384', input, { key, dsaEncoding: 'ieee-p1363' }, sig)
        : verify('sha384', input, key, sig),
  };
}

describe('SMART Backend Services client assertion', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });

  test('RS384: iss = sub = client id, aud = token URL, exp within five minutes, the given jti, kid header', () => {
    const jwt = clientAssertion(
      { clientId: 'appointment-sms', privateKey: rsa.privateKey, keyId: 'key-1' },
      TOKEN_URL,
      NOW_MS,
      'jti-1',
    );
    const { header, claims, ok } = parts(jwt);
    expect(header).toEqual({ alg: 'RS384', typ: 'JWT', kid: 'key-1' });
    expect(claims).toEqual({
      iss: 'appointment-sms',
      sub: 'appointment-sms',
      aud: TOKEN_URL,
      exp: NOW_MS / 1000 + ASSERTION_LIFETIME_SECONDS,
      jti: 'jti-1',
    });
    expect(ASSERTION_LIFETIME_SECONDS).toBeLessThanOrEqual(300);
    expect(ok(rsa.publicKey)).toBe(true);
    expect(ok(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)).toBe(false);
  });

  test('ES384 (JWS r||s signature), no kid when none is set, a fresh jti each time', () => {
    const first = parts(clientAssertion({ clientId: 'c', privateKey: ec.privateKey }, TOKEN_URL, NOW_MS));
    const second = parts(clientAssertion({ clientId: 'c', privateKey: ec.privateKey }, TOKEN_URL, NOW_MS));
    expect(first.header).toEqual({ alg: 'ES384', typ: 'JWT' });
    expect(first.ok(ec.publicKey)).toBe(true);
    expect(first.claims.jti).toEqual(expect.any(String));
    expect(first.claims.jti).not.toBe(second.claims.jti);
  });

  test('keys SMART does not allow are refused', () => {
    expect(signingAlgorithm(rsa.privateKey)).toBe('RS384');
    expect(signingAlgorithm(ec.privateKey)).toBe('ES384');
    expect(() => signingAlgorithm(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)).toThrow(
      /P-384/,
    );
    expect(() => signingAlgorithm(generateKeyPairSync('ed25519').privateKey)).toThrow(/RSA/);
  });

  test('the token request form', () => {
    const body = tokenRequestBody('a.b.c', 'system/Patient.read system/Location.read');
    expect(Object.fromEntries(body)).toEqual({
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: 'a.b.c',
      scope: 'system/Patient.read system/Location.read',
    });
    expect(CLIENT_ASSERTION_TYPE).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(body.toString()).toContain('scope=system%2FPatient.read+system%2FLocation.read');
  });

  test('the PEM file of FHIR_PRIVATE_KEY_PATH is loaded and checked', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'smart-key-'));
    const good = path.join(dir, 'rsa.pem');
    writeFileSync(good, rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    expect(loadPrivateKey(good).asymmetricKeyType).toBe('rsa');
    const p256 = path.join(dir, 'p256.pem');
    writeFileSync(
      p256,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
    );
    expect(() => loadPrivateKey(p256)).toThrow(/P-384/);
    expect(() => loadPrivateKey(path.join(dir, 'missing.pem'))).toThrow();
  });
});
