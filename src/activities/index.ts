/**
 * Activity factory: clients (Twilio, storage) are built once per worker and injected, so tests
 * hand in the same real clients pointed at local servers.
 */
import { temporalConnectionOptions } from '../temporal/connectionOptions';
import { Client, Connection } from '@temporalio/client';
import type { AppConfig } from '../config';
import { dataConverterOf } from '../temporal/dataConverter';
import { createOutboxActivities } from './outbox';
import { createPhoneActivities } from './phone';
import { createEhrCallbackActivities } from './ehrCallback';
import { SANDBOX_EHR_CALLBACK_SECRET, sandboxEhrCallbackUrl } from './ehrCallback';
import { logger as rootLogger, type Logger } from '../log';
import { createSmsActivities, loadTemplates } from './sms';
import { createSnapshotActivities } from './snapshots/activity';
import { createPhoneRecordActivities } from './snapshots/phoneRecords';
import { createSnapshotStore } from './snapshots';
import type { SnapshotStore } from './snapshots/port';
import { createTwilioClient, sandboxTwilioBaseUrl, twilioSender, type Twilio } from './twilioClient';
import type { TemplateCatalog } from '../domain/messages/templates';
import {
  createFhirReferenceActivities,
  fhirActivitySettings,
  type FhirActivitySettings,
} from './fhirReferences';

export interface ActivityDeps {
  twilio: Twilio;
  sender: { from?: string; messagingServiceSid?: string };
  statusCallbackUrl?: string;
  templates: TemplateCatalog;
  customerName: string;
  customerCode: string;
  snapshots: SnapshotStore;
  /** Where patients' replies are POSTed (EHR_CALLBACK_URL, or the sandbox receiver) and the HMAC key. */
  ehrCallback: { url: string; secret: string };
  /** For activities that talk to other workflows (the phone conversation). */
  temporal: { client: Client; taskQueue: string; phoneIdKey: string };
  /** FHIR references read from the EHR (FHIR_BASE_URL); absent: the FHIR ingest activities cannot run. */
  fhir?: FhirActivitySettings;
  logger: Logger;
}

export function activityDepsFromConfig(config: AppConfig): ActivityDeps {
  const { env } = config;
  return {
    // In sandbox mode the worker reaches the API's built-in Twilio emulation (loopback, or API_INTERNAL_URL).
    twilio: createTwilioClient(config, sandboxTwilioBaseUrl(config.apiInternalUrl)),
    sender: twilioSender(config),
    // Delivery callbacks need a reachable public URL; the sandbox reports delivery itself.
    // In sandbox mode the sandbox reports delivery to this URL too, signed like Twilio.
    statusCallbackUrl: `${config.publicBaseUrl}/v1/twilio/status`,
    ehrCallback: env.EHR_CALLBACK_URL
      ? { url: env.EHR_CALLBACK_URL, secret: env.EHR_CALLBACK_SECRET ?? '' }
      : {
          // No EHR configured: the built-in receiver (GET /v1/sandbox/ehr-callbacks) takes the callbacks.
          url: sandboxEhrCallbackUrl(config.apiInternalUrl),
          secret: env.EHR_CALLBACK_SECRET ?? SANDBOX_EHR_CALLBACK_SECRET,
        },
    templates: loadTemplates(env.MESSAGE_TEMPLATES_FILE),
    customerName: env.CUSTOMER_NAME,
    customerCode: env.CUSTOMER_CODE,
    snapshots: createSnapshotStore(config),
    temporal: {
      // Lazy: the worker process creates its activities before Temporal may be reachable.
      client: new Client({
        connection: Connection.lazy(temporalConnectionOptions(config)),
        namespace: env.TEMPORAL_NAMESPACE,
        dataConverter: dataConverterOf(config),
      }),
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      phoneIdKey: config.phoneIdKey,
    },
    fhir: fhirActivitySettings(config),
    logger: rootLogger,
  };
}

export function createActivities(deps: ActivityDeps) {
  const sms = createSmsActivities({
    client: deps.twilio,
    sender: deps.sender,
    statusCallbackUrl: deps.statusCallbackUrl,
    templates: deps.templates,
    customerName: deps.customerName,
    logger: deps.logger,
  });
  const phone = createPhoneActivities({
    client: deps.temporal.client,
    taskQueue: deps.temporal.taskQueue,
    phoneIdKey: deps.temporal.phoneIdKey,
  });
  return {
    ...sms,
    ...phone,
    ...createOutboxActivities({ sendSms: sms.sendSms, linkToPhone: phone.linkToPhone }),
    ...createEhrCallbackActivities({
      url: deps.ehrCallback.url,
      secret: deps.ehrCallback.secret,
      logger: deps.logger,
    }),
    ...createSnapshotActivities({
      store: deps.snapshots,
      customerCode: deps.customerCode,
      logger: deps.logger,
    }),
    ...createPhoneRecordActivities({
      store: deps.snapshots,
      customerCode: deps.customerCode,
      logger: deps.logger,
    }),
    ...createFhirReferenceActivities({ settings: deps.fhir, temporal: deps.temporal, logger: deps.logger }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
