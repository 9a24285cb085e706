/**
 * One phone number's conversation: opt-out, the daily reminder allowance, and which appointment a
 * reply is about. Pure (time is a parameter); the phone workflow wires it to signals and updates.
 */
import { parseChoice, parseReply } from '../replies/parseReply';
import { statusAfterReply } from '../replies/statusAfterReply';
import { CURRENT_RULES, type RulesVersion } from '../../shared/rulesVersion';
import type {
  InboundReply,
  LinkedAppointment,
  PatientReply,
  ReminderReservation,
  ReservationAnswer,
} from '../../shared/phone';
import type { PhoneStateData } from './records';

const MAX_SEEN_SIDS = 200;
const MAX_RESERVATIONS = 200;
/** Appointments this long past their start no longer take replies and are forgotten. */
const FORGET_AFTER_MS = 7 * 24 * 3_600_000;
/** A which-one question left unanswered this long is dropped; a later number is read afresh. */
const CHOICE_TTL_MS = 24 * 3_600_000;
/**
 * A conversation with nothing open ends this long after its last reply or link (rules 3): long
 * enough for Twilio's webhook retries and a patient's "thanks", short enough that idle numbers cost nothing.
 */
export const IDLE_AFTER_MS = 24 * 3_600_000;

export type ConversationAction =
  | { type: 'route'; workflowId: string; appointmentId: string; reply: PatientReply }
  | { type: 'text'; kind: 'HELP' | 'NOT_UNDERSTOOD' | 'DISAMBIGUATE'; key: string }
  /** Tell the appointment its number is shared: it reserves reminders here from then on. */
  | { type: 'shared'; workflowId: string; appointmentId: string };

export function initialPhoneState(phone: string): PhoneStateData {
  return {
    phone,
    optedOut: false,
    appointments: [],
    awaitingChoice: null,
    seenMessageSids: [],
    reservations: [],
    outbox: [],
    version: 0,
  };
}

const OPEN_FOR_REPLIES = new Set(['BOOKED', 'CONFIRMED', 'CANCEL_REQUESTED']);
/** Statuses in which an appointment may still send reminders. */
const REMINDING = new Set(['BOOKED', 'CONFIRMED']);

export interface ConversationOptions {
  /**
   * Routing a confirm or cancel request also updates the appointment's status as known here
   * (statusAfterReply), the rule the appointment applies too; so it need not link again. Off for
   * runs started before the lean lifecycle, whose histories were recorded without it.
   */
  assumeRepliesApplied?: boolean;
  /** The rules this run applies (default the newest; runs started before version 2 pass 1). */
  rules?: RulesVersion;
}

export class ConversationState {
  constructor(
    readonly data: PhoneStateData,
    private readonly options: ConversationOptions = {},
  ) {}

  private get rules(): RulesVersion {
    return this.options.rules ?? CURRENT_RULES;
  }

  /**
   * When this conversation has nothing left to do (rules 3): a day after its last reply or link,
   * after the start of every appointment still open for replies, and after an open which-one
   * question expires. It then ends; its opt-out state is kept for the next one.
   */
  idleAtMs(): number {
    const times = [
      Date.parse(this.data.lastActivityAt ?? '') + IDLE_AFTER_MS,
      ...this.data.appointments.filter((a) => OPEN_FOR_REPLIES.has(a.status)).map((a) => Date.parse(a.start)),
      ...(this.data.awaitingChoice ? [Date.parse(this.data.awaitingChoice.askedAt) + CHOICE_TTL_MS] : []),
    ].filter((t) => !Number.isNaN(t));
    return Math.max(0, ...times);
  }

  isIdle(nowMs: number): boolean {
    return nowMs >= this.idleAtMs();
  }

  /** Records (or refreshes) an appointment texted to this number. */
  link(appointment: LinkedAppointment, nowMs: number): void {
    this.data.lastActivityAt = new Date(nowMs).toISOString();
    const before = this.data.appointments.find((a) => a.appointmentId === appointment.appointmentId);
    // A new prompt (booking text) makes an old which-one question stale: "2" now answers the prompt.
    if (appointment.prompted && !before?.prompted) {
      this.data.awaitingChoice = null;
      this.data.lastPrompt = { appointmentId: appointment.appointmentId, language: appointment.language };
    }
    const rest = this.data.appointments.filter((a) => a.appointmentId !== appointment.appointmentId);
    this.data.appointments = [...rest, appointment].filter(
      (a) => Date.parse(a.start) + FORGET_AFTER_MS > nowMs,
    );
    this.data.version += 1;
  }

