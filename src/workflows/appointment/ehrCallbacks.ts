/**
 * Patients' replies on their way to the EHR (ARCHITECTURE §5), in the background: an EHR down for
 * hours must not hold back texts. The first try runs as a local activity in the workflow task;
 * if a retry could help, the callback continues as an ordinary activity retried until the EHR
 * acknowledges it. Both send the same body under the same Idempotency-Key.
 */
import { ApplicationFailure, log } from '@temporalio/workflow';
import type { AppointmentState } from '../../domain/appointment/appointmentState';
import { EHR_CALLBACK_REJECTED } from '../../shared/activityOptions';
import type { EhrCallbackRecord } from '../../domain/appointment/records';
import { notifyEhr, notifyEhrFirstTry } from './activities';
import { causeOf, describeFailure } from './failures';

type CallbackInput = Parameters<typeof notifyEhr>[0];

export class EhrCallbacks {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly state: () => AppointmentState,
    /** Called when a callback ends (delivered or rejected), so the lifecycle looks again. */
    private readonly onSettled: () => void,
  ) {}

  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Starts every pending callback that is not already on its way. */
  sync(): void {
    this.launch();
  }

  /**
   * Starts every pending callback and waits until each one's first try has ended (delivered, or
   * handed to an ordinary activity that retries it in the background). Texts sent after it never
   * run beside a first try: two local activities in flight at once would make the history depend
   * on which one finishes first.
   */
  async startBeforeTexts(): Promise<void> {
    await Promise.all(this.launch());
  }

  private launch(): Array<Promise<void>> {
    const { details } = this.state().data;
    if (!details) return [];
    const firstTries: Array<Promise<void>> = [];
    for (const callback of this.state().pendingCallbacks()) {
      if (this.inFlight.has(callback.key)) continue;
      let firstTryEnded: () => void = () => undefined;
      firstTries.push(new Promise<void>((resolve) => (firstTryEnded = resolve)));
      const done = deliver(inputOf(callback, details.appointmentId), firstTryEnded).then(
        () => this.state().recordCallbackDelivered(callback.key, Date.now()),
        (err: unknown) => {
          const reason = describeFailure(err);
          log.error('EHR callback rejected', { key: callback.key, reason });
          this.state().recordCallbackRejected(callback.key, reason);
        },
      );
      this.inFlight.set(
        callback.key,
        done.finally(() => {
          this.inFlight.delete(callback.key);
          this.onSettled();
        }),
      );
    }
    return firstTries;
  }
}

async function deliver(input: CallbackInput, firstTryEnded: () => void): Promise<void> {
  try {
    await notifyEhrFirstTry(input);
    firstTryEnded();
  } catch (err) {
    firstTryEnded();
    const cause = causeOf(err);
    if (cause instanceof ApplicationFailure && cause.type === EHR_CALLBACK_REJECTED) throw err;
    await notifyEhr(input);
  }
}

function inputOf(callback: EhrCallbackRecord, appointmentId: string): CallbackInput {
  return {
    idempotencyKey: callback.key,
    body: {
      event_type: callback.type,
      appointment_id: appointmentId,
      patient_id: callback.patientId,
      ...(callback.providerId ? { provider_id: callback.providerId } : {}),
      event_datetime_utc: callback.repliedAt,
      reply_text: callback.replyText,
    },
  };
}
