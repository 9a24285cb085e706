/**
 * The simulation page's list: this process's bookings, newest first, then (with visibility) the
 * other `SIM-` appointments Temporal knows, each with its live view. A view that cannot be read is
 * shown as such; a visibility failure leaves this process's bookings.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../../../log';
import type { AppointmentView } from '../../../shared/appointment';
import { SIMULATED_ID_PREFIX, type Booking, type SimulationGateway } from './events';
import type { RecentBookings } from './recentBookings';

const LISTED = 20;

export interface SimulatedRow {
  appointmentId: string;
  booking?: Booking;
  view?: AppointmentView;
  unreadable?: boolean;
}

export async function listSimulated(deps: {
  bookings: RecentBookings;
  gateway: SimulationGateway;
  visibility?: Client | undefined;
  log: Logger;
}): Promise<SimulatedRow[]> {
  const { bookings, log } = deps;
  const ids = bookings.idsNewestFirst();
  if (deps.visibility) {
    try {
      for await (const workflow of deps.visibility.workflow.list({
        query: `AppointmentId STARTS_WITH "${SIMULATED_ID_PREFIX}"`,
        pageSize: LISTED,
      })) {
        const id = workflow.workflowId.replace(/^appointment-/, '');
        if (!ids.includes(id)) ids.push(id);
        if (ids.length >= LISTED * 2) break;
      }
    } catch (err) {
      log.warn({ outcome: 'visibility_failed', error: (err as Error).message }, 'simulation: list failed');
    }
  }
  return Promise.all(
    ids.slice(0, LISTED).map(async (appointmentId): Promise<SimulatedRow> => {
      const booking = bookings.get(appointmentId);
      try {
        const view = await deps.gateway.view(appointmentId);
        return { appointmentId, ...(booking ? { booking } : {}), ...(view ? { view } : {}) };
      } catch {
        return { appointmentId, ...(booking ? { booking } : {}), unreadable: true };
      }
    }),
  );
}
