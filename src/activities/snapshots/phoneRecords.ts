/**
 * Phone records: a phone conversation that ends (nothing left to do) leaves its opt-out state in the
 * snapshot store, and the next conversation on the number starts from it. Keyed by the phone
 * workflow id (a keyed hash): no phone number in any key or log line.
 */
import type { Logger } from '../../log';
import type { PhoneRecord } from '../../domain/phone/records';
import { countSnapshotWrite } from '../../metrics/registry';
import {
  CorruptSnapshotError,
  InvalidSnapshotError,
  PHONE_RECORD_ID_PREFIX,
  SnapshotConflictError,
  SNAPSHOT_SCHEMA_VERSION,
  type SnapshotStore,
  type SnapshotWriteOutcome,
} from './port';

export interface PhoneRecordActivityDeps {
  store: SnapshotStore;
  customerCode: string;
  logger: Pick<Logger, 'info' | 'warn'>;
}

export function createPhoneRecordActivities({ store, customerCode, logger }: PhoneRecordActivityDeps) {
  const idOf = (phoneWorkflowId: string): string => `${PHONE_RECORD_ID_PREFIX}${phoneWorkflowId}`;
  return {
    /** The record the number's last conversation left, or null (none, or unreadable: logged). */
    async readPhoneRecord(phoneWorkflowId: string): Promise<PhoneRecord | null> {
      try {
        const stored = await store.readCurrent(customerCode, idOf(phoneWorkflowId));
        const state = stored?.state as Partial<PhoneRecord> | undefined;
        if (typeof state?.optedOut !== 'boolean' || stored === undefined) return null;
        return { optedOut: state.optedOut, version: stored.version };
      } catch (error) {
        if (!(error instanceof CorruptSnapshotError)) throw error;
        logger.warn(
          { customerCode, phoneWorkflowId, key: error.key },
          'unreadable phone record; starting afresh',
        );
        return null;
      }
    },
    /** Keeps the opt-out state of a conversation that ends. */
    async writePhoneRecord(phoneWorkflowId: string, record: PhoneRecord): Promise<SnapshotWriteOutcome> {
      let outcome: SnapshotWriteOutcome;
      try {
        outcome = await store.write(customerCode, {
          schemaVersion: SNAPSHOT_SCHEMA_VERSION,
          appointmentId: idOf(phoneWorkflowId),
          version: record.version,
          status: record.optedOut ? 'OPTED_OUT' : 'OPTED_IN',
          writtenAt: new Date().toISOString(),
          state: { optedOut: record.optedOut },
        });
      } catch (error) {
        countSnapshotWrite(
          'phone',
          error instanceof SnapshotConflictError
            ? 'conflict'
            : error instanceof InvalidSnapshotError
              ? 'invalid'
              : 'failed',
        );
        throw error;
      }
      countSnapshotWrite('phone', outcome);
      logger.info({ customerCode, phoneWorkflowId, version: record.version, outcome }, 'phone record write');
      return outcome;
    },
  };
}
