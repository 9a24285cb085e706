/**
 * Timeouts and retry policies of activities, shared by the workflows that call them and the
 * activities that document them. Workflow-safe: no Node-only imports.
 */
import type { ActivityOptions } from '@temporalio/common';

/** Twilio sends, from the appointment and the phone conversation workflows alike. */
export const SEND_SMS_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  // A text more than an hour late is worse than a visible failure an operator can act on.
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

/** `ApplicationFailure.type` of an EHR's permanent refusal of a callback (4xx other than 408/429). */
export const EHR_CALLBACK_REJECTED = 'EhrCallbackRejected';

/**
 * EHR write-back: "until acknowledged" (ARCHITECTURE §5), so no attempt limit and no
 * scheduleToCloseTimeout; the startToCloseTimeout stays above the 10 s request timeout.
 */
export const NOTIFY_EHR_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '10m',
    nonRetryableErrorTypes: [EHR_CALLBACK_REJECTED],
  },
};
