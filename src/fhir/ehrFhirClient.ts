/**
 * Reads of the EHR's FHIR R4 API (FHIR_BASE_URL) through @medplum/core's MedplumClient: a relative reference
 * by `readReference`, an absolute URL under the base by `get`; any other URL is refused before a request is
 * made, so the access token never leaves for another server. With SMART Backend Services (FHIR_CLIENT_ID) a
 * token from SmartTokenSource goes with each read; without it, reads go without authorisation.
 */
import { MedplumClient, OperationOutcomeError, gone, notFound, unauthorized } from '@medplum/core';
import type { OperationOutcome, Reference } from '@medplum/fhirtypes';
import type { FhirConfig } from '../config';
import { keepMappedFields, readTarget } from '../domain/fhir/resolvedReferences';
import { loadPrivateKey, SmartTokenSource } from './smartAuth';

export type Json = Record<string, unknown>;

/** A read's outcome; anything else (EHR down, 5xx, 401/403) is thrown, for the caller to retry. */
export type ReadOutcome =
  | { status: 'found'; resource: Json }
  /** 404 or 410: a retry would get the same answer. */
  | { status: 'missing'; httpStatus: 404 | 410 }
  /** Never requested: an absolute URL outside FHIR_BASE_URL, or a type we do not read. */
  | { status: 'refused'; why: string };

/** What the ingest activities need of the EHR. */
export interface EhrFhirReader {
  read(reference: string): Promise<ReadOutcome>;
}

/** Answered by a read that failed for a reason a retry may fix; the message names no patient data. */
export class EhrFhirReadError extends Error {
  override readonly name = 'EhrFhirReadError';
  constructor(
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

type Fetch = typeof fetch;

export class EhrFhirClient implements EhrFhirReader {
  private readonly medplum: MedplumClient;

  constructor(
    private readonly baseUrl: string,
    private readonly tokens: SmartTokenSource | undefined,
    fetchImpl: Fetch = fetch,
  ) {
    this.medplum = new MedplumClient({
      baseUrl: `${new URL(baseUrl).origin}/`,
      fhirUrlPath: baseUrl, // absolute, so any EHR's base works, not only Medplum's /fhir/R4
      cacheTime: 0, // the EHR's current data, never a client cache
      extendedMode: false, // no Medplum-only header
      fetch: withHttpStatusOutcomes(fetchImpl),
    });
  }

  async read(reference: string): Promise<ReadOutcome> {
    const target = readTarget(reference, this.baseUrl);
    if (target.kind === 'refused') return { status: 'refused', why: target.why };
    if (this.tokens) this.medplum.setAccessToken(await this.tokens.accessToken());
    // Temporal retries the activity, durably and with backoff; the client's own retries would only stack up.
    const options = { maxRetries: 0 };
    try {
      const resource: unknown =
        target.kind === 'relative' && target.versionId === undefined
          ? await this.medplum.readReference(
              { reference: `${target.type}/${target.id}` } as Reference,
              options,
            )
          : await this.medplum.get(
              target.kind === 'absolute' ? target.url : `${this.baseUrl}/${reference}`,
              options,
            );
      const kept = keepMappedFields(resource, target.type);
      if (!kept) throw new EhrFhirReadError(`The EHR answered ${target.type} with another resource type`);
      return { status: 'found', resource: kept };
    } catch (err) {
      if (!(err instanceof OperationOutcomeError)) {
        if (err instanceof EhrFhirReadError) throw err;
        throw new EhrFhirReadError(`EHR FHIR server unreachable: ${errorMessage(err)}`);
      }
      const status = httpStatusOf(err.outcome);
      if (status === 404 || status === 410) return { status: 'missing', httpStatus: status };
      // A token the EHR no longer takes (revoked, server restarted): the next try asks for a new one.
      if (status === 401) this.tokens?.invalidate();
      throw new EhrFhirReadError(`EHR FHIR read answered HTTP ${status ?? 'error'}`, status);
    }
  }
}

/** The client of FHIR_* settings; reads the private key now, so a bad key stops the worker at start. */
export function createEhrFhirClient(config: FhirConfig, fetchImpl: Fetch = fetch): EhrFhirClient {
  const tokens = config.smart
    ? new SmartTokenSource(
        config.baseUrl,
        {
          clientId: config.smart.clientId,
          privateKey: loadPrivateKey(config.smart.privateKeyPath),
          ...(config.smart.keyId ? { keyId: config.smart.keyId } : {}),
          scope: config.scope,
        },
        fetchImpl,
      )
    : undefined;
  return new EhrFhirClient(config.baseUrl, tokens, fetchImpl);
}

const HTTP_STATUS_EXTENSION = 'urn:appointment-messaging:http-status';

/**
 * MedplumClient derives an error's status from Medplum's own OperationOutcome ids, which other servers do not
 * send (HAPI answers a 404 with code `processing`). This fetch replaces an error response's body with one that
 * keeps the HTTP status: Medplum's `notFound`/`gone` for 404/410, else an outcome tagged with the status.
 */
function withHttpStatusOutcomes(fetchImpl: Fetch): Fetch {
  return async (input, init) => {
    const res = await fetchImpl(input, init);
    if (res.status < 400 || res.status === 401) return res; // 401: MedplumClient handles it by status
    await res.body?.cancel();
    const outcome: OperationOutcome =
      res.status === 404
        ? notFound
        : res.status === 410
          ? gone
          : {
              resourceType: 'OperationOutcome',
              extension: [{ url: HTTP_STATUS_EXTENSION, valueInteger: res.status }],
              issue: [{ severity: 'error', code: 'exception', diagnostics: `HTTP ${res.status}` }],
            };
    return new Response(JSON.stringify(outcome), {
      status: res.status,
      headers: { 'content-type': 'application/fhir+json' },
    });
  };
}

function httpStatusOf(outcome: OperationOutcome): number | undefined {
  if (outcome.id === notFound.id) return 404;
  if (outcome.id === gone.id) return 410;
  if (outcome.id === unauthorized.id) return 401; // what MedplumClient rejects a 401 with
  return outcome.extension?.find((e) => e.url === HTTP_STATUS_EXTENSION)?.valueInteger;
}

function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
