/**
 * SMART Backend Services (client_credentials with a private_key_jwt client assertion, RFC 7523): the token
 * endpoint from `<base>/.well-known/smart-configuration`, an assertion signed here with node:crypto (RS384 for
 * an RSA key, ES384 for EC P-384), and the access token kept until shortly before `expires_in` runs out.
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART caps an assertion's lifetime at five minutes; less leaves room for clock skew. */
export const ASSERTION_LIFETIME_SECONDS = 240;
/** A token is renewed this long before it expires, so no read goes out with one about to lapse. */
const RENEW_BEFORE_SECONDS = 30;

export type SigningAlgorithm = 'RS384' | 'ES384';

export interface SmartClientSettings {
  clientId: string;
  privateKey: KeyObject;
  /** JWT header `kid`: which registered key signed. */
  keyId?: string;
  scope: string;
}

/** The private key of FHIR_PRIVATE_KEY_PATH, checked to be one SMART allows (RSA, or EC on P-384). */
export function loadPrivateKey(file: string): KeyObject {
  const key = createPrivateKey(readFileSync(file));
  signingAlgorithm(key); // throws for a key SMART does not allow
  return key;
}

export function signingAlgorithm(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS384';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') return 'ES384';
  throw new Error('FHIR_PRIVATE_KEY_PATH must hold an RSA key (RS384) or an EC P-384 key (ES384)');
}

export interface AssertionClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  jti: string;
}

/** The signed assertion: iss = sub = client id, aud = token endpoint, exp within five minutes, a fresh jti. */
export function clientAssertion(
  settings: Pick<SmartClientSettings, 'clientId' | 'privateKey' | 'keyId'>,
  tokenUrl: string,
  nowMs: number = Date.now(),
  jti: string = randomUUID(),
): string {
  const alg = signingAlgorithm(settings.privateKey);
  const header = { alg, typ: 'JWT', ...(settings.keyId ? { kid: settings.keyId } : {}) };
  const claims: AssertionClaims = {
    iss: settings.clientId,
    sub: settings.clientId,
    aud: tokenUrl,
    exp: Math.floor(nowMs / 1000) + ASSERTION_LIFETIME_SECONDS,
    jti,
  };
  const signingInput = `${base64url(header)}.${base64url(claims)}`;
  const signature = sign(
    'sha384',
    Buffer.from(signingInput),
    // JWS wants ECDSA signatures as r||s, not DER.
    alg === 'ES384' ? { key: settings.privateKey, dsaEncoding: 'ieee-p1363' } : settings.privateKey,
  );
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** The form of the token request (application/x-www-form-urlencoded). */
export function tokenRequestBody(assertion: string, scope: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
    scope,
  });
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The EHR refused our token request for a reason a retry does not fix by itself (4xx other than 408/429). */
export class SmartAuthError extends Error {
  override readonly name = 'SmartAuthError';
}

type Fetch = typeof fetch;

/** Access tokens for one FHIR base: discovered, requested, kept, renewed before they expire. */
export class SmartTokenSource {
  private tokenUrl: string | undefined;
  private current: { accessToken: string; renewAtMs: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly settings: SmartClientSettings,
    private readonly fetchImpl: Fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid access token, requested when there is none or it is about to expire (one request at a time). */
  async accessToken(): Promise<string> {
    if (this.current && this.now() < this.current.renewAtMs) return this.current.accessToken;
    this.pending ??= this.requestToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** After a 401: the EHR no longer takes the token (revoked, server restarted). */
  invalidate(): void {
    this.current = undefined;
  }

  private async discoverTokenUrl(): Promise<string> {
    if (this.tokenUrl) return this.tokenUrl;
    const res = await this.fetchImpl(`${this.baseUrl}/.well-known/smart-configuration`, {
      headers: { accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`SMART configuration answered HTTP ${res.status}`);
    const body = (await res.json()) as { token_endpoint?: unknown };
    if (typeof body.token_endpoint !== 'string' || !/^https?:\/\//.test(body.token_endpoint)) {
      throw new SmartAuthError('The SMART configuration names no token_endpoint');
    }
    this.tokenUrl = body.token_endpoint;
    return this.tokenUrl;
  }

  private async requestToken(): Promise<string> {
    const tokenUrl = await this.discoverTokenUrl();
    const res = await this.fetchImpl(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: tokenRequestBody(clientAssertion(this.settings, tokenUrl, this.now()), this.settings.scope),
    });
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
    };
    if (!res.ok || typeof body.access_token !== 'string') {
      // The OAuth error code only: descriptions may echo what we sent.
      const why = `token request answered HTTP ${res.status}${typeof body.error === 'string' ? ` (${body.error})` : ''}`;
      // Our registration or key is wrong: an operator must act, but the event waits for that (retried).
      throw res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429
        ? new SmartAuthError(why)
        : new Error(why);
    }
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    const renewIn = Math.max(lifetime - RENEW_BEFORE_SECONDS, lifetime / 2);
    this.current = { accessToken: body.access_token, renewAtMs: this.now() + renewIn * 1000 };
    return body.access_token;
  }
}
