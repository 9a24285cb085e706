/**
 * The test FHIR server (test/helpers/fhirServer.ts): seeded reads, create/update, search by _id, a
 * transaction Bundle, SMART Backend Services tokens, a child-process start, and the client sample the
 * service can follow (MedplumClient against a non-Medplum FHIR base with a client-assertion token).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { MedplumClient } from '@medplum/core';
import type {
  Bundle,
  CapabilityStatement,
  Location,
  OperationOutcome,
  Patient,
  Practitioner,
  PractitionerRole,
} from '@medplum/fhirtypes';
import { startFhirServer, type FhirResource, type FhirTestServer } from '../helpers/fhirServer';

const patient: Patient = {
  resourceType: 'Patient',
  id: 'example',
  name: [{ family: 'Chalmers', given: ['Peter'] }],
  telecom: [{ system: 'phone', value: '+13035550123', use: 'mobile' }],
};
const practitioner: Practitioner = {
  resourceType: 'Practitioner',
  id: 'dr-lee',
  name: [{ family: 'Lee', given: ['Ann'], prefix: ['Dr.'] }],
};
const location: Location = {
  resourceType: 'Location',
  id: 'main-clinic',
  name: 'Valley Clinic Main',
  telecom: [{ system: 'phone', value: '+13035550199' }],
  address: { line: ['1 Main St'], city: 'Denver', state: 'CO', postalCode: '80202' },
};
const seed: FhirResource[] = [patient, practitioner, location];

async function getJson<T>(url: string, token?: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    headers: { accept: 'application/fhir+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function sendJson<T>(method: string, url: string, body: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

describe('FHIR test server', () => {
  let fhir: FhirTestServer;

  beforeAll(async () => {
    fhir = await startFhirServer({ seed });
  });
  afterAll(() => fhir.close());

  it('serves an R4 CapabilityStatement', async () => {
    expect(fhir.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/R4$/);
    const { status, body } = await getJson<CapabilityStatement>(`${fhir.baseUrl}/metadata`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      resourceType: 'CapabilityStatement',
      fhirVersion: '4.0.1',
      kind: 'instance',
    });
  });

  it('reads the seeded Patient, Practitioner and Location, and records the reads', async () => {
    fhir.requests.length = 0;
    const read = await getJson<Patient>(`${fhir.baseUrl}/Patient/example`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      resourceType: 'Patient',
      id: 'example',
      telecom: [{ system: 'phone', value: '+13035550123', use: 'mobile' }],
    });
    expect(read.body.meta?.versionId).toEqual(expect.any(String));
    expect((await getJson<Practitioner>(`${fhir.baseUrl}/Practitioner/dr-lee`)).body.name?.[0]?.family).toBe(
      'Lee',
    );
    expect((await getJson<Location>(`${fhir.baseUrl}/Location/main-clinic`)).body.name).toBe(
      'Valley Clinic Main',
    );
    expect(fhir.requests).toEqual([
      { method: 'GET', path: '/fhir/R4/Patient/example' },
      { method: 'GET', path: '/fhir/R4/Practitioner/dr-lee' },
      { method: 'GET', path: '/fhir/R4/Location/main-clinic' },
    ]);
  });

  it('answers 404 with an OperationOutcome for a missing resource', async () => {
    const { status, body } = await getJson<OperationOutcome>(`${fhir.baseUrl}/Patient/nobody`);
    expect(status).toBe(404);
    expect(body.resourceType).toBe('OperationOutcome');
  });

  it('creates with POST, updates-as-creates with PUT, and searches by _id', async () => {
    const created = await sendJson<Practitioner>('POST', `${fhir.baseUrl}/Practitioner`, {
      resourceType: 'Practitioner',
      name: [{ family: 'Okafor' }],
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toEqual(expect.any(String));

    const put = await sendJson<Patient>('PUT', `${fhir.baseUrl}/Patient/p-2`, {
      resourceType: 'Patient',
      id: 'p-2',
      name: [{ family: 'Second' }],
    });
    expect(put.status).toBeLessThan(300);
    expect(put.body.id).toBe('p-2');

    const search = await getJson<Bundle<Patient>>(`${fhir.baseUrl}/Patient?_id=example`);
    expect(search.status).toBe(200);
    expect(search.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(search.body.entry?.map((e) => e.resource?.id)).toEqual(['example']);
  });

  it('runs a transaction Bundle and rewrites urn:uuid references', async () => {
    const practitionerUrn = `urn:uuid:${randomUUID()}`;
    const transaction: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: practitionerUrn,
          resource: { resourceType: 'Practitioner', name: [{ family: 'Novak' }] },
          request: { method: 'POST', url: 'Practitioner' },
        },
        {
          resource: {
            resourceType: 'PractitionerRole',
            id: 'role-novak',
            practitioner: { reference: practitionerUrn },
            location: [{ reference: 'Location/main-clinic' }],
          },
          request: { method: 'PUT', url: 'PractitionerRole/role-novak' },
        },
      ],
    };
    const { status, body } = await sendJson<Bundle>('POST', fhir.baseUrl, transaction);
    expect(status).toBe(200);
    expect(body.type).toBe('transaction-response');
    expect(body.entry?.map((e) => e.response?.status)).toEqual(['201', expect.stringMatching(/^20[01]$/)]);

    const role = await getJson<PractitionerRole>(`${fhir.baseUrl}/PractitionerRole/role-novak`);
    const practitionerRef = role.body.practitioner?.reference ?? '';
    expect(practitionerRef).toMatch(/^Practitioner\/[\w-]+$/);
    expect((await getJson<Practitioner>(`${fhir.baseUrl}/${practitionerRef}`)).body.name?.[0]?.family).toBe(
      'Novak',
    );
  });
});

describe('FHIR test server as a child process', () => {
  it('prints its base URL, serves the seed, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fhir-seed-'));
    const seedFile = path.join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify([patient]));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '../helpers/fhirServer.ts'), seedFile],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`server exited with ${String(code)}`)));
      });
      const { baseUrl } = JSON.parse(line) as { baseUrl: string };
      expect((await getJson<Patient>(`${baseUrl}/Patient/example`)).body.id).toBe('example');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

/** What a SMART Backend Services client signs: RS384 JWT with iss = sub = client_id and aud = token URL. */
function clientAssertion(
  privateKey: KeyObject,
  claims: { clientId: string; tokenUrl: string; kid?: string },
): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const header = encode({ alg: 'RS384', typ: 'JWT', kid: claims.kid ?? 'test-key' });
  const payload = encode({
    iss: claims.clientId,
    sub: claims.clientId,
    aud: claims.tokenUrl,
    exp: now + 240,
    jti: randomUUID(),
  });
  const signature = sign('sha384', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

interface TokenResponse {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
}

/** The token request of SMART Backend Services: client_credentials with a private_key_jwt assertion. */
async function requestToken(tokenUrl: string, assertion: string, scope: string) {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope,
    }),
  });
  return { status: res.status, body: (await res.json()) as TokenResponse };
}

