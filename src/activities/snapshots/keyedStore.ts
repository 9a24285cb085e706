/**
 * The read side both snapshot adapters share: the keys of `port.ts` read as text and parsed, the names under a
 * prefix listed. An adapter adds `write` and its two storage primitives (`readText`, `namesUnder`).
 */
import {
  type AppointmentSnapshot,
  type ListableSnapshotStore,
  type SnapshotWriteOutcome,
  appointmentIdsOf,
  historyVersions,
  objectKey,
  parseStoredSnapshot,
} from './port';

export abstract class KeyedSnapshotStore implements ListableSnapshotStore {
  abstract write(customerCode: string, snapshot: AppointmentSnapshot): Promise<SnapshotWriteOutcome>;

  /** The text stored under `key`, or `undefined` if there is no such object. */
  protected abstract readText(key: string): Promise<string | undefined>;

  /** Names of the objects under `prefix` (a key prefix ending in `/`), relative to it, in key order; none if absent. */
  protected abstract namesUnder(prefix: string): AsyncIterable<string> | Promise<Iterable<string>>;

  async readCurrent(customerCode: string, appointmentId: string): Promise<AppointmentSnapshot | undefined> {
    return this.readSnapshot(objectKey.current(customerCode, appointmentId), { appointmentId });
  }

  async listHistory(customerCode: string, appointmentId: string): Promise<number[]> {
    return historyVersions(await this.namesUnder(objectKey.historyPrefix(customerCode, appointmentId)));
  }

  async readVersion(
    customerCode: string,
    appointmentId: string,
    version: number,
  ): Promise<AppointmentSnapshot | undefined> {
    return this.readSnapshot(objectKey.history(customerCode, appointmentId, version), {
      appointmentId,
      version,
    });
  }

  async *listAppointments(customerCode: string): AsyncIterable<string> {
    yield* appointmentIdsOf(await this.namesUnder(objectKey.currentPrefix(customerCode)));
  }

  /** The snapshot stored under `key`, checked against `expected` (`parseStoredSnapshot`); `undefined` if absent. */
  protected async readSnapshot(
    key: string,
    expected: { appointmentId: string; version?: number },
  ): Promise<AppointmentSnapshot | undefined> {
    const text = await this.readText(key);
    return text === undefined ? undefined : parseStoredSnapshot(text, key, expected);
  }
}
