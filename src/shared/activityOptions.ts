/**
 * Timeouts and retry policies of activities, shared by the workflows that call them and the
 * activities that document them. Workflow-safe: no Node-only imports.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/common';

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
 * EHR write-back: "until acknowledged" (ARCHITECTURE §5), so no attempt limit, within a week: an
 * EHR silent that long gets the callback marked FAILED (logged) rather than a workflow that never
 * ends. The startToCloseTimeout stays above the 10 s request timeout.
 */
export const NOTIFY_EHR_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '7 days',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '10m',
    nonRetryableErrorTypes: [EHR_CALLBACK_REJECTED],
  },
};

/*
 * Local activities: short I/O on the lean lifecycle's paths (a text, a snapshot, a signal) runs in
 * the workflow's own task, as Temporal recommends for short calls: one marker event instead of
 * three activity events and a second workflow task. Retries longer than `localRetryThreshold` wait
 * on a durable timer, so an outage never holds a workflow task open.
 */

/** A text as a local activity: the same timeouts and retries as SEND_SMS_OPTIONS. */
export const SEND_SMS_LOCAL_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  localRetryThreshold: '10 seconds',
};

/** Snapshot reads and writes: they must eventually land; they never hold back a text. */
export const SNAPSHOT_LOCAL_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  // A write that fails this long is logged and retried on the next change; a read fails the run, loudly.
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  localRetryThreshold: '10 seconds',
};

/** Signals to other workflows (phone link, routed replies): quick, retried until Temporal takes them. */
export const SIGNAL_LOCAL_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  // Longer than any Temporal outage a worker could outlive; callers log a signal that never landed.
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  localRetryThreshold: '10 seconds',
};

/**
 * The first try of an EHR callback, in the workflow task; when it fails for a reason a retry can
 * fix, the callback continues as an ordinary activity with NOTIFY_EHR_OPTIONS (hours of retries).
 */
export const NOTIFY_EHR_FIRST_TRY_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 1 },
};

/** Reminder reservations on a shared number: an update to its phone workflow. */
export const RESERVE_REMINDER_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  // A reminder not reserved within an hour is suppressed (RESERVATION_FAILED): later would be wrong.
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
