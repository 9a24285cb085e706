/**
 * Activities through which an appointment workflow talks to its phone's conversation workflow:
 * link the appointment to the number, and reserve a reminder within the daily allowance. Both are
 * updates-with-start, so the phone workflow is created on first use and answers atomically.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { phoneConversationWorkflow } from '../workflows/phoneConversation';
import { phoneWorkflowId } from '../ingest/phoneIds';
import {
  linkAppointmentUpdate,
  reserveReminderUpdate,
  type LinkedAppointment,
  type ReminderReservation,
  type ReservationAnswer,
} from '../shared/phone';

export interface PhoneActivityDeps {
  client: Client;
  taskQueue: string;
  /** PHONE_ID_KEY: keys the hash in phone workflow ids. */
  phoneIdKey: string;
}

export function createPhoneActivities({ client, taskQueue, phoneIdKey }: PhoneActivityDeps) {
  // A worker shutting down cancels its activities: an update waiting on a drained worker must let go.
  const cancellable = <R>(call: () => Promise<R>): Promise<R> =>
    client.withAbortSignal(Context.current().cancellationSignal, call);

  const startOperation = (phone: string) =>
    new WithStartWorkflowOperation<typeof phoneConversationWorkflow>('phoneConversationWorkflow', {
      workflowId: phoneWorkflowId(phone, phoneIdKey),
      taskQueue,
      args: [{ phone }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });

  return {
    async linkAppointmentToPhone(
      phone: string,
      appointment: LinkedAppointment,
    ): Promise<{ optedOut: boolean }> {
      return cancellable(() =>
        client.workflow.executeUpdateWithStart(linkAppointmentUpdate, {
          args: [appointment],
          startWorkflowOperation: startOperation(phone),
        }),
      );
    },
    async reserveReminder(phone: string, request: ReminderReservation): Promise<ReservationAnswer> {
      return cancellable(() =>
        client.workflow.executeUpdateWithStart(reserveReminderUpdate, {
          args: [request],
          startWorkflowOperation: startOperation(phone),
        }),
      );
    },
  };
}
