/**
 * The `sendSms` activity: renders a message template and sends it with the Twilio SDK.
 *
 * Failure semantics (the workflow's retry policy relies on them):
 * - Twilio refusals that can never succeed (invalid or unreachable number, opted-out recipient 21610, sender not
 *   allowed, malformed request...) → non-retryable ApplicationFailure `SmsPermanentFailure`, details `{ code, httpStatus }`.
 * - Rate limits, Twilio 5xx, a full sender queue, timeouts and network errors → retryable `SmsTransientFailure`.
 * - A template that cannot render → non-retryable `SmsRenderFailure` (the same input fails the same way).
 * Failure messages are ours, never Twilio's: Twilio's texts can contain the phone number, and failure messages are
 * stored in workflow history unencrypted.
 *
 * No double texts: when an attempt fails after Twilio accepted the message (e.g. the response was lost), the retry
 * first looks for that message (same number, identical body, created since the first attempt was scheduled) and
 * returns it instead of sending again. A caller that gives `notBefore` (the appointment's local-activity sends) gets
 * that lookup on every attempt: a local activity whose workflow task was lost runs again from attempt 1.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import twilio from 'twilio';
import TwilioServiceException from 'twilio/lib/base/TwilioServiceException';
import type { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message';
import {
  formatChoices,
  mergeTemplates,
  parseTemplateOverrides,
  renderMessage,
  TemplateOverridesError,
} from '../domain/messages/render';
import type { ChoiceItem, RenderContext, RenderedMessage } from '../domain/messages/render';
import type { SmsEncoding } from '../domain/messages/segments';
import { DEFAULT_TEMPLATES, type MessageKind, type TemplateCatalog } from '../domain/messages/templates';
import type { Logger } from '../log';
import { projectRoot } from '../paths';
import type { Twilio } from './twilioClient';
import { countText } from '../metrics/registry';

export interface SendSmsInput {
  /** Stable id of this logical text (e.g. `workflowId:eventId:BOOKED`), for logs and tracing; logged, so no PHI. */
  messageKey: string;
  appointmentId: string;
  /** E.164 */
  to: string;
  kind: MessageKind;
  context: Omit<RenderContext, 'customerName'>;
  /** For DISAMBIGUATE: the appointments to list; formatted here, in the patient's language and zone. */
  choiceItems?: ChoiceItem[];
  /**
   * SIDs of texts the caller already recorded to this number. A retry never takes one of them for its
   * own earlier attempt, so a genuine second identical text (two HELP answers a minute apart) goes out.
   */
  excludeSids?: string[];
  /**
   * A reminder's planned send time (ISO instant, the reminder record's `sendAt`): the lateness
   * metric measures the send against it. Absent for other texts, and in inputs recorded before it existed.
   */
  plannedAt?: string;
  /**
   * No earlier send of this text can be older than this (ISO instant): the appointment workflow gives its run's
   * start, which no lost or repeated workflow task can move. With it, every attempt, the first included, looks for
   * a send since then before sending: a local activity whose workflow task was lost (worker killed, Temporal down,
   * task timed out) runs again from attempt 1, and the task that decided the text may itself be re-run later.
   * Without it, only retries (attempt > 1) look.
   */
  notBefore?: string;
}

export interface SendSmsResult {
  sid: string;
  /** Twilio's status when we learned of the message (`queued`, `accepted`, `sent`, `delivered`...). */
  status: string;
  /** Segments and encoding of the rendered body, as we count them. */
  segments: number;
  encoding: SmsEncoding;
  /** True when an earlier attempt had already sent this text and this attempt returned it instead of sending. */
  deduplicated: boolean;
}

export interface SmsActivityDeps {
  client: Twilio;
  /** The Messaging Service wins when both are set. */
  sender: { from?: string; messagingServiceSid?: string };
  /** Our `POST /v1/twilio/status` URL; Twilio reports delivery there. */
  statusCallbackUrl?: string;
  templates: TemplateCatalog;
  customerName: string;
  logger: Logger;
}

