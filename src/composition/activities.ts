/**
 * The worker's activity dependencies built from the configuration: the Twilio client (or the
 * sandbox's emulation), the snapshot store, the EHR callback target, a lazy Temporal client.
 */
import { Client, Connection } from '@temporalio/client';
import { createSnapshotStore } from '../activities/snapshots';
import { SANDBOX_EHR_CALLBACK_SECRET, sandboxEhrCallbackUrl } from '../activities/ehrCallback';
import { fhirActivitySettings } from '../activities/fhirReferences';
import type { ActivityDeps } from '../activities';
import { loadTemplates } from '../activities/sms';
import { createTwilioClient, sandboxTwilioBaseUrl, twilioSender } from '../activities/twilioClient';
import type { AppConfig } from '../config';
import { TWILIO_STATUS_PATH } from '../http/twilioPaths';
import { logger as rootLogger } from '../log';
import { temporalConnectionOptions } from '../temporal/connectionOptions';
import { dataConverterOf } from '../temporal/dataConverter';

export function activityDepsFromConfig(config: AppConfig): ActivityDeps {
  const { env } = config;
  return {
    // In sandbox mode the worker reaches the API's built-in Twilio emulation (loopback, or API_INTERNAL_URL).
    twilio: createTwilioClient(config, sandboxTwilioBaseUrl(config.apiInternalUrl)),
    sender: twilioSender(config),
    // Delivery callbacks need a reachable public URL; the sandbox reports delivery itself.
    // In sandbox mode the sandbox reports delivery to this URL too, signed like Twilio.
    statusCallbackUrl: `${config.publicBaseUrl}${TWILIO_STATUS_PATH}`,
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
