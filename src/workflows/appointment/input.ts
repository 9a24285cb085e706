/**
 * What an appointment workflow run receives: the start contract (shared/appointment.ts) plus the
 * state a run hands to its successor on continue-as-new, which only the workflow itself sets.
 */
import type { AppointmentStateData } from '../../domain/appointment/records';
import type { AppointmentWorkflowInput } from '../../shared/appointment';

export interface AppointmentRunInput extends AppointmentWorkflowInput {
  /** State carried across continue-as-new (the workflow's own continuation; no starter sets it). */
  carried?: AppointmentStateData;
}
