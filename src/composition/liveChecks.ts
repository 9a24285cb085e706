/**
 * The configuration page's live checks for a running API (issue 13.2): Temporal reachable, a worker
 * polling the task queue, Twilio's credentials and sender, the EHR callback URL, the snapshot store
 * writable, each built from the configuration and run on every page load (checks/runner.ts).
 *
 * The parts that talk to the outside world are built here and injected into the checks (a readiness
 * probe, a `twilio` SDK client, a `@google-cloud/storage` client, a folder), so tests run each check
 * against real local servers and emulators.
 */
import type { Client } from '@temporalio/client';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { createTwilioClient, sandboxTwilioBaseUrl } from '../activities/twilioClient';
import { fileSnapshotRoot } from '../activities/snapshots/fileStore';
import type { AppConfig } from '../config';
import { TWILIO_INBOUND_PATH } from '../http/twilioPaths';
import { ehrCallbackCheck, type EhrCallbackTarget } from '../api/admin/checks/ehrCallback';
import { runLiveChecks, type LiveCheckResult } from '../api/admin/checks/runner';
import { snapshotStoreCheck, type SnapshotTarget } from '../api/admin/checks/snapshotStore';
import { temporalChecks, temporalProbe } from '../api/admin/checks/temporal';
import { twilioCheck, type TwilioCheckTarget } from '../api/admin/checks/twilio';

/** Every secret of a configuration: what no reason may show. */
export function secretsOf(config: AppConfig): string[] {
  const { env } = config;
  return [
    env.TWILIO_AUTH_TOKEN,
    env.EHR_CALLBACK_SECRET,
    env.PHONE_ID_KEY,
    env.PAYLOAD_CODEC_KEYS,
    env.OPERATOR_TOKEN,
    env.APPLICATION_PASSWORD,
    env.TEMPORAL_API_KEY,
    env.SANDBOX_TWILIO_AUTH_TOKEN,
    config.sandboxTwilioAuthToken,
    config.phoneIdKey,
    ...env.EHR_API_KEYS,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** The checks for a running API: its Temporal client, Twilio or the sandbox, the EHR, the snapshot store. */
export function liveChecksOf(config: AppConfig, client: Client): () => Promise<LiveCheckResult[]> {
  const { env } = config;
  const readiness = temporalProbe(client, env.TEMPORAL_NAMESPACE, env.TEMPORAL_TASK_QUEUE);
  const twilio: TwilioCheckTarget =
    config.sandbox || !env.TWILIO_ACCOUNT_SID
      ? { sandbox: true }
      : {
          client: createTwilioClient(config, sandboxTwilioBaseUrl(config.apiInternalUrl)),
          accountSid: env.TWILIO_ACCOUNT_SID,
          phoneNumber: env.TWILIO_PHONE_NUMBER,
          messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
          inboundUrl: `${config.publicBaseUrl}${TWILIO_INBOUND_PATH}`,
        };
  const ehr: EhrCallbackTarget = env.EHR_CALLBACK_URL
    ? { kind: 'url', url: env.EHR_CALLBACK_URL }
    : config.sandbox
      ? { kind: 'sandbox-receiver' }
      : { kind: 'not-set' };
  let storage: Storage | undefined;
  const snapshots = (): SnapshotTarget => {
    if (!env.GCS_BUCKET) return { kind: 'dir', dir: fileSnapshotRoot(config.dataDir) };
    // No automatic retries: the check reports the first answer, within its timeout.
    const options: StorageOptions = { retryOptions: { autoRetry: false } };
    if (env.GCS_API_ENDPOINT) options.apiEndpoint = env.GCS_API_ENDPOINT.replace(/\/+$/, '');
    storage ??= new Storage(options);
    return {
      kind: 'gcs',
      storage,
      bucket: env.GCS_BUCKET,
      customerCode: env.CUSTOMER_CODE,
      kmsKeyName: env.GCS_KMS_KEY_NAME,
    };
  };
  const secrets = secretsOf(config);
  return () =>
    runLiveChecks(
      [
        ...temporalChecks(readiness, env.TEMPORAL_TASK_QUEUE),
        twilioCheck(twilio),
        ehrCallbackCheck(ehr),
        snapshotStoreCheck(snapshots()),
      ],
      { secrets },
    );
}
