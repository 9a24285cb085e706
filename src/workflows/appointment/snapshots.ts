/**
 * Snapshots of the appointment (ARCHITECTURE §8), written in the background by a local activity.
 * Coalesced: at most one write in flight, and one write covers every change made before it starts;
 * changes made during a write go into the next. Their own sequence keeps the stored history
 * contiguous (1, 2, 3…) and a later write never replaces a newer one (the store's precondition).
 */
import { log } from '@temporalio/workflow';
import type { AppointmentState } from '../../domain/appointment/appointmentState';
import { writeSnapshot } from './activities';

export class Snapshots {
  private writtenVersion = -1;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly state: () => AppointmentState,
    /** Called when a write ends, so the lifecycle looks again for changes made meanwhile. */
    private readonly onSettled: () => void,
  ) {}

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Starts a write when the state changed since the last one and none is in flight. */
  sync(): void {
    const { data } = this.state();
    if (this.inFlight || data.version === this.writtenVersion || !data.policy) return;
    const version = data.version;
    const sequence = (data.snapshotSequence ?? 0) + 1;
    data.snapshotSequence = sequence;
    this.inFlight = writeSnapshot({
      schemaVersion: 1,
      appointmentId: data.appointmentId,
      version: sequence,
      status: data.status,
      writtenAt: new Date().toISOString(),
      state: JSON.parse(JSON.stringify(data)) as unknown,
    }).then(
      () => {
        this.writtenVersion = version;
        this.inFlight = undefined;
        this.onSettled();
      },
      (err: unknown) => {
        // Only a non-retryable failure lands here; keep serving the patient and try again on the next change.
        log.error('snapshot failed', { version, error: String(err) });
        this.inFlight = undefined;
      },
    );
  }

  /** Waits for the write in flight, then writes what changed since (the last snapshot of a run). */
  async flush(): Promise<void> {
    await this.inFlight;
    this.sync();
    await this.inFlight;
  }
}
