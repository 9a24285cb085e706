/**
 * The phone conversation's state query: it answers the workflow's internal record (PhoneStateData),
 * so it is no part of the wire contract in shared/. Only the phone workflow and tests use it.
 * Workflow-safe: a definition, nothing else.
 */
import { defineQuery } from '@temporalio/workflow';
import type { PhoneStateData } from '../domain/phone/records';

export const phoneStateQuery = defineQuery<PhoneStateData>('phoneState');
