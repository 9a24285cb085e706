/**
 * Structured logs (pino, JSON lines). Patient data must never reach them: callers log ids and
 * hashes only, and the redaction paths below are a second line of defence.
 */
import pino, { type Logger } from 'pino';

export const logger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
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
});

export type { Logger };
