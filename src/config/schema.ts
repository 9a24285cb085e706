/**
 * Every environment variable the service reads, validated in one place (ARCHITECTURE §7).
 * Problems are collected and reported together so an operator fixes them in one pass.
 * Over 400 lines on purpose: one schema is the whole env contract, read top to bottom beside the
 * README's "Configuration" table; split, a setting's rules would hide in another file.
 */
import { isIP } from 'node:net';
import { IANAZone } from 'luxon';
import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { parseCodecKeys } from './codecKeys';

const HHMM = /^\d{4}$/;

/** Reminder offsets: 4 digits HHMM where hours may exceed 24 (4800 = 48 h). */
const offsetHhmm = z.string().check((ctx) => {
  if (!HHMM.test(ctx.value))
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: 'must be 4 digits HHMM, e.g. 4800 for 48 hours',
    });
  else if (Number(ctx.value.slice(2)) >= 60)
    ctx.issues.push({ code: 'custom', input: ctx.value, message: 'minutes (last two digits) must be 00-59' });
});

/** Outreach window bounds: a time of day 0000-2400 (2400 = midnight at the end of the day). */
const timeOfDay = z.string().check((ctx) => {
  const v = ctx.value;
  if (!HHMM.test(v) || Number(v.slice(2)) >= 60 || Number(v) > 2400) {
    ctx.issues.push({
      code: 'custom',
      input: v,
      message: 'must be a time of day HHMM between 0000 and 2400',
    });
  }
});

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number like +15551234567');
const port = z.coerce.number().int().min(1).max(65535);
/** Unset or blank: undefined; otherwise trimmed. */
export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const url = z.url({ message: 'must be an absolute http(s) URL', protocol: /^https?$/ });
const optionalUrl = optionalString.pipe(url.optional());

// --- API ingest under overload (src/api, src/ingest/appointmentGateway.ts) -----------------------
/** Default of TEMPORAL_SUBMIT_TIMEOUT_MS: a healthy cluster answers in milliseconds. */
export const DEFAULT_TEMPORAL_SUBMIT_TIMEOUT_MS = 5_000;

const apiIngestFields = {
  /**
   * The longest the API waits for Temporal on a request's path (handing an event over, the appointment
   * query); past it the sender gets 503 + Retry-After (HL7: an AR ACK) instead of a hanging request.
   */
  TEMPORAL_SUBMIT_TIMEOUT_MS: optionalString
    .transform((v) => (v === undefined ? DEFAULT_TEMPORAL_SUBMIT_TIMEOUT_MS : Number(v)))
    .pipe(
      z
        .number({ message: 'must be a number of milliseconds, e.g. 5000' })
        .int('must be a whole number of milliseconds')
        .min(100, 'must be at least 100 ms')
        .max(60_000, 'must be at most 60000 ms'),
    ),
};
// --- end of API ingest settings -----------------------------------------------------------------

// --- Metrics (src/metrics, README "Metrics and alerts") --------------------------------------------
/** Default of TEMPORAL_SDK_METRICS_ADDRESS: the Temporal SDK's own Prometheus exporter, loopback only. */
export const DEFAULT_TEMPORAL_SDK_METRICS_ADDRESS = '127.0.0.1:9464';
/** Default of WORKER_METRICS_PORT: the standalone worker's /metrics (`npm run worker`). */
export const DEFAULT_WORKER_METRICS_PORT = 9465;

/** Unset or blank: undefined; otherwise a port number 1-65535. */
export const optionalPort = optionalString
  .transform((v) => (v === undefined ? undefined : Number(v)))
  .pipe(z.number({ message: 'must be a port number' }).int().min(1).max(65535).optional());

