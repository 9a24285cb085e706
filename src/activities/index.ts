/**
 * Activity factory: clients (Twilio, storage, Temporal) are built once per worker by
 * composition/activities.ts and injected, so tests hand in the same real clients pointed at local servers.
 */
import type { Client } from '@temporalio/client';
import { createOutboxActivities } from './outbox';
import { createPhoneActivities } from './phone';
import { createEhrCallbackActivities } from './ehrCallback';
import type { Logger } from '../log';
import { createSmsActivities } from './sms';
import { createSnapshotActivities } from './snapshots/activity';
import { createPhoneRecordActivities } from './snapshots/phoneRecords';
import type { SnapshotStore } from './snapshots/port';
import type { Twilio } from './twilioClient';
import type { TemplateCatalog } from '../domain/messages/templates';
import { createFhirReferenceActivities, type FhirActivitySettings } from './fhirReferences';

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
