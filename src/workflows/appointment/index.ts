/**
 * The appointment lifecycle workflow (type `appointmentLifecycle`): one per appointment, alive from
 * the first EHR event until the retention period after the appointment. This function wires the
 * messages to the lifecycle and runs its main loop; the duties live in small classes beside it.
 */
import { condition, setHandler } from '@temporalio/workflow';
import {
  appointmentViewQuery,
  ehrEventSignal,
  hasSeenEventQuery,
  sendNextReminderNowUpdate,
  type AppointmentView,
} from '../../shared/appointment';
import { deliveryUpdateSignal, patientReplySignal, phoneSharedSignal } from '../../shared/phone';
import type { AppointmentRunInput } from './input';
import { AppointmentLifecycle } from './lifecycle';

export async function appointmentLifecycle(input: AppointmentRunInput): Promise<AppointmentView> {
  const appointment = new AppointmentLifecycle(input);
  // Queries answer from the first activation on (the API may ask while the snapshot is read).
  setHandler(appointmentViewQuery, () => appointment.view());
  setHandler(hasSeenEventQuery, (eventId) => appointment.state.hasSeen(eventId));
  // An update without a handler at the end of an activation is rejected: this one is set at once and
  // waits for the seeded state. No command is issued, so histories without the update replay as before.
  let seeded = false;
  setHandler(sendNextReminderNowUpdate, async () => {
    await condition(() => seeded);
    return appointment.remindNow();
  });
  // Signals wait in a buffer until their handler is set, so none is applied to an unseeded state.
  await appointment.seed();
  seeded = true;
  setHandler(ehrEventSignal, (envelope) => appointment.applyEvent(envelope));
  setHandler(patientReplySignal, (reply) => appointment.applyReply(reply));
  setHandler(deliveryUpdateSignal, (update) => appointment.recordDelivery(update));
  setHandler(phoneSharedSignal, (shared) => appointment.phoneShared(shared));
  return appointment.run();
}