  /**
   * Forgets an appointment that moved to another number: its replies, STOP and START no longer
   * reach it, and an open which-one question stops offering it.
   */
  forget(appointmentId: string): void {
    this.data.appointments = this.data.appointments.filter((a) => a.appointmentId !== appointmentId);
    this.data.sharedNotified = (this.data.sharedNotified ?? []).filter((id) => id !== appointmentId);
    // The list the patient saw no longer holds: a number could pick an appointment gone elsewhere.
    if (this.data.awaitingChoice?.options.includes(appointmentId)) this.data.awaitingChoice = null;
    this.data.version += 1;
  }

  /**
   * Links an appointment that announced itself by signal (the lean lifecycle, which does not wait
   * for an answer) and says what appointments must learn: an OPT_OUT reply for a new appointment on
   * a number that said STOP, and `shared` for each one not yet told that the number carries more
   * than one appointment that may still send reminders.
   */
  announce(appointment: LinkedAppointment, nowMs: number): ConversationAction[] {
    const known = this.data.appointments.some((a) => a.appointmentId === appointment.appointmentId);
    this.link(appointment, nowMs);
    const actions: ConversationAction[] = [];
    if (this.data.optedOut && !known) {
      actions.push({
        type: 'route',
        workflowId: appointment.workflowId,
        appointmentId: appointment.appointmentId,
        reply: {
          kind: 'OPT_OUT',
          messageSid: `phone-optout-${appointment.appointmentId}`,
          replyText: '',
          receivedAt: new Date(nowMs).toISOString(),
        },
      });
    }
    return [...actions, ...this.sharedNotices(nowMs)];
  }

  /** `shared` actions for appointments not yet told; remembers them as told. */
  sharedNotices(nowMs: number): ConversationAction[] {
    const reminding = this.data.appointments.filter(
      (a) => REMINDING.has(a.status) && Date.parse(a.start) > nowMs,
    );
    const linked = new Set(this.data.appointments.map((a) => a.appointmentId));
    const told = (this.data.sharedNotified ?? []).filter((id) => linked.has(id));
    if (reminding.length < 2) {
      this.data.sharedNotified = told;
      return [];
    }
    const fresh = reminding.filter((a) => !told.includes(a.appointmentId));
    this.data.sharedNotified = [...told, ...fresh.map((a) => a.appointmentId)];
    return fresh.map((a) => ({
      type: 'shared' as const,
      workflowId: a.workflowId,
      appointmentId: a.appointmentId,
    }));
  }

  /** Grants or refuses one reminder: opted-out numbers get none, and at most N per local day. */
  reserve(request: ReminderReservation, maxPerDay: number): ReservationAnswer {
    const earlier = this.data.reservations.find((r) => r.messageKey === request.messageKey);
    if (earlier) {
      return earlier.allowed
        ? { allowed: true }
        : { allowed: false, reason: earlier.reason as 'OPTED_OUT' | 'DAILY_CAP' };
    }
    let answer: ReservationAnswer;
    if (this.data.optedOut) answer = { allowed: false, reason: 'OPTED_OUT' };
    else {
      const sameDay = this.data.reservations.filter(
        (r) => r.allowed && !r.released && r.localDay === request.localDay,
      ).length;
      answer = sameDay >= maxPerDay ? { allowed: false, reason: 'DAILY_CAP' } : { allowed: true };
    }
    // A reminder is a new prompt: an unanswered which-one question no longer applies. Since rules 2
    // only a reminder that goes out for one of the appointments the question listed closes it.
    const closesQuestion =
      this.rules < 2 ||
      (answer.allowed && (this.data.awaitingChoice?.options.includes(request.appointmentId) ?? false));
    if (closesQuestion) this.data.awaitingChoice = null;
    const reminded = this.data.appointments.find((a) => a.appointmentId === request.appointmentId);
    if (answer.allowed && reminded) {
      this.data.lastPrompt = { appointmentId: reminded.appointmentId, language: reminded.language };
    }
    this.data.reservations.push({
      messageKey: request.messageKey,
      localDay: request.localDay,
      allowed: answer.allowed,
      ...(answer.allowed ? {} : { reason: answer.reason }),
    });
    if (this.data.reservations.length > MAX_RESERVATIONS) this.data.reservations.shift();
    this.data.version += 1;
    return answer;
  }

  /** A granted reminder that did not go out: the cap counts texts sent, not reservations. */
  release(messageKey: string): void {
    const reservation = this.data.reservations.find((r) => r.messageKey === messageKey && r.allowed);
    if (!reservation || reservation.released) return;
    reservation.released = true;
    this.data.version += 1;
  }