export const metricsFields = {
  /** Serves /metrics on this port instead of the API's (which then answers 404). */
  METRICS_PORT: optionalPort,
  /** Where METRICS_PORT and WORKER_METRICS_PORT listen; default: as the API (loopback in sandbox mode). */
  METRICS_HOST: optionalString.pipe(
    z
      .string()
      .refine((h) => isIP(h) !== 0 || h === 'localhost', 'must be an IP address to listen on, e.g. 0.0.0.0')
      .optional(),
  ),
  /** Set: every /metrics asks for `Authorization: Bearer <token>`. */
  METRICS_BEARER_TOKEN: optionalString.refine(
    (token) => token === undefined || token.length >= 32,
    'must be at least 32 characters (openssl rand -base64 32)',
  ),
  /** The standalone worker's /metrics port; 0 turns it off. */
  WORKER_METRICS_PORT: optionalString
    .transform((v) => (v === undefined ? DEFAULT_WORKER_METRICS_PORT : Number(v)))
    .pipe(z.number({ message: 'must be a port number, or 0 for none' }).int().min(0).max(65535)),
  /** host:port of the Temporal SDK's Prometheus exporter; unset: the default; empty: none. */
  TEMPORAL_SDK_METRICS_ADDRESS: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? DEFAULT_TEMPORAL_SDK_METRICS_ADDRESS : v.trim() || undefined))
    .refine(
      (v) => v === undefined || /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(v),
      'must be host:port, e.g. 127.0.0.1:9464 (or empty for none)',
    ),
};
// --- end of metrics settings -------------------------------------------------------------------

// --- FHIR references read from the EHR (src/fhir, README "Sending FHIR appointments") ----------------
/** FHIR_SCOPE by default: reads of what an Appointment references (SMART v1 names, which v2 servers accept). */
export const DEFAULT_FHIR_SCOPE =
  'system/Patient.read system/Practitioner.read system/PractitionerRole.read system/Location.read system/Appointment.read';

const fhirFields = {
  /** The EHR's FHIR R4 base; set, references an Appointment does not carry are read from it. */
  FHIR_BASE_URL: optionalUrl.transform((v) => v?.replace(/\/+$/, '')),
  /** SMART Backend Services client id; unset with FHIR_BASE_URL: reads without authorisation. */
  FHIR_CLIENT_ID: optionalString,
  /** PEM private key (RSA for RS384, EC P-384 for ES384) that signs the client assertion. */
  FHIR_PRIVATE_KEY_PATH: optionalString,
  /** The JWT `kid`: which of the keys registered on the EHR (its JWKS) signed. */
  FHIR_KEY_ID: optionalString,
  FHIR_SCOPE: optionalString.transform((v) => v ?? DEFAULT_FHIR_SCOPE),
};
// --- end of FHIR settings -------------------------------------------------------------------------