export const SMS_PERMANENT_FAILURE = 'SmsPermanentFailure';
export const SMS_TRANSIENT_FAILURE = 'SmsTransientFailure';
export const SMS_RENDER_FAILURE = 'SmsRenderFailure';

/**
 * Twilio create-time error codes that no retry can fix, with a description free of patient data.
 * (30003-30008 are delivery failures: they arrive later in status callbacks, not from this call.)
 */
export const PERMANENT_TWILIO_ERRORS: Readonly<Record<number, string>> = {
  20404: 'the Twilio resource (account or service) was not found',
  21211: "invalid 'To' phone number",
  21212: "invalid 'From' phone number",
  21408: 'SMS to this region is not enabled on the account',
  21602: 'message body is required',
  21603: "a 'From' number or Messaging Service is required",
  21604: "a 'To' phone number is required",
  21606: "the 'From' number cannot send SMS for this account",
  21610: 'the recipient has opted out (replied STOP)',
  21612: "the 'To' number is not reachable by SMS from this sender",
  21614: "the 'To' number is not a mobile number",
  21617: 'the message body exceeds 1600 characters',
  21701: 'the Messaging Service does not exist',
};

/**
 * Error codes worth retrying although Twilio answers them with a 4xx: rate limits, a full sender queue, and
 * authentication (20003), which an operator fixes by correcting credentials; the pending retries then go out.
 */
export const TRANSIENT_TWILIO_ERROR_CODES: ReadonlySet<number> = new Set([14107, 20003, 20429, 21611]);

/** Clock skew allowed between our worker and Twilio when matching an earlier attempt's message. */
const CLOCK_SKEW_MS = 60_000;
/**
 * Before `notBefore` (a run's start, Temporal's clock): Twilio's creation times are whole seconds, and its clock
 * and Temporal's may differ a little. Kept short. The window runs from there to now, so over the whole run (weeks
 * for an appointment): an identical text to the same number from another appointment in that time (same patient,
 * provider, place and time: a duplicate booking of one slot) would be taken for this one's, and its delivery
 * report would then go to the other appointment.
 */
const RUN_START_MARGIN_MS = 2_000;
/** Statuses of a message that never left Twilio: a retry may send it again. */
const NEVER_SENT_STATUSES: ReadonlySet<string> = new Set(['failed', 'canceled']);
/**
 * Twilio's connection overrides on the StatusCallback (a fragment: never requested, not signed). By default Twilio
 * retries a callback at most once, and only when it cannot connect, and a lost final report leaves the text
 * QUEUED/SENT for good; our status webhook is idempotent (one signal per final status, applied once), so every
 * failure (a 503 while Temporal is away, a proxy's 4xx mid-deploy) is worth the most retries Twilio allows.
 */
const STATUS_CALLBACK_OVERRIDES = '#rc=5&rp=all';

