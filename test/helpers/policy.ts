/** The reminder policy tests use unless they test the policy: 48 h and 24 h, window all day, 72 h retention. */
import type { AppointmentPolicy } from '../../src/shared/appointment';

export const DEFAULT_POLICY: AppointmentPolicy = {
  firstOffsetMinutes: 48 * 60,
  secondOffsetMinutes: 24 * 60,
  windowStartMinutes: 0,
  windowFinishMinutes: 24 * 60,
  retentionHours: 72,
  customerCode: 'valley',
};
