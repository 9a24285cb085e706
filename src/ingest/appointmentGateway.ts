/**
 * Hands canonical events to appointment workflows and reads their state. Every ingress format
 * (JSON, HL7 v2, FHIR) goes through here, so all of them get the same durability, idempotency and
 * the same bounded wait on Temporal.
 */
import { createHash } from 'node:crypto';
import { isGrpcServiceError, ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { DEFAULT_TEMPORAL_SUBMIT_TIMEOUT_MS } from '../config/schema';
// Type only: the workflow module must not run outside the workflow sandbox.
import type { appointmentLifecycle } from '../workflows/appointment';
import {
  APPOINTMENT_WORKFLOW_TYPE,
  appointmentViewQuery,
  appointmentWorkflowId,
  ehrEventSignal,
  isTimed,
  sendNextReminderNowUpdate,
  newAppointmentWorkflowInput,
  type IngestedEvent,
  type AppointmentPolicy,
  type AppointmentView,
  type EventEnvelope,
  type RemindNowResult,
} from '../shared/appointment';
import { SEARCH_ATTRIBUTES } from '../shared/temporal';

export interface SubmitResult {
  workflowId: string;
  appointmentId: string;
  eventId: string;
  duplicate: boolean;
}

/** How long a sender should wait before resending when Temporal could not take a request. */
export const RETRY_AFTER_SECONDS = 5;

/** Why Temporal could not answer: it is down or unreachable, busy (rate limited), or did not answer in time. */
export type UnavailableReason = 'unreachable' | 'busy' | 'deadline';

/**
 * Temporal could not take or answer a request within the submit timeout. Not the sender's fault and
 * worth retrying: ingress answers 503 + Retry-After (JSON, FHIR) or an AR ACK (HL7). For a hand-off it
 * means "not confirmed stored", not "certainly lost": a resend is safe, the workflow applies an event id once.
 */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// gRPC status codes (grpc.status) that mean "Temporal cannot take this now", not "this request is wrong".
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_ABORTED = 10;
const GRPC_UNAVAILABLE = 14;

const UNAVAILABLE_BY_CODE: Readonly<Record<number, UnavailableReason>> = {
  [GRPC_DEADLINE_EXCEEDED]: 'deadline',
  // Rate limits and namespace/system overload (cause RPS_LIMIT, CONCURRENT_LIMIT, SYSTEM_OVERLOADED, BUSY_WORKFLOW...).
  [GRPC_RESOURCE_EXHAUSTED]: 'busy',
  [GRPC_ABORTED]: 'busy',
  // Connection refused or lost, and NamespaceUnavailable.
  [GRPC_UNAVAILABLE]: 'unreachable',
};

/**
 * A cancellation or no-show without a time for an appointment that has no open workflow: there is
 * no time to apply it to. Ingress refuses it as bad input (the sender must give the time).
 */
export class UnknownAppointmentError extends Error {
  override readonly name = 'UnknownAppointmentError';
  constructor(readonly appointmentId: string) {
    super(`No open appointment ${appointmentId}: ${UNKNOWN_APPOINTMENT}`);
  }
}

/** What every ingress format tells the sender of an untimed event for an unknown appointment. */
export const UNKNOWN_APPOINTMENT =
  'no open appointment with this id is known here, so a cancellation or no-show must give its time';

/** Default number of (workflow, event) pairs remembered: about 7 MB of heap (16-byte hashes in a Set). */
export const RECENT_EVENTS_CAPACITY = 100_000;

/**
 * The (workflow id, event id) pairs this process handed to Temporal most recently: an LRU of bounded
 * size, so a replay is answered `duplicate: true` without a round trip. Only a shortcut: the workflow
 * de-duplicates by event id itself, so a replay this memory does not know (another API process, a
 * restart, an evicted entry) is signalled again and changes nothing.
 */
export class RecentlyAcceptedEvents {
  // A Set keeps insertion order: the first key is the least recently used.
  private readonly keys = new Set<string>();

  constructor(readonly capacity: number = RECENT_EVENTS_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.keys.size;
  }

  /** True if the pair was accepted recently; a hit counts as a use. */
  has(workflowId: string, eventId: string): boolean {
    const key = pairKey(workflowId, eventId);
    if (!this.keys.has(key)) return false;
    this.keys.delete(key);
    this.keys.add(key);
    return true;
  }

  remember(workflowId: string, eventId: string): void {
    const key = pairKey(workflowId, eventId);
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
  }
}

/** 128 bits of SHA-256: fixed size whatever the ids' length (up to 128 characters each), collisions negligible. */
function pairKey(workflowId: string, eventId: string): string {
  return createHash('sha256')
    .update(workflowId)
    .update('\0')
    .update(eventId)
    .digest()
    .toString('base64', 0, 16);
}

export interface AppointmentGatewayOptions {
  /** TEMPORAL_SUBMIT_TIMEOUT_MS: the longest any Temporal call on a request's path may take. */
  submitTimeoutMs?: number;
  /** Shared by gateways that must agree on what was accepted (tests); default: a new one of RECENT_EVENTS_CAPACITY. */
  recentEvents?: RecentlyAcceptedEvents;
  /**
   * Index the workflows it starts by our search attributes (default true). Only tests on the time-skipping
   * server turn it off: it implements no operator service, so our attributes cannot be registered there.
   */
  indexSearchAttributes?: boolean;
}

export class AppointmentGateway {
  private readonly submitTimeoutMs: number;
  private readonly recentEvents: RecentlyAcceptedEvents;
  private readonly indexSearchAttributes: boolean;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly policy: () => AppointmentPolicy,
    options: AppointmentGatewayOptions = {},
  ) {
    this.submitTimeoutMs = options.submitTimeoutMs ?? DEFAULT_TEMPORAL_SUBMIT_TIMEOUT_MS;
    this.recentEvents = options.recentEvents ?? new RecentlyAcceptedEvents();
    this.indexSearchAttributes = options.indexSearchAttributes ?? true;
  }

  /**
   * Durably hands the event to its appointment's workflow: one signal-with-start, no other round trip.
   * A cancellation or no-show without a time is only signalled: it throws UnknownAppointmentError
   * when the appointment has no open workflow.
   * A replay this process accepted recently is answered as a duplicate without reaching Temporal.
   * Throws TemporalUnavailableError when Temporal does not accept it within the submit timeout.
   *
   * A replay the memory does not know costs one more signal in the history, which the workflow ignores. The
   * server could drop it by the signal-with-start request id, but @temporalio/client always sends a random
   * one, and Temporal asks users not to rely on that de-duplication (temporalio/sdk-go#1705).
   */
  async submit(event: IngestedEvent): Promise<SubmitResult> {
    const workflowId = appointmentWorkflowId(event.appointmentId);
    const result = { workflowId, appointmentId: event.appointmentId, eventId: event.eventId };
    if (this.recentEvents.has(workflowId, event.eventId)) return { ...result, duplicate: true };
    const policy = this.policy();
    if (!isTimed(event)) {
      // Only the appointment's own workflow knows its time: signal it, never start one without a time.
      try {
        await this.bounded('submit', () =>
          this.client.workflow.getHandle(workflowId).signal(ehrEventSignal, { event, policy }),
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new UnknownAppointmentError(event.appointmentId);
        throw err;
      }
      this.recentEvents.remember(workflowId, event.eventId);
      return { ...result, duplicate: false };
    }
    await this.bounded('submit', () =>
      this.client.workflow.signalWithStart<typeof appointmentLifecycle, [EventEnvelope]>(
        APPOINTMENT_WORKFLOW_TYPE,
        {
          workflowId,
          taskQueue: this.taskQueue,
          args: [
            newAppointmentWorkflowInput(
              event.appointmentId,
              this.indexSearchAttributes ? {} : { indexSearchAttributes: false },
            ),
          ],
          signal: ehrEventSignal,
          signalArgs: [{ event, policy }],
          // What the Web UI lists it as (no patient data; the codec encrypts it all the same).
          staticSummary: `Appointment ${event.appointmentId}`,
          staticDetails: `The appointment's lifecycle: its texts, reminders and replies (customer ${policy.customerCode})`,
          // Indexed at once so operators can find it even before the first workflow task runs.
          ...(this.indexSearchAttributes && {
            typedSearchAttributes: new TypedSearchAttributes([
              { key: SEARCH_ATTRIBUTES.appointmentId, value: event.appointmentId },
              { key: SEARCH_ATTRIBUTES.customerCode, value: policy.customerCode },
            ]),
          }),
        },
      ),
    );
    // Only now: a hand-off that failed or timed out must stay retryable, not become a "duplicate".
    this.recentEvents.remember(workflowId, event.eventId);
    return { ...result, duplicate: false };
  }

  /**
   * Live state from the workflow, or undefined when no workflow exists for that appointment or none of
   * its events is applied yet (see appliedView). Throws TemporalUnavailableError when the workflow
   * exists but no worker answers within the submit timeout.
   */
  async view(appointmentId: string): Promise<AppointmentView | undefined> {
    try {
      const view = await this.bounded('view', () =>
        this.client.workflow.getHandle(appointmentWorkflowId(appointmentId)).query(appointmentViewQuery),
      );
      return appliedView(view);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * The operator's "send the next reminder now": a workflow update (recorded in the history) that makes
   * the earliest pending reminder due now; the workflow's usual path sends it. Undefined when the
   * appointment has no open workflow. `requestId` becomes the update id, so a resubmitted form is one
   * update (Temporal de-duplicates update ids within a run). Bounded like every call here.
   */
  async sendNextReminderNow(appointmentId: string, requestId?: string): Promise<RemindNowResult | undefined> {
    try {
      return await this.bounded('update', () =>
        this.client.workflow
          .getHandle(appointmentWorkflowId(appointmentId))
          .executeUpdate(sendNextReminderNowUpdate, requestId ? { updateId: requestId } : {}),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  private bounded<T>(operation: Operation, call: () => Promise<T>): Promise<T> {
    return boundedTemporalCall(this.client, this.submitTimeoutMs, operation, call);
  }
}

/**
 * Runs one Temporal call under a gRPC deadline, and answers by that deadline even when the client
 * would not: its retry interceptor can sleep past a deadline (up to 5 s on RESOURCE_EXHAUSTED) before
 * its next attempt fails. A call left behind ends by itself at its deadline. Temporal unreachable,
 * busy or silent past it is a TemporalUnavailableError (503 + Retry-After at ingress).
 */
export async function boundedTemporalCall<T>(
  client: Client,
  timeoutMs: number,
  operation: Operation,
  call: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const attempt = client.withDeadline(deadline, call);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TemporalUnavailableError('deadline', unavailableMessage(operation, 'deadline', timeoutMs)),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([attempt, expired]);
  } catch (err) {
    if (err instanceof TemporalUnavailableError) throw err;
    const code = grpcCode(err);
    // Whatever shape the client gives a call that ran out its deadline (a query wraps it), it is a deadline.
    const reason =
      (code === undefined ? undefined : UNAVAILABLE_BY_CODE[code]) ??
      (Date.now() >= deadline - DEADLINE_SLACK_MS ? 'deadline' : undefined);
    if (reason) {
      throw new TemporalUnavailableError(reason, unavailableMessage(operation, reason, timeoutMs), {
        cause: err,
      });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The view once an event has been applied, else undefined: right after a 202 the workflow may answer
 * before it has applied its first event (while it reads its last snapshot), with a status but no
 * start. The API answers 404 then rather than show an appointment that does not exist yet.
 */
export function appliedView(view: AppointmentView): AppointmentView | undefined {
  return view.start === '' ? undefined : view;
}

export type Operation = 'submit' | 'view' | 'update';

/** A failure this close to the deadline is the deadline (timers and gRPC's clock differ by a few ms). */
const DEADLINE_SLACK_MS = 50;

/**
 * What the sender is told: what failed, and for a hand-off whether the event may be stored. A deadline
 * cannot tell its causes apart (the client retries UNAVAILABLE and RESOURCE_EXHAUSTED until it), so it names them all.
 */
function unavailableMessage(operation: Operation, reason: UnavailableReason, timeoutMs: number): string {
  const state = reason === 'busy' ? 'over its rate or load limits' : 'unreachable';
  if (operation === 'update') {
    return reason === 'deadline'
      ? `The appointment's workflow did not answer within ${timeoutMs} ms (Temporal unreachable or overloaded, or no worker answering)`
      : `Temporal is ${state}: the request was not delivered; try again`;
  }
  if (operation === 'view') {
    return reason === 'deadline'
      ? `The appointment could not be read within ${timeoutMs} ms (Temporal unreachable or overloaded, or no worker answering)`
      : `Temporal is ${state}: the appointment cannot be read now`;
  }
  return reason === 'deadline'
    ? `Temporal did not confirm the event within ${timeoutMs} ms (unreachable or overloaded): it may not be stored; send it again, an event id is never applied twice`
    : `Temporal is ${state}: the event was not stored; send it again`;
}

function grpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}
