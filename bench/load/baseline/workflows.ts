/**
 * The baseline workflow: signal-with-start → one text → a timer to the due time → one text.
 * Ordinary (not local) activities, the plain Temporal idiom; nothing else (no state machine,
 * no snapshots, no search attributes, no second workflow).
 */
import { condition, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { BaselineActivities } from './activities';
import { bookSignal, type BaselineBooking } from './shared';

const { sendText } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function baselineAppointment(): Promise<void> {
  let booking: BaselineBooking | undefined;
  setHandler(bookSignal, (received) => {
    booking ??= received;
  });
  await condition(() => booking !== undefined);
  const { phone, reminderAtMs, start } = booking as BaselineBooking;
  // Texts of about the service's length, so the SMS path carries comparable bodies.
  await sendText({
    to: phone,
    body: `Baseline Clinic: Hi, your appointment on ${start} is booked. Reply 1 or YES to confirm, 2 to cancel. Questions? Call the clinic.`,
  });
  const wait = reminderAtMs - Date.now();
  if (wait > 0) await sleep(wait);
  await sendText({
    to: phone,
    body: `Baseline Clinic: Hi, this is a reminder of your appointment on ${start}. Reply 1 or YES to confirm, 2 to cancel. Questions? Call the clinic.`,
  });
}
