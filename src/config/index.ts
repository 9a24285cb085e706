/** Loads `.env` (never overriding real env vars), validates, and derives the runtime configuration. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { projectRoot } from '../paths';
import { crossFieldProblems, envFields, SANDBOX_EHR_API_KEY, type Env } from './schema';
import { withSandboxSecrets } from './sandboxSecrets';

export interface AppConfig {
  readonly env: Env;
  /** DEFAULT_TIMEZONE: the zone of HL7/FHIR times without an offset (UTC when unset in sandbox mode). */
  readonly defaultTimezone: string;
  /** SANDBOX_MODE=true (no Twilio credentials): texts go to the built-in Twilio-compatible sandbox. */
  readonly sandbox: boolean;
  /** API_HOST: the address the API listens on; undefined = every interface (loopback in sandbox mode). */
  readonly apiHost: string | undefined;
  /** The sandbox account's auth token: SANDBOX_TWILIO_AUTH_TOKEN, else random (per data folder via loadConfig). */
  readonly sandboxTwilioAuthToken: string;
  readonly dataDir: string;
  readonly publicBaseUrl: string;
  readonly ehrApiKeys: readonly string[];
  /** Start a Temporal dev server ourselves (no TEMPORAL_ADDRESS given). */
  readonly embeddedTemporal: boolean;
  readonly temporalAddress: string;
  /** Keys the hash of phone numbers in phone workflow ids (PHONE_ID_KEY; in sandbox mode random per data folder via loadConfig). */
  readonly phoneIdKey: string;
  /** How workers reach the API's sandbox endpoints (API_INTERNAL_URL; loopback when one process runs both). */
  readonly apiInternalUrl: string;
  /** Web UI origins the codec server answers (CODEC_CORS_ORIGINS; the embedded Web UI's by default). */
  readonly codecCorsOrigins: readonly string[];
  /** The EHR's FHIR API for references an Appointment does not carry (FHIR_*); undefined: they are refused. */
  readonly fhir: FhirConfig | undefined;
}

export interface FhirConfig {
  /** FHIR_BASE_URL without a trailing slash. */
  readonly baseUrl: string;
  readonly scope: string;
  /** SMART Backend Services; undefined: reads without authorisation (open test servers). */
  readonly smart:
    { readonly clientId: string; readonly privateKeyPath: string; readonly keyId?: string } | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(
      `Configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
}

export const SANDBOX_API_KEY = SANDBOX_EHR_API_KEY;
/** DEFAULT_TIMEZONE in sandbox mode when unset (required outside it). */
export const SANDBOX_DEFAULT_TIMEZONE = 'UTC';

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|KEY/;

function describe(name: string, message: string, value: string | undefined): string {
  if (SECRET_NAME.test(name)) return `${name}: ${message}`;
  const shown = value === undefined ? '' : ` (got "${value.length > 40 ? `${value.slice(0, 40)}…` : value}")`;
  return `${name}: ${message}${shown}`;
}

/** Pure: turns an environment map into a config, or a ConfigError listing every problem at once. */
export function parseConfig(source: Record<string, string | undefined>): AppConfig {
  // Parse field by field so one bad variable does not hide the cross-field problems of the others.
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(envFields.shape)) {
    const result = schema.safeParse(source[name]);
    if (result.success) values[name] = result.data;
    else for (const issue of result.error.issues) problems.push(describe(name, issue.message, source[name]));
  }
  for (const { name, message } of crossFieldProblems(values as Partial<Env>)) {
    problems.push(describe(name, message, source[name]));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const env = envFields.parse(source);
  const sandbox = env.SANDBOX_MODE === 'true';
  return {
    env,
    sandbox,
    apiHost: env.API_HOST ?? (sandbox ? '127.0.0.1' : undefined),
    // Random when parsed alone (never a constant anyone could know); loadConfig keeps one per data folder.
    sandboxTwilioAuthToken: env.SANDBOX_TWILIO_AUTH_TOKEN ?? randomSecret(),
    dataDir: path.resolve(projectRoot, env.DATA_DIR),
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    ehrApiKeys: env.EHR_API_KEYS.length > 0 ? env.EHR_API_KEYS : sandbox ? [SANDBOX_API_KEY] : [],
    embeddedTemporal: !env.TEMPORAL_ADDRESS,
    temporalAddress: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_DEV_SERVER_PORT}`,
    phoneIdKey: env.PHONE_ID_KEY ?? randomSecret(),
    defaultTimezone: env.DEFAULT_TIMEZONE ?? SANDBOX_DEFAULT_TIMEZONE,
    apiInternalUrl: (env.API_INTERNAL_URL ?? `http://127.0.0.1:${env.PORT}`).replace(/\/+$/, ''),
    codecCorsOrigins:
      env.CODEC_CORS_ORIGINS ??
      (env.TEMPORAL_ADDRESS
        ? []
        : [`http://localhost:${env.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`]),
    fhir: fhirConfigOf(env),
  };
}

function fhirConfigOf(env: Env): FhirConfig | undefined {
  if (!env.FHIR_BASE_URL) return undefined;
  const { FHIR_CLIENT_ID: clientId, FHIR_PRIVATE_KEY_PATH: privateKeyPath, FHIR_KEY_ID: keyId } = env;
  return {
    baseUrl: env.FHIR_BASE_URL,
    scope: env.FHIR_SCOPE,
    // crossFieldProblems made sure the id and the key come together.
    smart:
      clientId && privateKeyPath
        ? { clientId, privateKeyPath: path.resolve(projectRoot, privateKeyPath), ...(keyId ? { keyId } : {}) }
        : undefined,
  };
}

function randomSecret(): string {
  return randomBytes(32).toString('hex');
}

export interface LoadOptions {
  /**
   * `npm start`: with no TEMPORAL_ADDRESS and no Twilio credentials it runs the embedded default,
   * which is sandbox mode; every other entry point needs SANDBOX_MODE=true said out loud.
   */
  readonly embeddedDefault?: boolean;
}

let cached: AppConfig | undefined;

/**
 * Reads `.env` from the project root once (process.env wins over it), validates, and in sandbox mode
 * fills the sandbox's secrets from its data folder (created once, owner-only), so every process
 * sharing DATA_DIR agrees on them and they survive restarts.
 */
export function loadConfig(options: LoadOptions = {}): AppConfig {
  if (!cached) {
    loadDotenv({ path: path.join(projectRoot, '.env'), quiet: true });
    const source: NodeJS.ProcessEnv = { ...process.env };
    if (options.embeddedDefault && isEmbeddedDefault(source)) source.SANDBOX_MODE = 'true';
    const parsed = parseConfig(source);
    cached = parsed.sandbox ? parseConfig(withSandboxSecrets(parsed, source)) : parsed;
  }
  return cached;
}

/** No cluster and no Twilio: what `npm start` on a fresh clone sees. An explicit SANDBOX_MODE wins. */
export function isEmbeddedDefault(source: Record<string, string | undefined>): boolean {
  const blank = (name: string): boolean => !source[name]?.trim();
  return (
    blank('SANDBOX_MODE') &&
    blank('TEMPORAL_ADDRESS') &&
    blank('TWILIO_ACCOUNT_SID') &&
    blank('TWILIO_AUTH_TOKEN')
  );
}
