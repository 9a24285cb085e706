/**
 * The `writeSnapshot` activity: the appointment workflow calls it after every state change.
 * Logs ids, version and outcome only — a snapshot's state holds patient data and is never logged.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../../log';
import type { AppointmentStateData } from '../../domain/appointment/records';
import {
  type AppointmentSnapshot,
  CorruptSnapshotError,
  InvalidSnapshotError,
  SnapshotConflictError,
  type SnapshotStore,
  type SnapshotWriteOutcome,
} from './port';
import { countSnapshotWrite } from '../../metrics/registry';

export type SnapshotActivityLogger = Pick<Logger, 'info' | 'warn'>;

export interface SnapshotActivityDeps {
  store: SnapshotStore;
  customerCode: string;
  logger: SnapshotActivityLogger;
}

/** `ApplicationFailure.type` of the non-retryable failures `writeSnapshot` throws. */
export const SNAPSHOT_FAILURE_TYPES = {
  invalid: 'InvalidSnapshot',
  conflict: 'SnapshotConflict',
} as const;

export function createSnapshotActivities(deps: SnapshotActivityDeps) {
  const { store, customerCode, logger } = deps;
  return {
    /**
     * The state of the latest snapshot of an appointment, to seed a new run after its workflow
     * completed (retention passed); null when there is none or it is unreadable (logged).
     */
    async readLatestSnapshot(appointmentId: string): Promise<AppointmentStateData | null> {
      try {
        const snapshot = await store.readCurrent(customerCode, appointmentId);
        const state = snapshot?.state as Partial<AppointmentStateData> | undefined;
        if (
          !snapshot ||
          !state ||
          state.appointmentId !== appointmentId ||
          typeof state.version !== 'number'
        ) {
          return null;
        }
        logger.info({ customerCode, appointmentId, version: snapshot.version }, 'seeding from snapshot');
        return state as AppointmentStateData;
      } catch (error) {
        if (error instanceof CorruptSnapshotError) {
          logger.warn(
            { customerCode, appointmentId, key: error.key },
            'unreadable snapshot; starting afresh',
          );
          return null;
        }
        throw error;
      }
    },
    /**
     * Records `snapshot` in history and makes it current unless a newer or equal version already is.
     * `'stale'` is a normal answer (a retried or late write). Invalid snapshots and a version that already
     * exists with different content fail non-retryably; storage errors are thrown for Temporal to retry.
     */
    async writeSnapshot(snapshot: AppointmentSnapshot): Promise<SnapshotWriteOutcome> {
      const fields = { customerCode, appointmentId: snapshot.appointmentId, version: snapshot.version };
      try {
        const outcome = await store.write(customerCode, snapshot);
        countSnapshotWrite('appointment', outcome);
        logger.info({ ...fields, outcome }, 'snapshot write');
        return outcome;
      } catch (error) {
        const failureType =
          error instanceof InvalidSnapshotError
            ? SNAPSHOT_FAILURE_TYPES.invalid
            : error instanceof SnapshotConflictError
              ? SNAPSHOT_FAILURE_TYPES.conflict
              : undefined;
        countSnapshotWrite(
          'appointment',
          failureType === SNAPSHOT_FAILURE_TYPES.invalid
            ? 'invalid'
            : failureType === SNAPSHOT_FAILURE_TYPES.conflict
              ? 'conflict'
              : 'failed',
        );
        // Store errors name keys and ids, never snapshot contents, so their message is safe to log.
        const errorName = error instanceof Error ? error.name : typeof error;
        const errorMessage = error instanceof Error ? error.message : undefined;
        const errorCode = errorCodeOf(error);
        logger.warn(
          { ...fields, errorName, errorCode, errorMessage, retryable: failureType === undefined },
          'snapshot write failed',
        );
        if (failureType !== undefined && error instanceof Error) {
          throw ApplicationFailure.create({
            message: error.message,
            type: failureType,
            nonRetryable: true,
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}

function errorCodeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
