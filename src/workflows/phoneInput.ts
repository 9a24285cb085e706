/**
 * What a phone conversation run receives: the start contract (shared/phone.ts) plus the state a
 * run hands to its successor on continue-as-new, which only the workflow itself sets.
 */
import type { PhoneStateData } from '../domain/phone/records';
import type { PhoneWorkflowInput } from '../shared/phone';

export interface PhoneRunInput extends PhoneWorkflowInput {
  /** State carried across continue-as-new (the workflow's own continuation; no starter sets it). */
  carried?: PhoneStateData;
}
