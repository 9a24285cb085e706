/**
 * The baseline's contract, shared by its workflow, its worker and the bench's client: the plain
 * Temporal idiom for "text at booking, text again at a due time". Workflow-safe imports only.
 */
import { defineSignal } from '@temporalio/workflow';

export const BASELINE_TASK_QUEUE = 'bench-baseline';
export const BASELINE_WORKFLOW_TYPE = 'baselineAppointment';

export interface BaselineBooking {
  appointmentId: string;
  /** E.164 */
  phone: string;
  /** Epoch milliseconds the reminder is due. */
  reminderAtMs: number;
  /** ISO instant of the appointment, for the texts. */
  start: string;
}

export const bookSignal = defineSignal<[BaselineBooking]>('book');

export interface SendTextInput {
  to: string;
  body: string;
}
