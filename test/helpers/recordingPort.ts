/** A ConversationPort that records what the Twilio webhooks hand over, and can play Temporal down. */
import type { ConversationPort } from '../../src/api/twilioWebhooks';
import type { DeliveryReport, InboundText } from '../../src/shared/phone';

export class RecordingPort implements ConversationPort {
  readonly inbound: InboundText[] = [];
  readonly statuses: DeliveryReport[] = [];
  /** Temporal is unavailable: deliveries throw (status reports too, unless `statusesFail` is false). */
  failing = false;

  constructor(private readonly options: { statusesFail?: boolean } = {}) {}

  async deliverInbound(text: InboundText): Promise<void> {
    if (this.failing) throw new Error('Temporal is unavailable');
    this.inbound.push(text);
  }

  async deliverStatus(status: DeliveryReport): Promise<void> {
    if (this.failing && this.options.statusesFail !== false) throw new Error('Temporal is unavailable');
    this.statuses.push(status);
  }
}
