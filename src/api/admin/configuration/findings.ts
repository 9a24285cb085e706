/**
 * What is wrong or risky in the configuration: problems (what parseConfig refuses in the variables as
 * they are now: the next start would stop on them) and risks and notes (settings that start fine but
 * leave patients' texts or data exposed, or are worth knowing). Messages mask secrets.
 */
import { ConfigError, parseConfig, type AppConfig } from '../../../config';

export type FindingLevel = 'problem' | 'risk' | 'note';

export interface Finding {
  readonly name: string;
  readonly level: FindingLevel;
  readonly message: string;
}

/** Unset or blank, as dotenv and the schema read an empty value. */
export const blank = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v;

/**
 * What parseConfig refuses in the variables as they are now (the environment over the `.env` file,
 * as dotenv loads them): what the next start would stop on. Messages mask secrets as parseConfig does.
 */
export function configurationProblems(
  config: AppConfig,
  environment: Readonly<Record<string, string | undefined>>,
  dotenvFile: Readonly<Record<string, string>> | undefined,
): Finding[] {
  const source: Record<string, string | undefined> = { ...dotenvFile, ...environment };
  if (config.sandbox && blank(source.SANDBOX_MODE) === undefined) source.SANDBOX_MODE = 'true';
  try {
    parseConfig(source);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((line) => {
      const colon = line.indexOf(': ');
      return colon > 0
        ? { name: line.slice(0, colon), level: 'problem', message: line.slice(colon + 2) }
        : { name: '', level: 'problem', message: line };
    });
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || host.startsWith('127.');

/** Settings that start fine but are risky, or worth knowing about. Pure. */
export function configurationRisks(config: AppConfig): Finding[] {
  const { env } = config;
  const out: Finding[] = [];
  const risk = (name: string, message: string): void => {
    out.push({ name, level: 'risk', message });
  };
  const note = (name: string, message: string): void => {
    out.push({ name, level: 'note', message });
  };

  if (config.sandbox) {
    risk(
      'SANDBOX_MODE',
      'sandbox mode is on: no text reaches a patient and Twilio is not used. Right for trying the service, never for a clinic.',
    );
    if (config.apiHost !== undefined && !isLoopback(config.apiHost)) {
      risk(
        'API_HOST',
        `the sandbox listens on ${config.apiHost}, not loopback only: this console and the EHR endpoints (with the sandbox’s well-known key) are reachable from other machines`,
      );
    }
  }

  const base = new URL(config.publicBaseUrl);
  if (base.protocol === 'http:') {
    if (!isLoopback(base.hostname)) {
      risk(
        'PUBLIC_BASE_URL',
        'plain http to another host: webhooks and the console’s session cookie (not Secure) travel unencrypted',
      );
    } else if (!config.sandbox) {
      risk('PUBLIC_BASE_URL', 'Twilio cannot reach localhost: replies and delivery reports will not arrive');
    } else {
      note(
        'PUBLIC_BASE_URL',
        'plain http on this machine: fine for the sandbox; the session cookie is not Secure',
      );
    }
  }

  if (env.HL7_MLLP_PORT !== undefined && !isLoopback(env.HL7_MLLP_HOST)) {
    if (env.HL7_MLLP_ALLOWED_CLIENTS.length === 0) {
      risk(
        'HL7_MLLP_ALLOWED_CLIENTS',
        `MLLP listens on ${env.HL7_MLLP_HOST} with no allow-list: MLLP has no authentication, so anyone who reaches port ${env.HL7_MLLP_PORT} can send appointments`,
      );
    }
    if (!env.HL7_MLLP_TLS_CERT_PATH) {
      note(
        'HL7_MLLP_TLS_CERT_PATH',
        'MLLP is plain TCP: patient data crosses the network unencrypted unless it is a private link (HL7_MLLP_TLS_*)',
      );
    }
  }

  if (env.HL7_TEXT_TEST_MESSAGES === 'true') {
    risk(
      'HL7_TEXT_TEST_MESSAGES',
      'HL7 messages marked training or debugging (MSH-11 T/D) text real patients',
    );
  }

  if (env.TEMPORAL_ADDRESS) {
    const host = env.TEMPORAL_ADDRESS.slice(0, env.TEMPORAL_ADDRESS.lastIndexOf(':'));
    const secured = Boolean(
      env.TEMPORAL_TLS === 'true' ||
      env.TEMPORAL_API_KEY ||
      env.TEMPORAL_TLS_CLIENT_CERT_PATH ||
      env.TEMPORAL_TLS_SERVER_CA_CERT_PATH ||
      env.TEMPORAL_CONFIG_FILE ||
      env.TEMPORAL_PROFILE,
    );
    if (!isLoopback(host) && !secured) {
      risk(
        'TEMPORAL_TLS',
        `the connection to Temporal at ${env.TEMPORAL_ADDRESS} is not TLS (payloads are encrypted by the codec; ids, timers and search attributes are not)`,
      );
    }
  }

  if (env.GCS_BUCKET && env.GCS_API_ENDPOINT && !config.sandbox) {
    risk(
      'GCS_API_ENDPOINT',
      'snapshots go to a custom endpoint (an emulator has no authentication), not Google Cloud Storage',
    );
  }
  if (!env.GCS_BUCKET && !config.sandbox) {
    note(
      'GCS_BUCKET',
      `snapshots are files on this machine’s disk (${config.dataDir}); set GCS_BUCKET for more than one machine`,
    );
  }
  if (config.fhir && !config.fhir.smart) {
    note(
      'FHIR_CLIENT_ID',
      'FHIR references are read from the EHR without authorisation (open test servers only)',
    );
  }
  if (env.REMINDER_OUTREACH_START === '0000' && env.REMINDER_OUTREACH_FINISH === '2400') {
    note(
      'REMINDER_OUTREACH_START',
      'the outreach window is the whole day (0000–2400): reminders may be texted at night in the patient’s zone',
    );
  }
  if (env.MAX_REMINDERS_PER_PHONE_PER_DAY === 0) {
    note('MAX_REMINDERS_PER_PHONE_PER_DAY', '0: no reminders are sent at all');
  }
  if (env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace') {
    note('LOG_LEVEL', `${env.LOG_LEVEL} logs are verbose; use info in production`);
  }
  return out;
}