  /** Reads one inbound text and says what to do: route it to an appointment, or answer it. */
  receive(inbound: InboundReply, nowMs: number): ConversationAction[] {
    if (this.data.seenMessageSids.includes(inbound.messageSid)) return [];
    this.data.lastActivityAt = new Date(nowMs).toISOString();
    this.data.seenMessageSids.push(inbound.messageSid);
    if (this.data.seenMessageSids.length > MAX_SEEN_SIDS) this.data.seenMessageSids.shift();
    this.data.version += 1;

    const reply = (kind: PatientReply['kind']): PatientReply => ({
      kind,
      messageSid: inbound.messageSid,
      replyText: inbound.body,
      receivedAt: inbound.receivedAt,
    });
    const parsed = parseReply(inbound.body, this.language());

    // Carrier keywords win over everything, including an open which-one question.
    if (parsed.kind === 'OPT_OUT' || parsed.kind === 'OPT_IN') {
      this.data.optedOut = parsed.kind === 'OPT_OUT';
      this.data.awaitingChoice = null;
      // Twilio (and carriers) answer STOP/START themselves; we only tell every appointment.
      return this.data.appointments.map((a) => ({
        type: 'route' as const,
        workflowId: a.workflowId,
        appointmentId: a.appointmentId,
        reply: reply(parsed.kind as 'OPT_OUT' | 'OPT_IN'),
      }));
    }

    const pending = this.data.awaitingChoice;
    if (pending && nowMs - Date.parse(pending.askedAt) < CHOICE_TTL_MS) {
      const choice = parseChoice(inbound.body);
      const chosen = choice !== undefined ? pending.options[choice - 1] : undefined;
      const target = chosen ? this.data.appointments.find((a) => a.appointmentId === chosen) : undefined;
      if (target) {
        this.data.awaitingChoice = null;
        return [
          this.route(target, {
            ...reply(pending.kind),
            replyText: `${pending.replyText} (choice ${choice})`,
          }),
        ];
      }
    }
    this.data.awaitingChoice = null;

    if (parsed.kind === 'HELP') return this.text('HELP', inbound);
    if (parsed.kind !== 'CONFIRM' && parsed.kind !== 'CANCEL_REQUEST')
      return this.text('NOT_UNDERSTOOD', inbound);

    const candidates = this.candidates(parsed.kind, nowMs);
    if (candidates.length === 0) return this.text('NOT_UNDERSTOOD', inbound);
    if (candidates.length === 1) {
      const [only] = candidates as [LinkedAppointment];
      return [this.route(only, reply(parsed.kind))];
    }
    // A shared phone (a parent with several children's visits): never guess, ask which one.
    this.data.awaitingChoice = {
      kind: parsed.kind,
      replyText: inbound.body,
      options: candidates.map((a) => a.appointmentId),
      askedAt: new Date(nowMs).toISOString(),
    };
    return this.text('DISAMBIGUATE', inbound);
  }

  private route(target: LinkedAppointment, reply: PatientReply): ConversationAction {
    if (this.options.assumeRepliesApplied)
      target.status = statusAfterReply(target.status, reply.kind, this.rules);
    return { type: 'route', workflowId: target.workflowId, appointmentId: target.appointmentId, reply };
  }

  /** The appointments a choice list shows, in the order of the open question. */
  choiceAppointments(): LinkedAppointment[] {
    const options = this.data.awaitingChoice?.options ?? [];
    return options
      .map((id) => this.data.appointments.find((a) => a.appointmentId === id))
      .filter((a): a is LinkedAppointment => a !== undefined);
  }

  /**
   * The language replies are read and answered in: since rules 3 that of the last prompt sent to
   * this number (the text the patient answers); before, and until a prompt is known, that of the
   * appointment furthest ahead.
   */
  language(): string {
    if (this.rules >= 3 && this.data.lastPrompt) return this.data.lastPrompt.language;
    const latest = [...this.data.appointments].sort((a, b) => Date.parse(b.start) - Date.parse(a.start))[0];
    return latest?.language ?? 'en';
  }

  private candidates(kind: 'CONFIRM' | 'CANCEL_REQUEST', nowMs: number): LinkedAppointment[] {
    const open = this.data.appointments
      .filter((a) => a.prompted && OPEN_FOR_REPLIES.has(a.status) && Date.parse(a.start) > nowMs)
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    if (kind === 'CANCEL_REQUEST') return open.filter((a) => a.status !== 'CANCEL_REQUESTED');
    // "Yes" most likely answers the appointment still waiting for a confirmation; since rules 2 it
    // takes back a cancel request (rather than "not understood" on a number with only that one).
    const unconfirmed = open.filter((a) => a.status === 'BOOKED');
    if (unconfirmed.length > 0) return unconfirmed;
    const cancelRequested = open.filter((a) => a.status === 'CANCEL_REQUESTED');
    if (this.rules >= 2 && cancelRequested.length > 0) return cancelRequested;
    return open.filter((a) => a.status === 'CONFIRMED');
  }

  private text(
    kind: 'HELP' | 'NOT_UNDERSTOOD' | 'DISAMBIGUATE',
    inbound: InboundReply,
  ): ConversationAction[] {
    if (this.data.optedOut && kind !== 'HELP') return [];
    const key = `${inbound.messageSid}:${kind}`;
    return [{ type: 'text', kind, key }];
  }
}
