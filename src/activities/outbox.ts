/**
 * `sendText`: a text of the lean appointment lifecycle, run as one local activity: the text first,
 * then, when the phone workflow must learn of a change (a first prompt, a new status), the phone
 * link. One marker in the appointment's history instead of two, and the link never delays a text.
 */
import type { LinkedAppointment } from '../shared/phone';
import type { SendSmsInput, SendSmsResult } from './sms';

export interface SendTextInput extends SendSmsInput {
  /** The appointment as its number's conversation should know it once this text is out. */
  link?: LinkedAppointment;
}

export interface OutboxActivityDeps {
  sendSms(input: SendSmsInput): Promise<SendSmsResult>;
  linkToPhone(phone: string, appointment: LinkedAppointment): Promise<void>;
}

export function createOutboxActivities({ sendSms, linkToPhone }: OutboxActivityDeps) {
  return {
    async sendText(input: SendTextInput): Promise<SendSmsResult> {
      const { link, ...sms } = input;
      const result = await sendSms(sms);
      // A failed link fails this attempt; the retry finds the text already sent (no second text) and links again.
      if (link) await linkToPhone(sms.to, link);
      return result;
    },
  };
}
