/** Phone workflow ids: a keyed hash of the number, so ids and the Web UI never show a phone number. */
import { createHmac } from 'node:crypto';

/** `salt` is per installation (CUSTOMER_CODE): the same number gets different ids at different clinics. */
export function phoneWorkflowId(phone: string, salt: string): string {
  return `phone-${createHmac('sha256', `phone-id:${salt}`).update(phone).digest('hex').slice(0, 32)}`;
}
