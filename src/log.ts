/**
 * Structured logs (pino, JSON lines). Patient data must never reach them: callers log ids and
 * hashes only, and the redaction paths below are a second line of defence.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { redactPatientData } from './logRedaction';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The service's logger; `destination` lets tests read what it writes. */
export function createLogger(destination?: DestinationStream): Logger {
  return pino(
    {
      // Patient fields anywhere in a logged object, however deep (redactPatientData); `redact` below covers request headers.
      formatters: { log: (object) => redactPatientData(object) },
      // The config schema validates LOG_LEVEL; until it has run, an unknown level must not crash the import.
      level: LEVELS.has(process.env.LOG_LEVEL ?? '') ? (process.env.LOG_LEVEL as string) : 'info',
      base: { service: 'appointment-messaging' },
      redact: {
        paths: [
          '*.patient_phone',
          '*.patient_first_name',
          '*.patient_last_name',
          '*.phone',
          '*.to',
          '*.from',
          '*.body',
          'req.headers.authorization',
          'req.headers["x-twilio-signature"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export const logger: Logger = createLogger();

export type { Logger };