export function createSmsActivities(deps: SmsActivityDeps) {
  const { client, sender, statusCallbackUrl, templates, customerName, logger } = deps;
  if (!sender.messagingServiceSid && !sender.from) {
    throw new Error('createSmsActivities: the sender needs a from number or a messagingServiceSid');
  }
  const senderParams = sender.messagingServiceSid
    ? { messagingServiceSid: sender.messagingServiceSid }
    : { from: sender.from };

  async function sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const { info } = Context.current();
    const logFields = {
      appointmentId: input.appointmentId,
      messageKey: input.messageKey,
      kind: input.kind,
      attempt: info.attempt,
    };
    let rendered: RenderedMessage;
    try {
      rendered = render(input, customerName, templates);
    } catch (error) {
      countText(input.kind, 'failed_permanent');
      throw error;
    }
    const reminderTiming = (sentAtMs: number) =>
      input.plannedAt === undefined ? undefined : { plannedAt: input.plannedAt, sentAtMs };
    const resultOf = (message: MessageInstance, deduplicated: boolean): SendSmsResult => ({
      sid: message.sid,
      status: message.status,
      segments: rendered.segments,
      encoding: rendered.encoding,
      deduplicated,
    });

    try {
      const lookSinceMs = earlierSendWindowStart(input.notBefore, info.attempt, info.scheduledTimestampMs);
      if (lookSinceMs !== undefined) {
        const earlier = await findEarlierSend(
          client,
          input.to,
          rendered.body,
          lookSinceMs,
          new Set(input.excludeSids),
        );
        if (earlier !== undefined) {
          logger.info(
            { ...logFields, sid: earlier.sid },
            'sms already sent by an earlier attempt; not sending again',
          );
          countText(input.kind, 'duplicate_skipped', reminderTiming(new Date(earlier.dateCreated).getTime()));
          return resultOf(earlier, true);
        }
      }
      const message = await client.messages.create({
        to: input.to,
        body: rendered.body,
        ...senderParams,
        // The appointment id in the callback URL lets the status webhook signal the right workflow (Twilio signs the query too).
        ...(statusCallbackUrl === undefined
          ? {}
          : {
              statusCallback: `${statusCallbackUrl}?appointmentId=${encodeURIComponent(input.appointmentId)}${STATUS_CALLBACK_OVERRIDES}`,
            }),
        attempt: info.attempt,
      });
      logger.info({ ...logFields, sid: message.sid, segments: rendered.segments }, 'sms sent');
      countText(input.kind, 'sent', reminderTiming(Date.now()));
      return resultOf(message, false);
    } catch (error) {
      const failure = classifyTwilioError(error);
      countText(input.kind, failure.nonRetryable ? 'failed_permanent' : 'failed_retryable');
      logger.warn(
        { ...logFields, code: twilioErrorCode(error), retryable: !failure.nonRetryable },
        'sms send failed',
      );
      throw failure;
    }
  }

  return { sendSms };
}

function render(input: SendSmsInput, customerName: string, templates: TemplateCatalog): RenderedMessage {
  try {
    const choices =
      input.choiceItems && input.choiceItems.length > 0
        ? { choices: formatChoices(input.choiceItems, input.context.language) }
        : {};
    return renderMessage(input.kind, { ...input.context, ...choices, customerName }, templates);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw ApplicationFailure.nonRetryable(
      `Cannot render the ${input.kind} text: ${reason}`,
      SMS_RENDER_FAILURE,
    );
  }
}

/**
 * Since when an earlier send of this text may exist, or undefined when none can: the caller's `notBefore` (less a
 * short margin) when it gave one (a re-run starts again at attempt 1), else the first attempt's schedule time less
 * clock skew on a retry.
 */
export function earlierSendWindowStart(
  notBefore: string | undefined,
  attempt: number,
  scheduledTimestampMs: number,
): number | undefined {
  const notBeforeMs = notBefore === undefined ? Number.NaN : Date.parse(notBefore);
  if (Number.isFinite(notBeforeMs)) return Math.min(notBeforeMs, scheduledTimestampMs) - RUN_START_MARGIN_MS;
  return attempt > 1 ? scheduledTimestampMs - CLOCK_SKEW_MS : undefined;
}

/**
 * The message an earlier attempt of this activity already sent: same number, identical body, created at or after
 * `earliestMs` (earlierSendWindowStart), not one the caller already recorded as its own, oldest first.
 * A failed lookup throws: better retry than risk a double text.
 */
async function findEarlierSend(
  client: Twilio,
  to: string,
  body: string,
  earliestMs: number,
  excluded: ReadonlySet<string>,
): Promise<MessageInstance | undefined> {
  // No DateSent filter: Twilio leaves date_sent empty while a text is queued, which would hide exactly
  // the send a lost response left behind. The newest 50 to this number, filtered on creation time, suffice.
  const recent = await client.messages.list({ to, limit: 50 });
  return recent
    .filter(
      (message) =>
        message.body === body &&
        !excluded.has(message.sid) &&
        !NEVER_SENT_STATUSES.has(message.status) &&
        new Date(message.dateCreated).getTime() >= earliestMs,
    )
    .sort((a, b) => new Date(a.dateCreated).getTime() - new Date(b.dateCreated).getTime())[0];
}

