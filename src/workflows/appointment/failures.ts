/** Reading activity failures in workflow code: the ApplicationFailure behind an ActivityFailure. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** The activity's own failure (its type and details), or the error itself. */
export function causeOf(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}

/** `type: message` of an activity's ApplicationFailure, else the error as text. */
export function describeFailure(err: unknown): string {
  const cause = causeOf(err);
  return cause instanceof ApplicationFailure ? `${cause.type}: ${cause.message}` : String(cause);
}

/** The failure as the appointment records it on a text: type, Twilio code when there is one, message. */
export function textFailure(err: unknown): { type: string; code?: number; message: string } {
  const cause = causeOf(err);
  if (cause instanceof ApplicationFailure) {
    const code = numericCode(cause.details?.[0]);
    return {
      type: cause.type ?? 'ApplicationFailure',
      ...(code === undefined ? {} : { code }),
      message: cause.message,
    };
  }
  return { type: 'SmsSendFailed', message: cause instanceof Error ? cause.message : String(cause) };
}

function numericCode(details: unknown): number | undefined {
  if (details && typeof details === 'object' && 'code' in details) {
    const code = Number((details as { code: unknown }).code);
    return Number.isFinite(code) ? code : undefined;
  }
  return undefined;
}
