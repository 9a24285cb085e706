/** The activities of the appointment lifecycle, each with the options its duty needs. */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  NOTIFY_EHR_FIRST_TRY_OPTIONS,
  NOTIFY_EHR_OPTIONS,
  RESERVE_REMINDER_OPTIONS,
  SEND_SMS_LOCAL_OPTIONS,
  SIGNAL_LOCAL_OPTIONS,
  SNAPSHOT_LOCAL_OPTIONS,
} from '../../shared/activityOptions';

export const { sendText } = proxyLocalActivities<Activities>(SEND_SMS_LOCAL_OPTIONS);
export const { writeSnapshot, readLatestSnapshot } = proxyLocalActivities<Activities>(SNAPSHOT_LOCAL_OPTIONS);
export const { linkToPhone, unlinkFromPhone, releaseReminder } =
  proxyLocalActivities<Activities>(SIGNAL_LOCAL_OPTIONS);
export const { notifyEhr: notifyEhrFirstTry } = proxyLocalActivities<Activities>(
  NOTIFY_EHR_FIRST_TRY_OPTIONS,
);
export const { notifyEhr } = proxyActivities<Activities>(NOTIFY_EHR_OPTIONS);
export const { reserveReminder } = proxyActivities<Activities>(RESERVE_REMINDER_OPTIONS);