/** Maps anything a Twilio call threw to the ApplicationFailure the retry policy acts on (see the module comment). */
export function classifyTwilioError(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const answer = twilioErrorAnswer(error);
  if (answer === undefined) {
    // No HTTP answer (connection refused/reset, timeout): the message may or may not have gone; retry and dedupe.
    const kind = error instanceof Error ? error.name : typeof error;
    return ApplicationFailure.retryable(
      `Twilio request failed without an answer (${kind})`,
      SMS_TRANSIENT_FAILURE,
    );
  }
  const { httpStatus, code } = answer;
  const details = { code: code ?? null, httpStatus };
  const codeText = code === undefined ? `HTTP ${httpStatus}` : `code ${code}`;
  if (isTransient(httpStatus, code)) {
    return ApplicationFailure.retryable(
      `Twilio is temporarily refusing the text (${codeText})`,
      SMS_TRANSIENT_FAILURE,
      details,
    );
  }
  const description = (code === undefined ? undefined : PERMANENT_TWILIO_ERRORS[code]) ?? 'request rejected';
  // No `cause`: Twilio's own message may contain the phone number, and the cause would be stored with the failure.
  return ApplicationFailure.nonRetryable(
    `Twilio refused the text permanently (${codeText}: ${description})`,
    SMS_PERMANENT_FAILURE,
    details,
  );
}

/** 408, 429, 5xx and the codes listed as transient; a 4xx otherwise means the request itself is wrong. */
function isTransient(httpStatus: number, code: number | undefined): boolean {
  if (code !== undefined && TRANSIENT_TWILIO_ERROR_CODES.has(code)) return true;
  return httpStatus === 408 || httpStatus === 429 || httpStatus >= 500 || httpStatus < 400;
}

/** Twilio answered with an error: the legacy RestException, or the RFC 9457 exception of newer Twilio APIs. */
function twilioErrorAnswer(error: unknown): { httpStatus: number; code?: number } | undefined {
  if (error instanceof twilio.RestException || error instanceof TwilioServiceException) {
    return { httpStatus: error.status, ...(typeof error.code === 'number' ? { code: error.code } : {}) };
  }
  return undefined;
}

function twilioErrorCode(error: unknown): number | undefined {
  return twilioErrorAnswer(error)?.code;
}

// ---------------------------------------------------------------------------------------------------------------
// Templates file
// ---------------------------------------------------------------------------------------------------------------

export class TemplatesFileError extends Error {
  override readonly name = 'TemplatesFileError';
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`MESSAGE_TEMPLATES_FILE ${file}: ${reason}`, options);
  }
}

/**
 * The template catalog: the defaults, with the overrides of MESSAGE_TEMPLATES_FILE when given (JSON shaped
 * `{ "en": { "REMINDER": "..." }, "fr": {...} }`, validated by parseTemplateOverrides). A relative path is
 * resolved against the project root, like DATA_DIR. Throws TemplatesFileError naming the file and every problem.
 */
export function loadTemplates(file?: string): TemplateCatalog {
  if (file === undefined || file.trim() === '') return DEFAULT_TEMPLATES;
  const resolved = path.resolve(projectRoot, file.trim());
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new TemplatesFileError(
      resolved,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      {
        cause: error,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TemplatesFileError(resolved, `is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  try {
    return mergeTemplates(DEFAULT_TEMPLATES, parseTemplateOverrides(json));
  } catch (error) {
    if (error instanceof TemplateOverridesError) {
      throw new TemplatesFileError(resolved, `has invalid templates:\n- ${error.problems.join('\n- ')}`, {
        cause: error,
      });
    }
    throw error;
  }
}
