/**
 * What an applied EHR event changes: the appointment's status, its reminder plan and the texts it
 * calls for, by event type and by what was true before (new, active or closed; the start or number
 * changed). Rules that changed after runs had started are behind the run's `rules` version.
 */
import type { EventEnvelope } from '../../shared/appointment';
import type { AppointmentStateData } from './records';
import type { RulesVersion } from '../../shared/rulesVersion';
import { admitEvent, type ApplyOutcome } from './eventOrder';
import { optIn, optOut } from './optOut';
import { replan, stopReminders } from './reminders';
import { ACTIVE, bump, REMINDED } from './stateData';
import { untextableReasonOf } from './textability';
import { queueEventText, skipPendingTexts } from './texts';

/** Applies one EHR event: idempotent by event id, ordered by the EHR's event time. */
export function applyEvent(
  data: AppointmentStateData,
  rules: RulesVersion,
  { event: ingested, policy }: EventEnvelope,
  nowMs: number,
): ApplyOutcome {
  const admitted = admitEvent(data, ingested);
  if (typeof admitted === 'string') return admitted;
  const event = admitted;
  const previous = data.details;
  // Opt-in/opt-out events carry the appointment's details but book nothing: until an appointment
  // event has been applied (which plans, or sets a non-initial status) the appointment is new.
  const isNew = data.generation === 0 && data.status === 'BOOKED';
  const wasActive = !isNew && ACTIVE.has(data.status);
  const closed = !isNew && !wasActive;
  const startChanged = previous === null || previous.start !== event.start;
  const generationBefore = data.generation;
  data.details = event;
  data.policy = policy;
  data.lastEventAt = event.eventAt;
  setUntextable(data, untextableReasonOf(event, nowMs));
  // No number to text (the EHR sent none that can be): texts decided for the old one are not sent.
  if (event.patient.phone === undefined) {
    const problem = event.patient.phoneProblem ?? 'NO_PHONE';
    skipPendingTexts(data, problem, 'SUPPRESSED', problem);
  }
  // The patient heard nothing yet and now has a number: the first text they get is the booking's.
  const firstText =
    previous !== null &&
    previous.patient.phone === undefined &&
    event.patient.phone !== undefined &&
    !data.messages.some((m) => m.sid !== undefined);
  // Since rules 2 a new number carries its own opt-out state (its conversation says if it said STOP).
  const phoneChanged = rules >= 2 && previous !== null && previous.patient.phone !== event.patient.phone;
  if (phoneChanged) optIn(data, nowMs, !startChanged && !isNew && REMINDED.has(data.status));

  const attended = rules >= 2 && event.attended === true;
  switch (event.eventType) {
    case 'BOOKED':
      if (attended) {
        // The patient is there or has been: nothing left to remind, nothing to ask.
        if (wasActive) stopReminders(data, 'PATIENT_ARRIVED');
      } else if (!wasActive) {
        data.status = 'BOOKED';
        replan(data, nowMs);
        queueEventText(data, 'BOOKED', event, nowMs);
      } else if (startChanged) {
        // A re-sent booking with a new time is a reschedule in all but name.
        data.status = 'BOOKED';
        replan(data, nowMs);
        queueEventText(data, 'RESCHEDULED', event, nowMs);
      } else if (rules >= 2 && data.status === 'CANCEL_REQUESTED') {
        // The clinic keeps the appointment the patient asked to cancel: reminders resume.
        data.status = 'BOOKED';
        replan(data, nowMs);
      } else if (firstText) {
        queueEventText(data, 'BOOKED', event, nowMs);
      } else if (
        previous &&
        (previous.location !== event.location || previous.provider?.id !== event.provider?.id)
      ) {
        // FHIR sends every version as "booked": a new place or clinician is a modification to tell.
        queueEventText(data, 'MODIFIED', event, nowMs);
      }
      break;
    case 'RESCHEDULED':
      // A confirmation was for the old time: the new time needs its own.
      data.status = 'BOOKED';
      replan(data, nowMs);
      queueEventText(data, firstText ? 'BOOKED' : 'RESCHEDULED', event, nowMs);
      break;
    case 'MODIFIED':
      // Only a booking or reschedule reopens a canceled or no-show appointment; a modify just updates details.
      if (closed) break;
      // A confirmation was for the old time: a modify that moves the appointment needs a new one.
      if (!wasActive || startChanged) data.status = 'BOOKED';
      if (startChanged || !wasActive) replan(data, nowMs);
      // Since rules 2 a first event that is a modification books: the patient has been told nothing yet.
      queueEventText(data, (rules >= 2 && isNew) || firstText ? 'BOOKED' : 'MODIFIED', event, nowMs);
      break;
    case 'CONFIRMED':
      if (closed) break;
      // A first event plans; a confirmation of a cancel request the clinic did not act on resumes reminders.
      if (isNew || (rules >= 2 && data.status === 'CANCEL_REQUESTED')) replan(data, nowMs);
      if (data.status !== 'CONFIRMED') {
        data.status = 'CONFIRMED';
        queueEventText(data, 'CONFIRMED', event, nowMs);
      }
      break;
    case 'CANCELED':
      if (data.status !== 'CANCELED') {
        data.status = 'CANCELED';
        stopReminders(data, 'APPOINTMENT_CANCELED');
        skipPendingTexts(data, 'SUPERSEDED', 'CANCELED', 'APPOINTMENT_CANCELED');
        // A patient never told of a booking needs no cancellation text either.
        if (!isNew) queueEventText(data, 'CANCELED', event, nowMs);
      }
      break;
    case 'NOSHOWED':
      if (data.status !== 'NOSHOWED') {
        data.status = 'NOSHOWED';
        stopReminders(data, 'APPOINTMENT_NOSHOWED');
        skipPendingTexts(data, 'SUPERSEDED', 'CANCELED', 'APPOINTMENT_NOSHOWED');
        // Since rules 2, like a cancellation: a patient never told of a booking gets no "we missed you".
        if (rules < 2 || !isNew) queueEventText(data, 'NOSHOWED', event, nowMs);
      }
      break;
    case 'OPTED-OUT':
      optOut(data);
      break;
    case 'OPTED-IN':
      optIn(data, nowMs, rules >= 2 ? !isNew && REMINDED.has(data.status) : wasActive);
      break;
  }
  // Every event carries the appointment time: one that moved it without a plan of its own (a
  // CONFIRMED or opt event with a new start) must not leave reminders timed for the old start.
  if (
    startChanged &&
    !attended &&
    wasActive &&
    ACTIVE.has(data.status) &&
    data.generation === generationBefore
  ) {
    replan(data, nowMs);
  }
  bump(data);
  return 'applied';
}

/** Recorded only when there is a reason, so state written before it existed reads the same. */
function setUntextable(data: AppointmentStateData, reason: AppointmentStateData['untextable']): void {
  if (reason) data.untextable = reason;
  else delete data.untextable;
}
