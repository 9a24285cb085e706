/**
 * One appointment's lifecycle: the state machine (AppointmentState) and the duties around it.
 * Handlers only change state and say whether the main loop has work; the loop sends what is due,
 * then starts the background duties (EHR callbacks, snapshots, search attributes, phone link) and
 * sleeps until the next reminder or the next message. Delivery reports change state without
 * waking the loop: they ride along with the next snapshot.
 */
import { allHandlersFinished, condition, continueAsNew, log, workflowInfo } from '@temporalio/workflow';
import { AppointmentState } from '../../domain/appointment/appointmentState';
import { initialStateData } from '../../domain/appointment/stateData';
import type { RulesVersion } from '../../shared/rulesVersion';
import type { AppointmentView, EventEnvelope, RemindNowResult } from '../../shared/appointment';
import type { DeliveryUpdate, PatientReply, PhoneShared } from '../../shared/phone';
import { readLatestSnapshot } from './activities';
import type { AppointmentRunInput } from './input';
import { EhrCallbacks } from './ehrCallbacks';
import { Outbox } from './outbox';
import { PhoneLink } from './phoneLink';
import { SearchIndex } from './searchIndex';
import { Snapshots } from './snapshots';
import { WakeTimer } from '../wakeTimer';

export class AppointmentLifecycle {
  state: AppointmentState;
  private wake = false;
  private readonly phoneLink = new PhoneLink();
  private readonly outbox = new Outbox(this.phoneLink);
  private readonly callbacks = new EhrCallbacks(
    () => this.state,
    () => this.wakeUp(),
  );
  private readonly snapshots = new Snapshots(
    () => this.state,
    () => this.wakeUp(),
  );
  private readonly searchIndex: SearchIndex;
  private readonly timer = new WakeTimer();

  /** Lifecycles started before rules 3 carry no version: they applied version 2. */
  private readonly rules: RulesVersion;

  constructor(private readonly input: AppointmentRunInput) {
    this.rules = input.rules ?? 2;
    this.state = new AppointmentState(input.carried ?? initialStateData(input.appointmentId), this.rules);
    this.searchIndex = new SearchIndex(input.indexSearchAttributes !== false);
  }

  /**
   * A new run for an appointment whose earlier run completed (retention passed) continues from its
   * last snapshot, so late events are still ordered and de-duplicated against what went before.
   */
  async seed(): Promise<void> {
    if (this.input.carried) return;
    const seeded = await readLatestSnapshot(this.input.appointmentId);
    if (seeded) this.state = new AppointmentState(seeded, this.rules);
  }

  view(): AppointmentView {
    return this.state.view();
  }

  applyEvent(envelope: EventEnvelope): void {
    const outcome = this.state.applyEvent(envelope, Date.now());
    log.info('EHR event', { eventId: envelope.event.eventId, eventType: envelope.event.eventType, outcome });
    this.wakeUp();
  }

  applyReply(reply: PatientReply): void {
    this.phoneLink.routed(reply);
    const applied = this.state.applyPatientReply(reply, Date.now());
    log.info('patient reply', { kind: reply.kind, messageSid: reply.messageSid, applied });
    this.wakeUp();
  }

  /** The operator's "send the next reminder now" (an update): the loop sends it on its next turn. */
  remindNow(): RemindNowResult {
    const result = this.state.remindNow(Date.now());
    log.info('send next reminder now', { result });
    if ('reminder' in result) this.wakeUp();
    return result;
  }

  /** Twilio's final report on one text: recorded, nothing to do now. */
  recordDelivery(update: DeliveryUpdate): void {
    this.state.recordDelivery(update);
  }

  /** The number's conversation says other appointments share the number: reserve reminders there. */
  phoneShared({ phone }: PhoneShared): void {
    if (this.state.data.details?.patient.phone !== phone) return;
    this.state.data.sharedPhone = phone;
  }

  async run(): Promise<AppointmentView> {
    for (;;) {
      this.state.queueDueReminders(Date.now());
      await this.phoneLink.leaveOldNumber(this.state);
      const pending = this.state.pendingMessages()[0];
      if (pending) {
        // Since rules 3 the EHR hears of a reply first: its acknowledgement text may retry for an hour.
        if (this.rules >= 3) await this.callbacks.startBeforeTexts();
        await this.outbox.deliver(this.state, pending);
        continue;
      }
      await this.phoneLink.sync(this.state);
      this.callbacks.sync();
      this.searchIndex.sync(this.state);
      this.snapshots.sync();
      if (this.state.isFinished(Date.now()) && !this.callbacks.busy) break;
      if (workflowInfo().continueAsNewSuggested && !this.snapshots.busy && !this.callbacks.busy) {
        await condition(allHandlersFinished);
        await continueAsNew<(input: AppointmentRunInput) => Promise<AppointmentView>>({
          ...this.input,
          carried: this.state.data,
        });
      }
      this.wake = false;
      await this.timer.sleep(this.state.nextWakeAtMs(), () => this.wake);
    }
    this.state.complete();
    this.searchIndex.sync(this.state);
    // An event or reply that lands while the last snapshot is written is snapshotted too, and acted
    // on by a new run rather than recorded as seen and dropped.
    for (let version = -1; version !== this.state.data.version;) {
      version = this.state.data.version;
      await this.snapshots.flush();
      await condition(allHandlersFinished);
    }
    if (this.hasWorkLeft()) {
      await continueAsNew<(input: AppointmentRunInput) => Promise<AppointmentView>>({
        ...this.input,
        carried: this.state.data,
      });
    }
    return this.state.view();
  }

  /** Texts, EHR callbacks or reminders that something arriving at the very end called for. */
  private hasWorkLeft(): boolean {
    return (
      this.state.pendingMessages().length > 0 ||
      this.state.pendingCallbacks().length > 0 ||
      this.state.nextReminderAtMs() !== undefined
    );
  }

  private wakeUp(): void {
    this.wake = true;
  }
}
