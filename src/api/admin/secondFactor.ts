/**
 * The sign-in's second factor: a 6-digit code texted by Twilio Verify, through the real `twilio` SDK
 * (in sandbox mode the same SDK, pointed at the Verify emulation in src/sandbox/verifySandbox.ts).
 */
import type { Twilio } from '../../activities/twilioClient';

export type SendResult = { ok: true } | { ok: false; reason: 'too_many_sends' | 'failed'; detail: string };
/** `void`: the verification is gone (expired, too many checks, already used): start again. */
export type CheckResult = 'approved' | 'wrong' | 'void';

export interface SecondFactor {
  send(to: string): Promise<SendResult>;
  check(to: string, code: string): Promise<CheckResult>;
}

interface TwilioErrorLike {
  code?: unknown;
  status?: unknown;
  message?: unknown;
}

export class TwilioVerifySecondFactor implements SecondFactor {
  constructor(
    private readonly client: Twilio,
    private readonly serviceSid: string,
  ) {}

  async send(to: string): Promise<SendResult> {
    try {
      await this.client.verify.v2.services(this.serviceSid).verifications.create({ to, channel: 'sms' });
      return { ok: true };
    } catch (err) {
      const { code } = err as TwilioErrorLike;
      const detail = describe(err);
      return code === 60203
        ? { ok: false, reason: 'too_many_sends', detail }
        : { ok: false, reason: 'failed', detail };
    }
  }

  async check(to: string, code: string): Promise<CheckResult> {
    try {
      const result = await this.client.verify.v2
        .services(this.serviceSid)
        .verificationChecks.create({ to, code });
      return result.status === 'approved' ? 'approved' : 'wrong';
    } catch (err) {
      const { code: errorCode } = err as TwilioErrorLike;
      // 20404: no pending verification (expired or used); 60202: too many checks. Anything else is an outage.
      if (errorCode === 20404 || errorCode === 60202) return 'void';
      throw err;
    }
  }
}

/** A Twilio error's code and status for logs (never the request, which names the phone). */
export function describe(err: unknown): string {
  const { code, status, message } = err as TwilioErrorLike;
  if (typeof code === 'number') return `Twilio ${String(status)} / ${code}`;
  return typeof message === 'string' ? message.slice(0, 200) : 'unknown error';
}
