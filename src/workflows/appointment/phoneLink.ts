/**
 * What the number's conversation (phone workflow) knows of this appointment, kept current without
 * waiting on it: a change rides on the next text's local activity, or goes alone when no text is
 * due. The phone workflow answers only when it matters (STOP said earlier; a shared number).
 */
import { log, workflowInfo } from '@temporalio/workflow';
import type { AppointmentState } from '../../domain/appointment/appointmentState';
import type { AppointmentEvent } from '../../shared/appointment';
import type { MessageRecord } from '../../domain/appointment/records';
import { statusAfterReply } from '../../domain/replies/statusAfterReply';
import type { LinkedAppointment, PatientReply } from '../../shared/phone';
import { linkToPhone, unlinkFromPhone } from './activities';
import { describeFailure } from './failures';

export interface PhoneLinkRequest {
  phone: string;
  appointment: LinkedAppointment;
}

/** Texts that ask the patient to confirm or cancel. */
const PROMPTS = new Set(['BOOKED', 'REMINDER']);

export class PhoneLink {
  /** The appointment as the conversation last learnt it from us, or undefined. */
  private known: PhoneLinkRequest | undefined;

  /** The link to send with `message` when, once it is out, the conversation would know less. */
  withText(state: AppointmentState, message: MessageRecord): PhoneLinkRequest | undefined {
    const link = describe(state, PROMPTS.has(message.kind));
    return link && !this.knows(link) ? link : undefined;
  }

  /** The conversation now knows `link` (its text went out with it). */
  linked(link: PhoneLinkRequest): void {
    this.known = link;
  }

  /**
   * The conversation routed us this reply and updated our status on its side by the rule we apply
   * too (statusAfterReply), so a status change that follows from it needs no link of its own.
   */
  routed(reply: PatientReply): void {
    if (!this.known) return;
    const status = statusAfterReply(this.known.appointment.status, reply.kind);
    this.known = { ...this.known, appointment: { ...this.known.appointment, status } };
  }

  private knows(link: PhoneLinkRequest): boolean {
    return this.known !== undefined && keyOf(this.known) === keyOf(link);
  }

  /**
   * When the patient's number changed (a MODIFIED with a new phone), tells the old number's
   * conversation to forget the appointment, before anything goes to the new one.
   */
  async leaveOldNumber(state: AppointmentState): Promise<void> {
    const { details } = state.data;
    // No number any more (the EHR sent none that can be texted) leaves the old one as a new number does.
    if (!this.known || !details || this.known.phone === details.patient.phone) return;
    try {
      await unlinkFromPhone(this.known.phone, this.known.appointment.appointmentId);
      this.known = undefined;
    } catch (err) {
      // Not taken within its bound (a day): tried again on the next wake-up.
      log.error('phone unlink failed', { error: describeFailure(err) });
    }
  }

  /** Sends a change no text carried (e.g. a status change whose text was skipped). */
  async sync(state: AppointmentState): Promise<void> {
    const link = describe(state, false);
    if (!link || this.knows(link)) return;
    try {
      await linkToPhone(link.phone, link.appointment);
      this.linked(link);
    } catch (err) {
      // Not taken within its bound (a day): tried again on the next change.
      log.error('phone link failed', { error: describeFailure(err) });
    }
  }
}

function describe(state: AppointmentState, prompting: boolean): PhoneLinkRequest | undefined {
  const { details, policy, status } = state.data;
  if (!details || details.patient.phone === undefined) return undefined;
  const provider = providerNameOf(details);
  return {
    phone: details.patient.phone,
    appointment: {
      appointmentId: details.appointmentId,
      workflowId: workflowInfo().workflowId,
      status,
      start: details.start,
      timeZone: details.timeZone,
      language: details.patient.language,
      ...(details.patient.firstName ? { firstName: details.patient.firstName } : {}),
      ...(provider ? { provider } : {}),
      ...(details.provider?.callbackPhone ? { callbackPhone: details.provider.callbackPhone } : {}),
      prompted: prompting || state.prompted(),
      maxRemindersPerDay: policy?.maxRemindersPerPhonePerDay ?? 2,
    },
  };
}

function keyOf(link: PhoneLinkRequest): string {
  return JSON.stringify([link.phone, link.appointment]);
}

/** "Jo Smith", or '' when the EHR sent no provider name. */
export function providerNameOf(details: AppointmentEvent): string {
  return [details.provider?.firstName, details.provider?.lastName].filter(Boolean).join(' ');
}
