/**
 * The EHR FHIR client (src/fhir) against the real test FHIR server: reads by relative reference and absolute
 * URL, only what the mapping needs kept, 404/410 as answers, URLs outside the base never requested, and SMART
 * Backend Services tokens renewed before they expire and after a 401.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Location, Patient, Practitioner } from '@medplum/fhirtypes';
import { EhrFhirClient, EhrFhirReadError } from '../../src/fhir/ehrFhirClient';
import { SmartTokenSource } from '../../src/fhir/smartAuth';
import { startFhirServer, type FhirTestServer } from '../helpers/fhirServer';

const patient: Patient = {
  resourceType: 'Patient',
  id: 'example',
  name: [{ family: 'Chalmers', given: ['Peter'] }],
  telecom: [{ system: 'phone', value: '+13035550123', use: 'mobile' }],
  birthDate: '1974-12-25',
  address: [{ line: ['534 Erewhon St'], city: 'PleasantVille' }],
};
const practitioner: Practitioner = { resourceType: 'Practitioner', id: 'dr-lee', name: [{ family: 'Lee' }] };
const location: Location = { resourceType: 'Location', id: 'gone-clinic', name: 'Old clinic' };

describe('EHR FHIR client, open server', () => {
  let fhir: FhirTestServer;
  let client: EhrFhirClient;

  beforeAll(async () => {
    fhir = await startFhirServer({ seed: [patient, practitioner, location] });
    client = new EhrFhirClient(fhir.baseUrl, undefined);
    // A deleted resource: the server answers 410 Gone.
    await fetch(`${fhir.baseUrl}/Location/gone-clinic`, { method: 'DELETE' });
  });
  afterAll(() => fhir.close());

  test('reads by relative reference and by absolute URL, keeping only what the mapping reads', async () => {
    fhir.requests.length = 0;
    const read = await client.read('Patient/example');
    expect(read).toEqual({
      status: 'found',
      resource: {
        resourceType: 'Patient',
        id: 'example',
        name: patient.name,
        telecom: patient.telecom,
      },
    });
    expect(await client.read(`${fhir.baseUrl}/Practitioner/dr-lee`)).toMatchObject({
      status: 'found',
      resource: { resourceType: 'Practitioner', id: 'dr-lee' },
    });
    expect(fhir.requests).toEqual([
      { method: 'GET', path: '/fhir/R4/Patient/example' },
      { method: 'GET', path: '/fhir/R4/Practitioner/dr-lee' },
    ]);
  });

  test('404 and 410 are answers, not errors', async () => {
    expect(await client.read('Patient/nobody')).toEqual({ status: 'missing', httpStatus: 404 });
    // This server answers a deleted resource 404, as some EHRs do.
    expect(await client.read('Location/gone-clinic')).toEqual({ status: 'missing', httpStatus: 404 });
  });

  test('the HTTP status counts, whatever OperationOutcome another server sends (HAPI: 404/410 as processing)', async () => {
    const hapiLike = createServer((req, res) => {
      const status = req.url?.includes('/Patient/') ? 410 : req.url?.includes('/Location/') ? 404 : 503;
      res.writeHead(status, { 'content-type': 'application/fhir+json' });
      res.end(
        JSON.stringify({
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'processing', diagnostics: 'HAPI-2001: not known' }],
        }),
      );
    });
    await new Promise<void>((resolve) => hapiLike.listen(0, '127.0.0.1', resolve));
    const { port } = hapiLike.address() as AddressInfo;
    try {
      const other = new EhrFhirClient(`http://127.0.0.1:${port}/baseR4`, undefined);
      expect(await other.read('Patient/p1')).toEqual({ status: 'missing', httpStatus: 410 });
      expect(await other.read('Location/l1')).toEqual({ status: 'missing', httpStatus: 404 });
      await expect(other.read('Practitioner/x')).rejects.toMatchObject({ httpStatus: 503 });
    } finally {
      hapiLike.closeAllConnections();
      await new Promise<void>((resolve) => hapiLike.close(() => resolve()));
    }
  });

  test('a URL outside FHIR_BASE_URL is refused without a request', async () => {
    fhir.requests.length = 0;
    const origin = new URL(fhir.baseUrl).origin;
    expect(await client.read(`${origin}/other/Patient/example`)).toMatchObject({ status: 'refused' });
    expect(await client.read('https://evil.example.org/fhir/R4/Patient/example')).toMatchObject({
      status: 'refused',
    });
    expect(fhir.requests).toEqual([]);
  });

  test('an EHR that is not there is an error to retry', async () => {
    const closed = await startFhirServer();
    const base = closed.baseUrl;
    await closed.close();
    await expect(new EhrFhirClient(base, undefined).read('Patient/example')).rejects.toBeInstanceOf(
      EhrFhirReadError,
    );
  });
});

describe('EHR FHIR client with SMART Backend Services', () => {
  const clientId = 'appointment-sms';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let fhir: FhirTestServer;

  beforeAll(async () => {
    fhir = await startFhirServer({
      seed: [patient],
      smart: { clientId, publicJwk: publicKey.export({ format: 'jwk' }), tokenLifetimeSeconds: 1 },
    });
  });
  afterAll(() => fhir.close());

  const tokenRequests = (): number => fhir.requests.filter((r) => r.path === '/oauth2/token').length;

  test('a token is asked for once, renewed before it expires, and sent with each read', async () => {
    fhir.requests.length = 0;
    const tokens = new SmartTokenSource(fhir.baseUrl, { clientId, privateKey, scope: 'system/Patient.read' });
    const client = new EhrFhirClient(fhir.baseUrl, tokens);
    const [first, second] = await Promise.all([
      client.read('Patient/example'),
      client.read('Patient/example'),
    ]);
    expect([first.status, second.status]).toEqual(['found', 'found']);
    expect(tokenRequests()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the 1 s lifetime
    expect((await client.read('Patient/example')).status).toBe('found');
    expect(tokenRequests()).toBe(2);
    const reads = fhir.requests.filter((r) => r.path === '/fhir/R4/Patient/example');
    expect(reads).toHaveLength(3);
    expect(reads.every((r) => /^Bearer \S+$/.test(r.authorization ?? ''))).toBe(true);
  });

  test('a token the EHR no longer takes (401) is dropped, and the next try gets a new one', async () => {
    fhir.requests.length = 0;
    const frozen = Date.now();
    // A clock that stands still: the client believes its token valid after the server let it expire.
    const tokens = new SmartTokenSource(
      fhir.baseUrl,
      { clientId, privateKey, scope: 'system/Patient.read' },
      fetch,
      () => frozen,
    );
    const client = new EhrFhirClient(fhir.baseUrl, tokens);
    expect((await client.read('Patient/example')).status).toBe('found');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(client.read('Patient/example')).rejects.toMatchObject({ httpStatus: 401 });
    expect((await client.read('Patient/example')).status).toBe('found');
    expect(tokenRequests()).toBe(2);
  });
});
