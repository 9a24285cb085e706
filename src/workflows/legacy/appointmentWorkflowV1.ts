/**
 * FROZEN: the first appointment workflow (type `appointmentWorkflow`), kept only so that runs started
 * before the lean lifecycle (`appointmentLifecycle`, src/workflows/appointment/) finish on the code
 * they started with; its recorded histories in test/fixtures/histories/v1 replay against it. Do not
 * change it. Delete it (and its activities linkAppointmentToPhone) once no `appointmentWorkflow`
 * run is open: `temporal workflow count --query 'WorkflowType="appointmentWorkflow" AND
 * ExecutionStatus="Running"'` answers 0 (at the latest retention, 72 h by default, after the last
 * appointment booked before the upgrade).
 *
 * One workflow per appointment, alive from the first EHR event until the retention period after
 * the appointment. It applies events (via AppointmentState), sends the texts they call for, and
 * sleeps until the next reminder on a timer that any new event wakes early.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { AppointmentState } from '../../domain/appointment/appointmentState';
import { initialStateData } from '../../domain/appointment/stateData';
// Frozen: its open runs keep the rules they started with.
import { FIRST_RULES } from '../../shared/rulesVersion';
import {
  appointmentViewQuery,
  ehrEventSignal,
  hasSeenEventQuery,
  type AppointmentEvent,
  type AppointmentView,
} from '../../shared/appointment';
import type { MessageRecord } from '../../domain/appointment/records';
import type { AppointmentRunInput } from '../appointment/input';
import { SEARCH_ATTRIBUTES } from '../../shared/temporal';
import { NOTIFY_EHR_OPTIONS, SEND_SMS_OPTIONS } from '../../shared/activityOptions';
import { deliveryUpdateSignal, patientReplySignal, type LinkedAppointment } from '../../shared/phone';
import { DateTime } from 'luxon';

const { sendSms } = proxyActivities<Activities>(SEND_SMS_OPTIONS);

const { linkAppointmentToPhone, reserveReminder } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { notifyEhr } = proxyActivities<Activities>(NOTIFY_EHR_OPTIONS);

const { writeSnapshot, readLatestSnapshot } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Snapshots must eventually land; they never block texts (written in the background below).
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export async function appointmentWorkflow(input: AppointmentRunInput): Promise<AppointmentView> {
  // A new run for an appointment whose earlier run completed (retention passed) continues from its
  // last snapshot, so late events are still ordered and de-duplicated against what went before.
  // Signals wait in a buffer until their handler is set below, so none is applied to an empty state.
  let state = new AppointmentState(input.carried ?? initialStateData(input.appointmentId), FIRST_RULES);
  // Queries answer from the first activation on (the API may ask while the snapshot is read).
  setHandler(appointmentViewQuery, () => state.view());
  setHandler(hasSeenEventQuery, (eventId) => state.hasSeen(eventId));
  if (!input.carried) {
    const seeded = await readLatestSnapshot(input.appointmentId);
    if (seeded) state = new AppointmentState(seeded, FIRST_RULES);
  }
  let wake = false;

  setHandler(ehrEventSignal, (envelope) => {
    const outcome = state.applyEvent(envelope, Date.now());
    log.info('EHR event', { eventId: envelope.event.eventId, eventType: envelope.event.eventType, outcome });
    wake = true;
  });
  setHandler(patientReplySignal, (reply) => {
    const applied = state.applyPatientReply(reply, Date.now());
    log.info('patient reply', { kind: reply.kind, messageSid: reply.messageSid, applied });
    wake = true;
  });
  setHandler(deliveryUpdateSignal, (update) => {
    if (state.recordDelivery(update)) wake = true;
  });
  let snapshotVersion = -1;
  let snapshotInFlight: Promise<void> | undefined;
  const snapshotInBackground = (): void => {
    if (snapshotInFlight || state.data.version === snapshotVersion || !state.data.policy) return;
    const version = state.data.version;
    // Snapshots coalesce state changes made while a write is in flight; their own sequence keeps
    // the history contiguous (1, 2, 3…: one object per snapshot version, no gaps).
    const sequence = (state.data.snapshotSequence ?? 0) + 1;
    state.data.snapshotSequence = sequence;
    snapshotInFlight = writeSnapshot({
      schemaVersion: 1,
      appointmentId: state.data.appointmentId,
      version: sequence,
      status: state.data.status,
      writtenAt: new Date().toISOString(),
      state: JSON.parse(JSON.stringify(state.data)) as unknown,
    }).then(
      () => {
        snapshotVersion = version;
        snapshotInFlight = undefined;
        wake = true;
      },
      (err: unknown) => {
        // Only a non-retryable failure lands here; keep serving the patient and try again on the next change.
        log.error('snapshot failed', { version, error: String(err) });
        snapshotInFlight = undefined;
      },
    );
  };

  let indexed = '';
  const updateSearchAttributes = (): void => {
    const { details, policy, status } = state.data;
    const next = state.nextReminderAtMs();
    const key = `${status}|${details?.start}|${next}`;
    if (!details || key === indexed || input.indexSearchAttributes === false) return;
    indexed = key;
    upsertSearchAttributes({
      [SEARCH_ATTRIBUTES.appointmentId.name]: [state.data.appointmentId],
      [SEARCH_ATTRIBUTES.appointmentStatus.name]: [status],
      [SEARCH_ATTRIBUTES.appointmentStart.name]: [new Date(details.start)],
      [SEARCH_ATTRIBUTES.nextReminderAt.name]: next === undefined ? [] : [new Date(next)],
      [SEARCH_ATTRIBUTES.customerCode.name]: policy ? [policy.customerCode] : [],
    });
  };

  // Replies go to the EHR in the background: an EHR down for hours must not hold back texts.
  const callbacksInFlight = new Map<string, Promise<void>>();
  const startCallbacks = (): void => {
    const { details } = state.data;
    if (!details) return;
    for (const callback of state.pendingCallbacks()) {
      if (callbacksInFlight.has(callback.key)) continue;
      const done = notifyEhr({
        idempotencyKey: callback.key,
        body: {
          event_type: callback.type,
          appointment_id: details.appointmentId,
          patient_id: callback.patientId,
          ...(callback.providerId ? { provider_id: callback.providerId } : {}),
          event_datetime_utc: callback.repliedAt,
          reply_text: callback.replyText,
        },
      }).then(
        () => state.recordCallbackDelivered(callback.key, Date.now()),
        (err: unknown) => {
          const cause = err instanceof ActivityFailure ? err.cause : err;
          const reason =
            cause instanceof ApplicationFailure ? `${cause.type}: ${cause.message}` : String(cause);
          log.error('EHR callback rejected', { key: callback.key, reason });
          state.recordCallbackRejected(callback.key, reason);
        },
      );
      callbacksInFlight.set(
        callback.key,
        done.finally(() => {
          callbacksInFlight.delete(callback.key);
          wake = true;
        }),
      );
    }
  };

  let linkedKey = '';
  const linkToPhone = async (): Promise<void> => {
    const { details, policy, status } = state.data;
    // Events without a number to text came after this type was frozen: such a run links nothing.
    if (!details || details.patient.phone === undefined) return;
    const providerName = providerNameOf(details);
    const linked: LinkedAppointment = {
      appointmentId: details.appointmentId,
      workflowId: workflowInfo().workflowId,
      status,
      start: details.start,
      timeZone: details.timeZone,
      language: details.patient.language,
      ...(details.patient.firstName ? { firstName: details.patient.firstName } : {}),
      ...(providerName ? { provider: providerName } : {}),
      ...(details.provider?.callbackPhone ? { callbackPhone: details.provider.callbackPhone } : {}),
      prompted: state.prompted(),
      maxRemindersPerDay: policy?.maxRemindersPerPhonePerDay ?? 2,
    };
    const key = JSON.stringify([details.patient.phone, linked]);
    if (key === linkedKey) return;
    const { optedOut } = await linkAppointmentToPhone(details.patient.phone, linked);
    linkedKey = key;
    // The number said STOP before this appointment was linked to it (e.g. a sibling's appointment).
    if (optedOut && !state.data.optedOut) {
      state.applyPatientReply(
        {
          kind: 'OPT_OUT',
          messageSid: `phone-link-${state.data.version}`,
          replyText: '',
          receivedAt: new Date().toISOString(),
        },
        Date.now(),
      );
    }
  };

  const deliver = async (message: MessageRecord): Promise<void> => {
    const { details } = state.data;
    if (!details) return;
    const to = details.patient.phone;
    if (to === undefined) {
      state.suppressMessage(message.key, details.patient.phoneProblem ?? 'NO_PHONE');
      return;
    }
    if (message.kind === 'REMINDER') {
      // The phone's conversation owns opt-out and the per-number daily allowance (shared phones).
      const localDay = DateTime.fromMillis(Date.now(), { zone: details.timeZone }).toISODate() ?? '';
      const answer = await reserveReminder(to, {
        appointmentId: details.appointmentId,
        messageKey: message.key,
        localDay,
      });
      if (!answer.allowed) {
        log.info('reminder suppressed', { messageKey: message.key, reason: answer.reason });
        state.suppressMessage(message.key, answer.reason);
        return;
      }
      // A cancellation, reschedule or opt-out may have arrived while the reservation was pending.
      if (message.status !== 'PENDING') return;
    }
    return send(message, state.data.details ?? details, to);
  };

  const send = async (message: MessageRecord, details: AppointmentEvent, to: string): Promise<void> => {
    const kind =
      message.kind === 'REMINDER' && state.data.status === 'CONFIRMED' ? 'REMINDER_CONFIRMED' : message.kind;
    const providerName = providerNameOf(details);
    try {
      const result = await sendSms({
        messageKey: message.key,
        appointmentId: details.appointmentId,
        to: details.patient.phone ?? to,
        kind,
        context: {
          language: details.patient.language,
          firstName: details.patient.firstName,
          provider: providerName || undefined,
          location: details.location,
          start: details.start,
          zone: details.timeZone,
          callbackPhone: details.provider?.callbackPhone,
        },
      });
      state.recordSent(message.key, result, Date.now());
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      const failure =
        cause instanceof ApplicationFailure
          ? {
              type: cause.type ?? 'ApplicationFailure',
              code: numericCode(cause.details?.[0]),
              message: cause.message,
            }
          : { type: 'SmsSendFailed', message: cause instanceof Error ? cause.message : String(cause) };
      log.warn('text not sent', { messageKey: message.key, type: failure.type, code: failure.code });
      state.recordFailed(message.key, failure);
    }
  };

  for (;;) {
    state.queueDueReminders(Date.now());
    // Linked before any text goes out: the phone may already have said STOP.
    await linkToPhone();
    const pending = state.pendingMessages()[0];
    if (pending) {
      await deliver(pending);
      continue;
    }
    startCallbacks();
    updateSearchAttributes();
    snapshotInBackground();
    if (state.isFinished(Date.now()) && callbacksInFlight.size === 0) break;
    if (workflowInfo().continueAsNewSuggested && !snapshotInFlight && callbacksInFlight.size === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof appointmentWorkflow>({ ...input, carried: state.data });
    }
    wake = false;
    const wakeAt = state.nextWakeAtMs();
    if (wakeAt === undefined) await condition(() => wake);
    else await condition(() => wake, Math.max(1, wakeAt - Date.now()));
  }

  state.complete();
  await linkToPhone();
  updateSearchAttributes();
  await snapshotInFlight;
  snapshotInBackground();
  await snapshotInFlight;
  await condition(allHandlersFinished);
  return state.view();
}

function numericCode(details: unknown): number | undefined {
  if (details && typeof details === 'object' && 'code' in details) {
    const code = Number((details as { code: unknown }).code);
    return Number.isFinite(code) ? code : undefined;
  }
  return undefined;
}

/** "Jo Smith", or '' when the EHR sent no provider name. */
function providerNameOf(details: AppointmentEvent): string {
  return [details.provider?.firstName, details.provider?.lastName].filter(Boolean).join(' ');
}