export const envFields = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  CUSTOMER_NAME: z.string().trim().min(1).max(60).default('Your clinic'),
  CUSTOMER_CODE: z
    .string()
    .regex(/^[a-z0-9]+$/, 'must be lowercase letters and digits only (it names storage folders)')
    .default('clinic'),
  APPLICATION_PASSWORD: optionalString,
  ADMINISTRATOR_PHONE: optionalString.pipe(e164.optional()),
  // Operator console sessions (README "Operator console"): idle and absolute expiry.
  ADMIN_SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  ADMIN_SESSION_MAX_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24)
    .default(8),

  REMINDER_OUTREACH_START: timeOfDay.default('0000'),
  REMINDER_OUTREACH_FINISH: timeOfDay.default('2400'),
  REMINDER_FIRST_TIMING: offsetHhmm.default('4800'),
  REMINDER_SECOND_TIMING: offsetHhmm.default('2400'),
  MAX_REMINDERS_PER_PHONE_PER_DAY: z.coerce.number().int().min(0).default(2),
  APPOINTMENT_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(72),
  MESSAGE_TEMPLATES_FILE: optionalString,

  TWILIO_ACCOUNT_SID: optionalString.pipe(
    z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex characters')
      .optional(),
  ),
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_PHONE_NUMBER: optionalString.pipe(e164.optional()),
  TWILIO_MESSAGING_SERVICE_SID: optionalString.pipe(
    z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, 'must look like MG followed by 32 hex characters')
      .optional(),
  ),
  TWILIO_VERIFY_SERVICE_SID: optionalString.pipe(
    z
      .string()
      .regex(/^VA[0-9a-fA-F]{32}$/, 'must look like VA followed by 32 hex characters')
      .optional(),
  ),
  PUBLIC_BASE_URL: optionalUrl,
  // Sandbox mode is a choice, never a fallback (README "Sandbox mode"): `npm start`'s embedded default
  // (no TEMPORAL_ADDRESS, no Twilio credentials) sets it itself; everywhere else it must be set.
  SANDBOX_MODE: optionalString.pipe(
    z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  ),
  // The sandbox account's auth token (signs its webhooks); random per data folder when unset.
  SANDBOX_TWILIO_AUTH_TOKEN: optionalString,

  EHR_API_KEYS: optionalString.transform((v) =>
    v
      ? v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean)
      : [],
  ),
  EHR_CALLBACK_URL: optionalUrl,
  EHR_CALLBACK_SECRET: optionalString,
  PHONE_ID_KEY: optionalString,
  // Payload encryption keys (README "Security"): `<id>:<base64 32 bytes>`, newest first; or a file of them.
  PAYLOAD_CODEC_KEYS: optionalString,
  PAYLOAD_CODEC_KEYS_FILE: optionalString,
  // The codec server (/codec): who may decode (bearer token, or its sign-in), and from which Web UI origins.
  OPERATOR_TOKEN: optionalString.refine(
    (token) => token === undefined || token.length >= 32,
    'must be at least 32 characters (openssl rand -base64 32)',
  ),
  CODEC_CORS_ORIGINS: optionalString
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((o) => o.trim().replace(/\/+$/, ''))
            .filter(Boolean)
        : undefined,
    )
    .refine(
      (origins) => origins === undefined || origins.every(isOrigin),
      'must be comma-separated origins, e.g. https://temporal-ui.example.org (scheme, host and port only)',
    ),
  API_INTERNAL_URL: optionalUrl,

  DEFAULT_COUNTRY: z
    .string()
    .trim()
    .toUpperCase()
    .refine((c) => isSupportedCountry(c), 'must be an ISO 3166 two-letter country code, e.g. US')
    .default('US'),
  // Required outside sandbox mode (crossFieldProblems): HL7 and FHIR times without an offset are read in it.
  DEFAULT_TIMEZONE: optionalString.refine(
    (zone) => zone === undefined || IANAZone.isValidZone(zone),
    'must be an IANA time zone name, e.g. America/Denver',
  ),

  GCS_BUCKET: optionalString,
  GCS_API_ENDPOINT: optionalUrl,
  GCS_KMS_KEY_NAME: optionalString,

  TEMPORAL_ADDRESS: optionalString.pipe(
    z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. temporal.example.org:7233')
      .optional(),
  ),
  // A cluster's TLS and API key, by Temporal's own environment-configuration names (@temporalio/envconfig):
  // read only with TEMPORAL_ADDRESS (README "Using an existing Temporal cluster").
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: optionalString.pipe(
    z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  ),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalString,
  TEMPORAL_CONFIG_FILE: optionalString,
  TEMPORAL_PROFILE: optionalString,
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('appointments'),
  TEMPORAL_DEV_SERVER_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_TEST_SERVER_PATH: optionalString,

  // Worker sizing (README, "Sizing the worker"): explicit, so its memory is bounded and known.
  // At least 1: a workflow waiting on a local activity must stay cached (the SDK refuses 0 with local activities).
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).default(2000),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(40),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  // Containers: a file the worker touches while it runs (health checks), and the prebuilt workflow bundle.
  WORKER_HEALTH_FILE: optionalString,
  WORKFLOW_BUNDLE_PATH: optionalString,

  PORT: port.default(3000),
  // Proxies whose X-Forwarded-For is believed (Express's names: loopback, uniquelocal, IPs, CIDRs);
  // none by default, so a client cannot choose the address the console's lock-out counts.
  TRUST_PROXY: optionalString.pipe(
    z
      .string()
      .optional()
      .transform((v) =>
        v
          ? v
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean)
          : [],
      )
      .refine(
        (list) => list.every(isProxySpec),
        'must be comma-separated loopback, linklocal, uniquelocal, IP addresses or CIDRs (e.g. 10.0.0.0/8)',
      ),
  ),
  // Where the API listens: 127.0.0.1 in sandbox mode, every interface otherwise, unless set.
  API_HOST: optionalString.pipe(
    z
      .string()
      .refine((h) => isIP(h) !== 0 || h === 'localhost', 'must be an IP address to listen on, e.g. 0.0.0.0')
      .optional(),
  ),
  DATA_DIR: z.string().trim().min(1).default('.data'),
  HL7_MLLP_PORT: optionalString
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number({ message: 'must be a port number' }).int().min(1).max(65535).optional()),
  // MLLP hardening (README "Sending HL7 v2"): loopback unless told otherwise, limits, optional TLS.
  HL7_MLLP_HOST: optionalString.pipe(
    z
      .string()
      .refine((h) => isIP(h) !== 0 || h === 'localhost', 'must be an IP address to listen on, e.g. 0.0.0.0')
      .default('127.0.0.1'),
  ),
  HL7_MLLP_ALLOWED_CLIENTS: optionalString.pipe(
    z
      .string()
      .optional()
      .transform((v) =>
        v
          ? v
              .split(',')
              .map((a) => a.trim())
              .filter(Boolean)
          : [],
      )
      .refine((list) => list.every((a) => isIP(a) !== 0), 'must be comma-separated IP addresses'),
  ),
  HL7_MLLP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(300_000),
  HL7_MLLP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(10_000).default(32),
  HL7_MLLP_MAX_FRAME_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  // MSH-11 T (training) or D (debugging) messages are recorded but text nobody unless this is true.
  HL7_TEXT_TEST_MESSAGES: optionalString.pipe(
    z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  ),
  HL7_MLLP_TLS_CERT_PATH: optionalString,
  HL7_MLLP_TLS_KEY_PATH: optionalString,
  HL7_MLLP_TLS_CLIENT_CA_PATH: optionalString,

  ...apiIngestFields,
  ...fhirFields,
  ...metricsFields,
});

