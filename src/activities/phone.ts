/**
 * Activities through which appointment and phone workflows talk to each other.
 * - `linkToPhone` (lean lifecycle): signal-with-start of the phone workflow; nothing waits on it.
 * - `reserveReminder`: an update-with-start, answered atomically by the phone workflow; only
 *   appointments on a shared number call it (the daily allowance across appointments).
 * - `routeReplyToAppointment`, `tellPhoneShared`: the phone workflow's signals to appointments.
 * - `linkAppointmentToPhone`: the first workflow's update-with-start, kept for its open runs.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { phoneConversationWorkflow } from '../workflows/phoneConversation';
import { phoneWorkflowId } from '../ingest/phoneIds';
import {
  appointmentLinkedSignal,
  appointmentUnlinkedSignal,
  linkAppointmentUpdate,
  reminderReleasedSignal,
  newPhoneWorkflowInput,
  PHONE_WORKFLOW_SUMMARY,
  patientReplySignal,
  phoneSharedSignal,
  type PatientReply,
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
      args: [newPhoneWorkflowInput(phone)],
      ...PHONE_WORKFLOW_SUMMARY,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });

  /** False when the workflow is gone (completed, or never existed): nothing left to tell. */
  const signalIfOpen = async (send: () => Promise<void>): Promise<boolean> => {
    try {
      await cancellable(send);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };

  return {
    async linkToPhone(phone: string, appointment: LinkedAppointment): Promise<void> {
      await cancellable(() =>
        client.workflow.signalWithStart<typeof phoneConversationWorkflow, [LinkedAppointment]>(
          'phoneConversationWorkflow',
          {
            workflowId: phoneWorkflowId(phone, phoneIdKey),
            taskQueue,
            args: [newPhoneWorkflowInput(phone)],
            ...PHONE_WORKFLOW_SUMMARY,
            signal: appointmentLinkedSignal,
            signalArgs: [appointment],
          },
        ),
      );
    },
    /** A granted reminder that did not go out no longer counts toward the number's daily cap. */
    async releaseReminder(phone: string, messageKey: string): Promise<boolean> {
      return signalIfOpen(() =>
        client.workflow
          .getHandle(phoneWorkflowId(phone, phoneIdKey))
          .signal(reminderReleasedSignal, { messageKey }),
      );
    },
    /** Tells the old number's conversation an appointment moved away; false when it has none. */
    async unlinkFromPhone(phone: string, appointmentId: string): Promise<boolean> {
      return signalIfOpen(() =>
        client.workflow
          .getHandle(phoneWorkflowId(phone, phoneIdKey))
          .signal(appointmentUnlinkedSignal, { appointmentId }),
      );
    },
    async routeReplyToAppointment(workflowId: string, reply: PatientReply): Promise<boolean> {
      return signalIfOpen(() => client.workflow.getHandle(workflowId).signal(patientReplySignal, reply));
    },
    async tellPhoneShared(workflowId: string, phone: string): Promise<boolean> {
      return signalIfOpen(() => client.workflow.getHandle(workflowId).signal(phoneSharedSignal, { phone }));
    },
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
