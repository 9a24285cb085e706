/**
 * Metrics counted inside workflow code (the phone conversation), where the decision is made and no
 * activity sees it. They go through `metricMeter` of `@temporalio/workflow`: the SDK emits nothing
 * while a workflow replays, so a count is never repeated, and exports them with its own metrics
 * (TEMPORAL_SDK_METRICS_ADDRESS), not on the service's /metrics. Bundle-safe: no Node imports.
 *
 * Label values come from the fixed sets below; the SDK adds `namespace`, `task_queue` and
 * `workflow_type`. Never an id, a phone or a name.
 */

/** What a patient's reply was read as (parseReply's kinds, in lower case). */
export const REPLY_KINDS = ['confirm', 'cancel', 'stop', 'start', 'help', 'choice', 'unknown'] as const;
export type ReplyKindLabel = (typeof REPLY_KINDS)[number];

/** Why a reminder reservation on a shared number was refused. */
export const RESERVATION_REFUSALS = ['daily_cap', 'opted_out'] as const;

/** Opt-out changes a conversation decides: STOP (opt_out) and START (opt_in). */
export const OPT_OUT_CHANGES = ['opt_out', 'opt_in'] as const;

/** Name, help and label values of each metric the workflows emit (exported by the Temporal SDK). */
export const WORKFLOW_METRICS = {
  replies: {
    name: 'appointment_messaging_replies',
    help: 'Patient replies read by the phone conversation, by kind',
    labels: { kind: REPLY_KINDS },
  },
  optOuts: {
    name: 'appointment_messaging_opt_outs',
    help: "STOP (opt_out) and START (opt_in) replies that changed a number's opt-out state",
    labels: { change: OPT_OUT_CHANGES },
  },
  reminderSuppressions: {
    name: 'appointment_messaging_reminder_reservations_refused',
    help: 'Reminders not sent: the daily cap of their number (shared or not), or a number that opted out',
    labels: { reason: RESERVATION_REFUSALS },
  },
} as const;

/** The reply kind label of parseReply's kind. */
export function replyKindLabel(kind: string): ReplyKindLabel {
  switch (kind) {
    case 'CONFIRM':
      return 'confirm';
    case 'CANCEL_REQUEST':
      return 'cancel';
    case 'OPT_OUT':
      return 'stop';
    case 'OPT_IN':
      return 'start';
    case 'HELP':
      return 'help';
    case 'CHOICE':
      return 'choice';
    default:
      return 'unknown';
  }
}
