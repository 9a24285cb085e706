/**
 * Behind the Twilio webhooks: hands each inbound text durably to its phone's conversation
 * workflow, and each delivery report to the appointment workflow that sent the text.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { phoneConversationWorkflow } from '../workflows/phoneConversation';
import { appointmentWorkflowId } from '../shared/appointment';
import {
  deliveryUpdateSignal,
  inboundReplySignal,
  newPhoneWorkflowInput,
  PHONE_WORKFLOW_SUMMARY,
  type DeliveryReport,
  type InboundReply,
  type InboundText,
} from '../shared/phone';
import { phoneWorkflowId } from './phoneIds';

/** Twilio's message statuses after which no other is expected (`read`: WhatsApp and RCS). */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['delivered', 'undelivered', 'failed', 'read']);

export class ConversationGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** PHONE_ID_KEY. */
    private readonly phoneIdKey: string,
  ) {}

  /** Resolves once the reply is in Temporal's history: after that it cannot be lost. */
  async deliverInbound(text: InboundText): Promise<void> {
    await this.client.workflow.signalWithStart<typeof phoneConversationWorkflow, [InboundReply]>(
      'phoneConversationWorkflow',
      {
        workflowId: phoneWorkflowId(text.from, this.phoneIdKey),
        taskQueue: this.taskQueue,
        args: [newPhoneWorkflowInput(text.from)],
        ...PHONE_WORKFLOW_SUMMARY,
        signal: inboundReplySignal,
        signalArgs: [{ messageSid: text.messageSid, body: text.body, receivedAt: text.receivedAt }],
      },
    );
  }

  /**
   * Hands a text's final delivery report to the appointment that sent it: one signal per text, not
   * one per status (Twilio reports queued, sent, delivered…; only the last one changes what anyone
   * does). Interim reports, reports without an appointment (texts the conversation itself sent) and
   * reports for a finished appointment are dropped; false says so.
   */
  async deliverStatus(report: DeliveryReport): Promise<boolean> {
    if (!report.appointmentId || !FINAL_STATUSES.has(report.status.toLowerCase())) return false;
    try {
      await this.client.workflow
        .getHandle(appointmentWorkflowId(report.appointmentId))
        .signal(deliveryUpdateSignal, {
          messageSid: report.messageSid,
          status: report.status,
          ...(report.errorCode !== undefined ? { errorCode: report.errorCode } : {}),
        });
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}
