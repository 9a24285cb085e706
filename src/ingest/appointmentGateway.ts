/**
 * Hands canonical events to appointment workflows and reads their state. Every ingress format
 * (JSON, HL7 v2, FHIR) goes through here, so all of them get the same durability and idempotency.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
// Type only: the workflow module must not run outside the workflow sandbox.
import type { appointmentLifecycle } from '../workflows/appointment';
import {
  APPOINTMENT_WORKFLOW_TYPE,
  appointmentViewQuery,
  appointmentWorkflowId,
  ehrEventSignal,
  hasSeenEventQuery,
  type AppointmentEvent,
  type AppointmentPolicy,
  type AppointmentView,
  type EventEnvelope,
} from '../shared/appointment';
import { SEARCH_ATTRIBUTES } from '../shared/temporal';

export interface SubmitResult {
  workflowId: string;
  appointmentId: string;
  eventId: string;
  duplicate: boolean;
}

/** How long the duplicate check may take before we just hand the event over (the workflow dedupes anyway). */
const DUPLICATE_CHECK_MS = 3_000;

export class AppointmentGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly policy: () => AppointmentPolicy,
  ) {}

  /**
   * Durably hands the event to its appointment's workflow (signal-with-start). A replay of an event
   * the workflow already applied is answered as a duplicate and not signalled again.
   */
  async submit(event: AppointmentEvent): Promise<SubmitResult> {
    const workflowId = appointmentWorkflowId(event.appointmentId);
    const result = { workflowId, appointmentId: event.appointmentId, eventId: event.eventId };
    if (await this.alreadySeen(workflowId, event.eventId)) return { ...result, duplicate: true };
    const policy = this.policy();
    await this.client.workflow.signalWithStart<typeof appointmentLifecycle, [EventEnvelope]>(
      APPOINTMENT_WORKFLOW_TYPE,
      {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ appointmentId: event.appointmentId }],
        signal: ehrEventSignal,
        signalArgs: [{ event, policy }],
        // Indexed at once so operators can find it even before the first workflow task runs.
        typedSearchAttributes: new TypedSearchAttributes([
          { key: SEARCH_ATTRIBUTES.appointmentId, value: event.appointmentId },
          { key: SEARCH_ATTRIBUTES.customerCode, value: policy.customerCode },
        ]),
      },
    );
    return { ...result, duplicate: false };
  }

  /** Live state from the workflow, or undefined when no workflow exists for that appointment. */
  async view(appointmentId: string): Promise<AppointmentView | undefined> {
    try {
      return await this.client.workflow
        .getHandle(appointmentWorkflowId(appointmentId))
        .query(appointmentViewQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  private async alreadySeen(workflowId: string, eventId: string): Promise<boolean> {
    try {
      return await this.client.withDeadline(Date.now() + DUPLICATE_CHECK_MS, () =>
        this.client.workflow.getHandle(workflowId).query(hasSeenEventQuery, eventId),
      );
    } catch {
      // Not started yet, or no worker answering: signal anyway; the workflow ignores a repeated event id.
      return false;
    }
  }
}
