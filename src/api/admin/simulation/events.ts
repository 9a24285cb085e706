/**
 * What the simulation page does to an appointment: each booking and change is a canonical JSON event
 * parsed exactly as POST /v1/ehr/events parses it and handed to the same AppointmentGateway, so a
 * simulated appointment takes the EHR's path. Only `SIM-` ids are made or changed here.
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { parseCanonicalEvent, type CanonicalEventBody } from '../../../domain/events/canonicalEvent';
import { resolveZone } from '../../../domain/time/zone';
import {
  TemporalUnavailableError,
  UnknownAppointmentError,
  type SubmitResult,
} from '../../../ingest/appointmentGateway';
import type { Logger } from '../../../log';
import type { AppointmentView, IngestedEvent, RemindNowResult } from '../../../shared/appointment';
import type { BookingForm } from './bookingForm';

/** Appointment ids of simulated bookings start with this; nothing else can be changed from the page. */
export const SIMULATED_ID_PREFIX = 'SIM-';

/** What the page needs of AppointmentGateway (which has exactly these). */
export interface SimulationGateway {
  submit(event: IngestedEvent): Promise<SubmitResult>;
  view(appointmentId: string): Promise<AppointmentView | undefined>;
  sendNextReminderNow(appointmentId: string, requestId?: string): Promise<RemindNowResult | undefined>;
}

/** A booking made here: its patient's details are kept in memory to resend them with changes. */
export interface Booking {
  appointmentId: string;
  patientId: string;
  firstName: string;
  lastName?: string;
  phone: string;
  location?: string;
  providerFirstName?: string;
  providerLastName?: string;
}

/** What an event needs of the appointment: a booking made here, or only the ids of one made elsewhere. */
export type BookedIds = Booking | { appointmentId: string; patientId: string };

export type EventType = 'BOOKED' | 'RESCHEDULED' | 'CANCELED' | 'NOSHOWED';

/** The changes the page offers for a listed appointment, as they appear in its form's path. */
export const ACTIONS = ['reschedule', 'cancel', 'no-show', 'remind-now'] as const;
export type Action = (typeof ACTIONS)[number];

const MINUTE_MS = 60_000;

/** A new `SIM-` booking from a checked form, and its start: at least a minute ahead, on a whole minute. */
export function newBooking(
  input: BookingForm,
  phone: string,
  minutes: number,
  at: number,
): { booking: Booking; startMs: number } {
  const stamp = `${at}-${randomBytes(3).toString('hex')}`;
  const appointmentId = `${SIMULATED_ID_PREFIX}${stamp}`;
  // At least a minute from now, on a whole minute: the reminder due N hours before is still ahead.
  const startMs = Math.ceil((at + minutes * MINUTE_MS + MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  const booking: Booking = {
    appointmentId,
    patientId: `${SIMULATED_ID_PREFIX}P-${stamp}`,
    firstName: input.firstName,
    ...(input.lastName ? { lastName: input.lastName } : {}),
    phone,
    ...(input.location ? { location: input.location } : {}),
    ...(input.providerFirstName ? { providerFirstName: input.providerFirstName } : {}),
    ...(input.providerLastName ? { providerLastName: input.providerLastName } : {}),
  };
  return { booking, startMs };
}

/** `ms` as the wall clock in `zone` (UTC for an unknown zone), as the canonical body's local time. */
export function localWallClock(ms: number, zone: string): string {
  const resolved = resolveZone(zone);
  return DateTime.fromMillis(ms, { zone: resolved ?? 'UTC' }).toFormat("yyyy-LL-dd'T'HH:mm:ss");
}

export function canonicalBody(
  booking: BookedIds,
  event: { type: EventType; eventId: string; at: number; localStart?: string; timeZone?: string },
): CanonicalEventBody {
  const known = 'phone' in booking ? booking : undefined;
  return {
    event_type: event.type,
    event_id: event.eventId,
    event_datetime_utc: new Date(event.at).toISOString(),
    appointment_id: booking.appointmentId,
    ...(event.localStart && event.timeZone
      ? { appointment_datetime: event.localStart, appointment_timezone: event.timeZone }
      : {}),
    patient_id: booking.patientId,
    ...(known
      ? {
          patient_first_name: known.firstName,
          patient_last_name: known.lastName,
          patient_phone: known.phone,
          patient_language: 'en',
          appointment_location: known.location,
          ...(known.providerFirstName || known.providerLastName
            ? {
                provider_id: 'SIM-PROVIDER',
                provider_first_name: known.providerFirstName,
                provider_last_name: known.providerLastName,
              }
            : {}),
        }
      : {}),
  };
}

export type SubmitOutcome = 'ok' | { status: number; message: string };

/** Parses the canonical body exactly as POST /v1/ehr/events does and hands it to the gateway. */
export async function submitEvent(
  deps: { gateway: SimulationGateway; defaultCountry: string; log: Logger },
  body: CanonicalEventBody,
  at: number,
): Promise<SubmitOutcome> {
  const parsed = parseCanonicalEvent(body, {
    defaultCountry: deps.defaultCountry,
    receivedAt: new Date(at).toISOString(),
  });
  if (!parsed.ok) {
    const problems = parsed.problems.map((p) => `${p.field} ${p.message}`).join('; ');
    return { status: 400, message: `Nothing was changed: the event was refused (${problems}).` };
  }
  try {
    await deps.gateway.submit(parsed.event);
    return 'ok';
  } catch (err) {
    deps.log.warn(
      { appointmentId: parsed.event.appointmentId, outcome: 'not_submitted', error: describe(err) },
      'simulation',
    );
    if (err instanceof UnknownAppointmentError) {
      return { status: 404, message: 'That appointment is not known here. Nothing was changed.' };
    }
    return {
      status: err instanceof TemporalUnavailableError ? 503 : 502,
      message: `The event could not be handed to Temporal: ${describe(err)}`,
    };
  }
}

/** An error as the operator and the log see it: its message (gateway errors carry no patient data). */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
