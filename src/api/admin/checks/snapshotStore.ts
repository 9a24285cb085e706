/** The live check of the snapshot store: a small test object (GCS) or file written and deleted. */
import { randomBytes } from 'node:crypto';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { errorText, type LiveCheck } from './runner';

export type SnapshotTarget =
  | {
      kind: 'gcs';
      storage: Storage;
      bucket: string;
      customerCode: string;
      kmsKeyName?: string | undefined;
    }
  | { kind: 'dir'; dir: string };

const GCS_MEANINGS: Readonly<Record<number, string>> = {
  401: 'no valid credentials (Application Default Credentials)',
  403: 'permission denied: the identity needs roles/storage.objectAdmin on the bucket',
  404: 'bucket not found',
};

/**
 * The snapshot store writable: GCS (GCS_BUCKET) writes and deletes a small object under
 * `<CUSTOMER_CODE>/healthcheck/` (with GCS_KMS_KEY_NAME when set, as snapshots are written); files
 * write and delete a small file in the snapshot folder under DATA_DIR.
 */
export function snapshotStoreCheck(target: SnapshotTarget): LiveCheck {
  return {
    name: 'Snapshot store writable',
    async run() {
      const name = `healthcheck-${Date.now()}-${randomBytes(4).toString('hex')}`;
      if (target.kind === 'gcs') {
        const key = `${target.customerCode}/healthcheck/${name}.txt`;
        const where = `gs://${target.bucket}/${target.customerCode}/healthcheck/`;
        const file = target.storage
          .bucket(target.bucket)
          .file(key, target.kmsKeyName ? { kmsKeyName: target.kmsKeyName } : {});
        try {
          await file.save('ok\n', {
            resumable: false,
            contentType: 'text/plain',
            metadata: { cacheControl: 'no-store' },
          });
        } catch (err) {
          return { outcome: 'failed', reason: `could not write to ${where}: ${gcsErrorText(err)}` };
        }
        try {
          await file.delete();
        } catch (err) {
          return {
            outcome: 'warning',
            reason: `wrote to ${where} but could not delete the test object: ${gcsErrorText(err)}`,
          };
        }
        return { outcome: 'ok', reason: `wrote and deleted a test object in ${where}` };
      }
      const file = path.join(target.dir, `.${name}`);
      try {
        await mkdir(target.dir, { recursive: true, mode: 0o700 });
        await writeFile(file, 'ok\n', { flag: 'wx', mode: 0o600 });
        await unlink(file);
      } catch (err) {
        return { outcome: 'failed', reason: `${target.dir} is not writable: ${errorText(err)}` };
      }
      return { outcome: 'ok', reason: `wrote and deleted a test file in ${target.dir}` };
    },
  };
}

function gcsErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'number') return `HTTP ${code}${GCS_MEANINGS[code] ? `: ${GCS_MEANINGS[code]}` : ''}`;
  return errorText(err);
}
