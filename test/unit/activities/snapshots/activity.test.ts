/**
 * The writeSnapshot activity (src/activities/snapshots/activity.ts) over a file store: outcomes, failure
 * types for Temporal's retry policy, and logs that never carry the snapshot's state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import {
  createSnapshotActivities,
  SNAPSHOT_FAILURE_TYPES,
} from '../../../../src/activities/snapshots/activity';
import { FileSnapshotStore } from '../../../../src/activities/snapshots/fileStore';
import { CUSTOMER, snap } from '../../../helpers/snapshotStoreContract';

let sandbox: string;
let store: FileSnapshotStore;

beforeEach(() => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'snapshot-activity-test-'));
  store = new FileSnapshotStore(path.join(sandbox, 'snapshots'));
});

afterEach(() => {
  rmSync(sandbox, { recursive: true, force: true });
});

describe('writeSnapshot activity', () => {
  function recordingLogger() {
    const lines: unknown[] = [];
    const log = (obj: unknown, msg?: string) => {
      lines.push({ obj, msg });
    };
    return { lines, logger: { info: log, warn: log } };
  }

  it('writes through the store and logs ids, version and outcome but never the state', async () => {
    const { lines, logger } = recordingLogger();
    const { writeSnapshot } = createSnapshotActivities({ store, customerCode: CUSTOMER, logger });

    await expect(writeSnapshot(snap(2))).resolves.toBe('written');
    await expect(writeSnapshot(snap(1))).resolves.toBe('stale');

    expect(lines).toEqual([
      {
        obj: { customerCode: CUSTOMER, appointmentId: 'appt-1', version: 2, outcome: 'written' },
        msg: 'snapshot write',
      },
      {
        obj: { customerCode: CUSTOMER, appointmentId: 'appt-1', version: 1, outcome: 'stale' },
        msg: 'snapshot write',
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('Ada');
  });

  it('fails non-retryably on a version conflict, without logging the state', async () => {
    const { lines, logger } = recordingLogger();
    const { writeSnapshot } = createSnapshotActivities({ store, customerCode: CUSTOMER, logger });
    await writeSnapshot(snap(1));

    const failure = await writeSnapshot(snap(1, { status: 'CANCELED' })).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: SNAPSHOT_FAILURE_TYPES.conflict, nonRetryable: true });
    expect(JSON.stringify(lines)).not.toContain('Ada');
  });

  it('fails non-retryably on an invalid snapshot', async () => {
    const { logger } = recordingLogger();
    const { writeSnapshot } = createSnapshotActivities({ store, customerCode: CUSTOMER, logger });

    await expect(writeSnapshot(snap(-1))).rejects.toMatchObject({
      type: SNAPSHOT_FAILURE_TYPES.invalid,
      nonRetryable: true,
    });
  });

  it('rethrows storage errors as they are so Temporal retries them', async () => {
    const { logger } = recordingLogger();
    const boom = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    const failing = {
      write: () => Promise.reject(boom),
      readCurrent: () => Promise.resolve(undefined),
      listHistory: () => Promise.resolve([]),
      readVersion: () => Promise.resolve(undefined),
    };
    const { writeSnapshot } = createSnapshotActivities({ store: failing, customerCode: CUSTOMER, logger });

    await expect(writeSnapshot(snap(1))).rejects.toBe(boom);
  });
});
