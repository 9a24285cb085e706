/** The baseline's one activity: a text through the real `twilio` SDK, pointed where the service's worker points. */
import { SANDBOX_FROM_NUMBER, type Twilio } from '../../../src/activities/twilioClient';
import type { SendTextInput } from './shared';

export function createBaselineActivities(twilio: Twilio) {
  return {
    async sendText({ to, body }: SendTextInput): Promise<string> {
      const message = await twilio.messages.create({ to, from: SANDBOX_FROM_NUMBER, body });
      return message.sid;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
