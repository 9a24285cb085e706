/**
 * Starts the FHIR ingest workflow (src/workflows/fhirAppointmentIngest.ts) for a posted Appointment whose
 * references must be read from the EHR. One workflow per event id: a resend finds the id taken (even once the
 * first has ended, within retention) and is a duplicate. Bounded like AppointmentGateway: Temporal unreachable,
 * busy or silent past the submit timeout is a TemporalUnavailableError (503 + Retry-After).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DEFAULT_TEMPORAL_SUBMIT_TIMEOUT_MS } from '../config/schema';
import {
  FHIR_INGEST_WORKFLOW_TYPE,
  fhirIngestWorkflowId,
  type FhirIngestInput,
} from '../domain/fhir/resolvedReferences';
import { boundedTemporalCall } from '../ingest/appointmentGateway';
// Type only: the workflow module must not run outside the workflow sandbox.
import type { fhirAppointmentIngest } from '../workflows/fhirAppointmentIngest';

export interface FhirIngestStart {
  workflowId: string;
  duplicate: boolean;
}

export interface FhirIngestPort {
  start(input: FhirIngestInput): Promise<FhirIngestStart>;
}

export class FhirIngestStarter implements FhirIngestPort {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly submitTimeoutMs: number = DEFAULT_TEMPORAL_SUBMIT_TIMEOUT_MS,
  ) {}

  async start(input: FhirIngestInput): Promise<FhirIngestStart> {
    const workflowId = fhirIngestWorkflowId(input.eventId);
    try {
      await boundedTemporalCall(this.client, this.submitTimeoutMs, 'submit', () =>
        this.client.workflow.start<typeof fhirAppointmentIngest>(FHIR_INGEST_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: this.taskQueue,
          args: [input],
          // A resend of the same version, even after the first run ended, is the same event.
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowIdConflictPolicy: 'FAIL',
        }),
      );
      return { workflowId, duplicate: false };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, duplicate: true };
      throw err;
    }
  }
}
