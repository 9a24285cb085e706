/**
 * The live check of Twilio: the credentials work, the account is active, and the sender (Messaging
 * Service or number) exists with its inbound webhook pointing here. Through a real `twilio` client.
 */
import type { Twilio } from '../../../activities/twilioClient';
import { errorText, type LiveCheck } from './runner';

export type TwilioCheckTarget =
  | { sandbox: true }
  | {
      sandbox?: false;
      /** A real `twilio` SDK client with TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN. */
      client: Twilio;
      accountSid: string;
      phoneNumber?: string | undefined;
      messagingServiceSid?: string | undefined;
      /** `PUBLIC_BASE_URL/v1/twilio/inbound`: where the number's or service's inbound webhook should point. */
      inboundUrl: string;
    };

interface TwilioErrorLike {
  status?: unknown;
  code?: unknown;
}

function twilioErrorText(err: unknown, what: string): string {
  const { status, code } = (err ?? {}) as TwilioErrorLike;
  if (typeof code === 'number' || typeof status === 'number') {
    const tag = `Twilio ${String(status ?? '?')}${typeof code === 'number' ? ` / ${code}` : ''}`;
    if (code === 20003 || status === 401) {
      return `${tag}: TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN were refused`;
    }
    if (code === 20404 || status === 404) return `${tag}: ${what} not found on this account`;
    return `${tag} while reading ${what}`;
  }
  return `${what}: ${errorText(err)}`;
}

/**
 * Credentials valid (the account fetched, and active), then the sender: the Messaging Service when
 * TWILIO_MESSAGING_SERVICE_SID is set (it is what sendSms uses), else TWILIO_PHONE_NUMBER among the
 * account's numbers. A sender found whose inbound webhook points elsewhere is a warning: replies
 * would not reach us.
 */
export function twilioCheck(target: TwilioCheckTarget): LiveCheck {
  return {
    name: 'Twilio credentials and sender',
    async run() {
      if (target.sandbox) {
        return {
          outcome: 'sandbox',
          reason: 'sandbox mode: texts go to the built-in Twilio emulation, nobody is texted',
        };
      }
      const { client, accountSid, phoneNumber, messagingServiceSid, inboundUrl } = target;
      let status: string;
      try {
        status = (await client.api.v2010.accounts(accountSid).fetch()).status;
      } catch (err) {
        return { outcome: 'failed', reason: twilioErrorText(err, 'the account') };
      }
      if (status !== 'active') {
        return { outcome: 'failed', reason: `the credentials work, but the account is ${status}` };
      }
      if (messagingServiceSid) {
        try {
          const service = await client.messaging.v1.services(messagingServiceSid).fetch();
          const found = `credentials valid; Messaging Service ${messagingServiceSid} found`;
          if (!service.useInboundWebhookOnNumber && service.inboundRequestUrl !== inboundUrl) {
            return {
              outcome: 'warning',
              reason: `${found}, but its incoming-message webhook is not ${inboundUrl} (Integration page)`,
            };
          }
          return { outcome: 'ok', reason: found };
        } catch (err) {
          return {
            outcome: 'failed',
            reason: twilioErrorText(err, `Messaging Service ${messagingServiceSid}`),
          };
        }
      }
      if (!phoneNumber) {
        return {
          outcome: 'failed',
          reason:
            'credentials valid, but neither TWILIO_PHONE_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set',
        };
      }
      try {
        const numbers = await client.api.v2010
          .accounts(accountSid)
          .incomingPhoneNumbers.list({ phoneNumber, limit: 1 });
        const number = numbers[0];
        if (!number) {
          return {
            outcome: 'failed',
            reason: `credentials valid, but ${phoneNumber} is not a number of this account`,
          };
        }
        const found = `credentials valid; number ${phoneNumber} found`;
        if (number.smsUrl !== inboundUrl) {
          return {
            outcome: 'warning',
            reason: `${found}, but its “A message comes in” webhook is not ${inboundUrl} (Integration page)`,
          };
        }
        return { outcome: 'ok', reason: `${found}, its inbound webhook points here` };
      } catch (err) {
        return { outcome: 'failed', reason: twilioErrorText(err, `number ${phoneNumber}`) };
      }
    },
  };
}
