/** Phone workflow ids: a keyed hash of the number, so ids and the Web UI never show a phone number. */
import { createHmac } from 'node:crypto';

/**
 * `key` is PHONE_ID_KEY: secret, because phone numbers are few enough (~10^10) that an unkeyed or
 * public-keyed hash could be reversed by trying them all.
 */
export function phoneWorkflowId(phone: string, key: string): string {
  return `phone-${createHmac('sha256', key).update(phone).digest('hex').slice(0, 32)}`;
}
