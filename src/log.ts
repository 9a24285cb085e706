/**
 * Structured logs (pino, JSON lines). Patient data must never reach them: callers log ids and
 * hashes only, and the redaction paths below are a second line of defence.
 */
import { asyncLocalStorage } from '@temporalio/activity';
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
      // Inside an activity every line names its workflow and run (workflow code logs through the SDK, which adds them).
      mixin: activityContext,
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

/** The workflow id and run id of the activity this line is logged from; nothing elsewhere. */
function activityContext(): Record<string, string> {
  // The store is empty outside an activity (the API, a tool): no throw on every API log line.
  const info = asyncLocalStorage.getStore()?.info;
  if (!info) return {};
  // Standalone activities (started by a client, not a workflow) have no workflow execution.
  const execution = info.workflowExecution;
  return execution
    ? { workflowId: execution.workflowId, runId: execution.runId, activity: info.activityType }
    : { activity: info.activityType };
}

export type { Logger };
