/** The reminder settings of the configuration, in the minutes the planner works in. */
import { hhmmToMinutes, parseHhmm, parseTimeOfDay } from '../domain/time/hhmm';
import type { AppointmentPolicy } from '../shared/appointment';
import type { AppConfig } from './index';

function minutes(hhmm: string): number {
  const parsed = parseHhmm(hhmm);
  if (!parsed) throw new RangeError(`not HHMM: ${hhmm}`); // the env schema already refused it
  return hhmmToMinutes(parsed);
}

function timeOfDay(hhmm: string): number {
  const parsed = parseTimeOfDay(hhmm);
  if (parsed === undefined) throw new RangeError(`not a time of day: ${hhmm}`);
  return parsed;
}

export function appointmentPolicy(config: AppConfig): AppointmentPolicy {
  const { env } = config;
  return {
    firstOffsetMinutes: minutes(env.REMINDER_FIRST_TIMING),
    secondOffsetMinutes: minutes(env.REMINDER_SECOND_TIMING),
    windowStartMinutes: timeOfDay(env.REMINDER_OUTREACH_START),
    windowFinishMinutes: timeOfDay(env.REMINDER_OUTREACH_FINISH),
    retentionHours: env.APPOINTMENT_RETENTION_HOURS,
    maxRemindersPerPhonePerDay: env.MAX_REMINDERS_PER_PHONE_PER_DAY,
    customerCode: env.CUSTOMER_CODE,
  };
}
