/**
 * The API's ways into Temporal, built once per process from its client: the appointment and
 * conversation gateways every ingress shares, and the FHIR reference reader when FHIR_BASE_URL is set.
 */
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { appointmentPolicy } from '../config/policy';
import { FhirIngestStarter } from '../fhir/ingestStarter';
import { AppointmentGateway } from '../ingest/appointmentGateway';
import { ConversationGateway } from '../ingest/conversationGateway';

export interface ApiGateways {
  /** The API's Temporal client: visibility for the console's searches and live checks. */
  temporal: Client;
  appointments: AppointmentGateway;
  conversations: ConversationGateway;
  /** With FHIR_BASE_URL: starts the workflow that reads a FHIR Appointment's references from the EHR. */
  fhirIngest?: FhirIngestStarter;
}

export function createGateways(config: AppConfig, client: Client): ApiGateways {
  const policy = appointmentPolicy(config);
  return {
    temporal: client,
    appointments: new AppointmentGateway(client, config.env.TEMPORAL_TASK_QUEUE, () => policy, {
      submitTimeoutMs: config.env.TEMPORAL_SUBMIT_TIMEOUT_MS,
    }),
    conversations: new ConversationGateway(client, config.env.TEMPORAL_TASK_QUEUE, config.phoneIdKey),
    ...(config.fhir
      ? {
          fhirIngest: new FhirIngestStarter(
            client,
            config.env.TEMPORAL_TASK_QUEUE,
            config.env.TEMPORAL_SUBMIT_TIMEOUT_MS,
          ),
        }
      : {}),
  };
}
