/** Picks the snapshot store from configuration (ARCHITECTURE §8): GCS when `GCS_BUCKET` is set, else files. */
import { Storage, type StorageOptions } from '@google-cloud/storage';
import type { AppConfig } from '../../config';
import { FileSnapshotStore, fileSnapshotRoot } from './fileStore';
import { GcsSnapshotStore } from './gcsStore';
import type { ListableSnapshotStore } from './port';

/**
 * A client with Application Default Credentials (`gcloud auth application-default login`, a service
 * account key in GOOGLE_APPLICATION_CREDENTIALS, or the workload's service account), or none against
 * an emulator at `apiEndpoint`.
 */
export function createStorageClient(apiEndpoint: string | undefined): Storage {
  const options: StorageOptions = {};
  if (apiEndpoint) options.apiEndpoint = apiEndpoint.replace(/\/+$/, '');
  return new Storage(options);
}

export function createSnapshotStore(config: AppConfig, storage?: Storage): ListableSnapshotStore {
  const { env } = config;
  if (env.GCS_BUCKET) {
    return new GcsSnapshotStore(storage ?? createStorageClient(env.GCS_API_ENDPOINT), {
      bucket: env.GCS_BUCKET,
      kmsKeyName: env.GCS_KMS_KEY_NAME,
    });
  }
  return new FileSnapshotStore(fileSnapshotRoot(config.dataDir));
}
