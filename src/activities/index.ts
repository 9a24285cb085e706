/**
 * Activity factory: clients (Twilio, storage) are built once per worker and injected, so tests
 * hand in the same real clients pointed at local servers.
 */
import type { AppConfig } from '../config';
import { logger as rootLogger, type Logger } from '../log';
import { createSmsActivities, loadTemplates } from './sms';
import { createSnapshotActivities } from './snapshots/activity';
import { FileSnapshotStore, fileSnapshotRoot } from './snapshots/fileStore';
import type { SnapshotStore } from './snapshots/port';
import { createTwilioClient, sandboxTwilioBaseUrl, twilioSender, type Twilio } from './twilioClient';
import type { TemplateCatalog } from '../domain/messages/templates';

export interface ActivityDeps {
  twilio: Twilio;
  sender: { from?: string; messagingServiceSid?: string };
  statusCallbackUrl?: string;
  templates: TemplateCatalog;
  customerName: string;
  customerCode: string;
  snapshots: SnapshotStore;
  logger: Logger;
}

export function activityDepsFromConfig(config: AppConfig): ActivityDeps {
  const { env } = config;
  return {
    // In sandbox mode the worker reaches the API's built-in Twilio emulation over loopback.
    twilio: createTwilioClient(config, sandboxTwilioBaseUrl(`http://127.0.0.1:${env.PORT}`)),
    sender: twilioSender(config),
    // Delivery callbacks need a reachable public URL; the sandbox reports delivery itself.
    statusCallbackUrl: config.sandbox ? undefined : `${config.publicBaseUrl}/v1/twilio/status`,
    templates: loadTemplates(env.MESSAGE_TEMPLATES_FILE),
    customerName: env.CUSTOMER_NAME,
    customerCode: env.CUSTOMER_CODE,
    snapshots: new FileSnapshotStore(fileSnapshotRoot(config.dataDir)),
    logger: rootLogger,
  };
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSmsActivities({
      client: deps.twilio,
      sender: deps.sender,
      statusCallbackUrl: deps.statusCallbackUrl,
      templates: deps.templates,
      customerName: deps.customerName,
      logger: deps.logger,
    }),
    ...createSnapshotActivities({
      store: deps.snapshots,
      customerCode: deps.customerCode,
      logger: deps.logger,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