describe('FHIR test server with SMART Backend Services', () => {
  const clientId = 'appointment-sms';
  const scope = 'system/Patient.rs system/Practitioner.rs system/PractitionerRole.rs system/Location.rs';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let fhir: FhirTestServer;
  let tokenUrl: string;

  beforeAll(async () => {
    fhir = await startFhirServer({
      seed,
      smart: { clientId, publicJwk: publicKey.export({ format: 'jwk' }) },
    });
    const config = await getJson<{ token_endpoint: string }>(
      `${fhir.baseUrl}/.well-known/smart-configuration`,
    );
    tokenUrl = config.body.token_endpoint;
  });
  afterAll(() => fhir.close());

  it('advertises its token endpoint', async () => {
    expect(tokenUrl).toBe(fhir.tokenUrl);
    const metadata = await getJson<CapabilityStatement>(`${fhir.baseUrl}/metadata`);
    expect(metadata.status).toBe(200);
    expect(JSON.stringify(metadata.body.rest?.[0]?.security)).toContain(tokenUrl);
  });

  it('refuses FHIR reads without a token', async () => {
    const { status, body } = await getJson<OperationOutcome>(`${fhir.baseUrl}/Patient/example`);
    expect(status).toBe(401);
    expect(body.resourceType).toBe('OperationOutcome');
    expect((await getJson<OperationOutcome>(`${fhir.baseUrl}/Patient/example`, 'made-up')).status).toBe(401);
  });

  it('issues a token for a signed client assertion, and reads with it', async () => {
    const token = await requestToken(tokenUrl, clientAssertion(privateKey, { clientId, tokenUrl }), scope);
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'bearer', expires_in: 300, scope });
    const accessToken = token.body.access_token ?? '';

    fhir.requests.length = 0;
    const read = await getJson<Patient>(`${fhir.baseUrl}/Patient/example`, accessToken);
    expect(read.status).toBe(200);
    expect(read.body.telecom?.[0]?.value).toBe('+13035550123');
    expect(fhir.requests).toEqual([
      { method: 'GET', path: '/fhir/R4/Patient/example', authorization: `Bearer ${accessToken}` },
    ]);
  });

  it('rejects assertions signed by another key, for another audience, or replayed', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const wrongKey = await requestToken(tokenUrl, clientAssertion(other, { clientId, tokenUrl }), scope);
    expect(wrongKey).toMatchObject({ status: 401, body: { error: 'invalid_client' } });

    const wrongAud = clientAssertion(privateKey, { clientId, tokenUrl: `${fhir.baseUrl}/token` });
    expect((await requestToken(tokenUrl, wrongAud, scope)).body.error).toBe('invalid_client');

    const wrongClient = clientAssertion(privateKey, { clientId: 'someone-else', tokenUrl });
    expect((await requestToken(tokenUrl, wrongClient, scope)).body.error).toBe('invalid_client');

    const once = clientAssertion(privateKey, { clientId, tokenUrl });
    expect((await requestToken(tokenUrl, once, scope)).status).toBe(200);
    expect((await requestToken(tokenUrl, once, scope)).body.error).toBe('invalid_client');

    const noScope = await requestToken(tokenUrl, clientAssertion(privateKey, { clientId, tokenUrl }), '');
    expect(noScope).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  // The client the service can use: @medplum/core's MedplumClient pointed at a non-Medplum FHIR base.
  it('MedplumClient reads by relative reference and absolute URL with a client-assertion token', async () => {
    const medplum = new MedplumClient({
      baseUrl: new URL(fhir.baseUrl).origin,
      fhirUrlPath: fhir.baseUrl, // absolute, so any EHR's FHIR base works
      tokenUrl,
      cacheTime: 0, // the service wants the EHR's current data, not a 60 s client cache
      extendedMode: false, // no Medplum-only request header
    });
    // SMART requires `scope` in the token request; startJwtAssertionLogin sends none, so fetch the token here.
    const token = await requestToken(tokenUrl, clientAssertion(privateKey, { clientId, tokenUrl }), scope);
    medplum.setAccessToken(token.body.access_token ?? '');

    const byReference = await medplum.readReference<Patient>({ reference: 'Patient/example' });
    expect(byReference.telecom?.[0]?.value).toBe('+13035550123');
    // readReference splits on '/', so an absolute reference goes through get() (check its origin first).
    const byUrl = (await medplum.get(`${fhir.baseUrl}/Location/main-clinic`)) as Location;
    expect(byUrl.name).toBe('Valley Clinic Main');
    const practitionerRead = await medplum.readResource('Practitioner', 'dr-lee');
    expect(practitionerRead.name?.[0]?.family).toBe('Lee');
    expect(fhir.requests.slice(-3)).toEqual(
      ['/Patient/example', '/Location/main-clinic', '/Practitioner/dr-lee'].map((p) => ({
        method: 'GET',
        path: `/fhir/R4${p}`,
        authorization: `Bearer ${token.body.access_token}`,
      })),
    );

    const login = new MedplumClient({
      baseUrl: new URL(fhir.baseUrl).origin,
      fhirUrlPath: fhir.baseUrl,
      tokenUrl,
    });
    const refused = await login
      .startJwtAssertionLogin(clientAssertion(privateKey, { clientId, tokenUrl }))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe('Failed to fetch tokens');
    expect(((refused as Error).cause as Error).message).toBe('scope is required');
  });
});