type EnvFields = z.output<typeof envFields>;

/** Secrets (EHR keys, the callback secret, the phone-id key) outside sandbox mode: 32 bytes, as `openssl rand -base64 32` gives. */
export const MIN_SECRET_LENGTH = 32;
/** APPLICATION_PASSWORD outside sandbox mode: long enough that 5 tries per 15 minutes never guess it. */
export const MIN_APPLICATION_PASSWORD_LENGTH = 16;
/** The EHR key the sandbox accepts when none is set; never accepted outside it. */
export const SANDBOX_EHR_API_KEY = 'sandbox-key';

/** What Express's `trust proxy` takes: a named range, an IP address, or an IP/prefix. */
function isProxySpec(spec: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(spec)) return true;
  const [ip, prefix, ...rest] = spec.split('/');
  if (rest.length > 0 || ip === undefined || isIP(ip) === 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (isIP(ip) === 4 ? 32 : 128);
}

/** `https://host[:port]`, nothing after it: what a browser sends as Origin. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

function isHttpsOrLoopback(value: string): boolean {
  const url = new URL(value);
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** Rules that relate several variables; each runs only when the variables it needs are valid. */
export function crossFieldProblems(env: Partial<EnvFields>): Array<{ name: string; message: string }> {
  const problems: Array<{ name: string; message: string }> = [];
  const problem = (name: string, message: string): void => {
    problems.push({ name, message });
  };
  const { REMINDER_OUTREACH_START: start, REMINDER_OUTREACH_FINISH: finish } = env;
  if (start !== undefined && finish !== undefined && Number(start) >= Number(finish)) {
    problem('REMINDER_OUTREACH_START', 'must be earlier than REMINDER_OUTREACH_FINISH');
  }
  const { REMINDER_FIRST_TIMING: first, REMINDER_SECOND_TIMING: second } = env;
  if (first !== undefined && Number(first) === 0) problem('REMINDER_FIRST_TIMING', 'must be more than 0000');
  if (
    first !== undefined &&
    second !== undefined &&
    Number(second) !== 0 &&
    Number(first) <= Number(second)
  ) {
    problem('REMINDER_FIRST_TIMING', 'must be longer than REMINDER_SECOND_TIMING (or set SECOND to 0000)');
  }
  const twilioCreds = [env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN].filter(Boolean).length;
  if (twilioCreds === 1) {
    problem('TWILIO_AUTH_TOKEN', 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together');
  }
  if (twilioCreds === 0 && env.SANDBOX_MODE !== 'true') {
    problem(
      'TWILIO_ACCOUNT_SID',
      'is required with TWILIO_AUTH_TOKEN to send texts; or set SANDBOX_MODE=true to keep every text on this machine (for trying the service; `npm start` with no TEMPORAL_ADDRESS does this itself)',
    );
  }
  if (twilioCreds > 0 && env.SANDBOX_MODE === 'true') {
    problem(
      'SANDBOX_MODE',
      'must not be true when Twilio credentials are set (texts would not go to Twilio)',
    );
  }
  if (twilioCreds > 0 && env.SANDBOX_TWILIO_AUTH_TOKEN) {
    problem('SANDBOX_TWILIO_AUTH_TOKEN', 'applies only in sandbox mode; with Twilio use TWILIO_AUTH_TOKEN');
  }
  if (twilioCreds === 2) {
    if (!env.TWILIO_PHONE_NUMBER && !env.TWILIO_MESSAGING_SERVICE_SID) {
      problem(
        'TWILIO_PHONE_NUMBER',
        'set TWILIO_PHONE_NUMBER or TWILIO_MESSAGING_SERVICE_SID to send through Twilio',
      );
    }
    if (!env.PUBLIC_BASE_URL)
      problem('PUBLIC_BASE_URL', 'is required with Twilio: webhooks are signed against it');
    if (!env.EHR_CALLBACK_URL) {
      problem('EHR_CALLBACK_URL', "is required outside sandbox mode: patients' replies are POSTed there");
    }
    if (!env.PHONE_ID_KEY || env.PHONE_ID_KEY.length < MIN_SECRET_LENGTH) {
      problem(
        'PHONE_ID_KEY',
        `is required outside sandbox mode (${MIN_SECRET_LENGTH}+ random characters): it keys the hash hiding phone numbers in workflow ids`,
      );
    }
    // Patient data travels over these: plain http only to this machine.
    for (const name of ['PUBLIC_BASE_URL', 'EHR_CALLBACK_URL', 'FHIR_BASE_URL'] as const) {
      const value = env[name];
      if (value && !isHttpsOrLoopback(value)) {
        problem(name, 'must be https:// outside sandbox mode (http:// only for localhost or 127.0.0.1)');
      }
    }
    const keys = env.EHR_API_KEYS ?? [];
    if (keys.includes(SANDBOX_EHR_API_KEY)) {
      problem(
        'EHR_API_KEYS',
        `must not contain the sandbox key "${SANDBOX_EHR_API_KEY}" outside sandbox mode`,
      );
    } else if (keys.some((k) => k.length < MIN_SECRET_LENGTH)) {
      problem(
        'EHR_API_KEYS',
        `each key must be at least ${MIN_SECRET_LENGTH} random characters outside sandbox mode`,
      );
    }
    if (env.EHR_CALLBACK_SECRET && env.EHR_CALLBACK_SECRET.length < MIN_SECRET_LENGTH) {
      problem(
        'EHR_CALLBACK_SECRET',
        `must be at least ${MIN_SECRET_LENGTH} random characters outside sandbox mode (it signs patients' replies)`,
      );
    }
    if (!env.DEFAULT_TIMEZONE) {
      problem(
        'DEFAULT_TIMEZONE',
        "is required outside sandbox mode: HL7 and FHIR times without an offset are read in it (the hospital's IANA zone)",
      );
    }
    if (env.EHR_API_KEYS?.length === 0) {
      problem('EHR_API_KEYS', 'is required outside sandbox mode (comma-separated bearer keys)');
    }
    // The operator console's sign-in (README "Operator console"): a password, then a Verify code.
    if (!env.APPLICATION_PASSWORD || env.APPLICATION_PASSWORD.length < MIN_APPLICATION_PASSWORD_LENGTH) {
      problem(
        'APPLICATION_PASSWORD',
        `is required outside sandbox mode (${MIN_APPLICATION_PASSWORD_LENGTH}+ characters): the operator console's password`,
      );
    }
    if (!env.ADMINISTRATOR_PHONE) {
      problem(
        'ADMINISTRATOR_PHONE',
        "is required outside sandbox mode: the console's sign-in code is texted to it",
      );
    }
    if (!env.TWILIO_VERIFY_SERVICE_SID) {
      problem(
        'TWILIO_VERIFY_SERVICE_SID',
        'is required outside sandbox mode (VA…): the Twilio Verify service that sends the sign-in code',
      );
    }
    if (!env.PAYLOAD_CODEC_KEYS && !env.PAYLOAD_CODEC_KEYS_FILE) {
      problem(
        'PAYLOAD_CODEC_KEYS',
        'is required outside sandbox mode (or PAYLOAD_CODEC_KEYS_FILE): patient data in Temporal is encrypted with it',
      );
    }
  }
  if (env.PAYLOAD_CODEC_KEYS && env.PAYLOAD_CODEC_KEYS_FILE) {
    problem('PAYLOAD_CODEC_KEYS', 'set PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE, not both');
  }
  if (env.PAYLOAD_CODEC_KEYS) {
    const parsed = parseCodecKeys(env.PAYLOAD_CODEC_KEYS);
    if (!parsed.ok) for (const message of parsed.problems) problem('PAYLOAD_CODEC_KEYS', message);
  }
  if (Boolean(env.HL7_MLLP_TLS_CERT_PATH) !== Boolean(env.HL7_MLLP_TLS_KEY_PATH)) {
    problem(
      'HL7_MLLP_TLS_CERT_PATH',
      'HL7_MLLP_TLS_CERT_PATH and HL7_MLLP_TLS_KEY_PATH must be set together',
    );
  }
  if (env.HL7_MLLP_TLS_CLIENT_CA_PATH && !env.HL7_MLLP_TLS_CERT_PATH) {
    problem(
      'HL7_MLLP_TLS_CLIENT_CA_PATH',
      'needs HL7_MLLP_TLS_CERT_PATH and HL7_MLLP_TLS_KEY_PATH (client certificates need TLS)',
    );
  }
  if (Boolean(env.FHIR_CLIENT_ID) !== Boolean(env.FHIR_PRIVATE_KEY_PATH)) {
    problem(
      'FHIR_CLIENT_ID',
      'FHIR_CLIENT_ID and FHIR_PRIVATE_KEY_PATH must be set together (SMART Backend Services signs with the key)',
    );
  }
  if ((env.FHIR_CLIENT_ID || env.FHIR_PRIVATE_KEY_PATH) && !env.FHIR_BASE_URL) {
    problem('FHIR_BASE_URL', 'is required with FHIR_CLIENT_ID: the EHR FHIR server the client id is for');
  }
  if (env.FHIR_KEY_ID && !env.FHIR_PRIVATE_KEY_PATH) {
    problem('FHIR_KEY_ID', 'names the key in FHIR_PRIVATE_KEY_PATH: set that (and FHIR_CLIENT_ID) too');
  }
  if (env.EHR_CALLBACK_URL && !env.EHR_CALLBACK_SECRET) {
    problem('EHR_CALLBACK_SECRET', 'is required when EHR_CALLBACK_URL is set (callbacks are HMAC-signed)');
  }
  return problems;
}

export type Env = EnvFields;
