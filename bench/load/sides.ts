/**
 * The two systems under measurement behind one interface: `book` hands an appointment to the
 * service through its HTTP API (POST /v1/ehr/events, a BOOKED event) or to the baseline with a
 * bare signal-with-start. Only HTTP contracts and the baseline's own definitions are used here.
 */
import type { Client } from '@temporalio/client';
import { DateTime } from 'luxon';
import {
  BASELINE_TASK_QUEUE,
  BASELINE_WORKFLOW_TYPE,
  bookSignal,
  type BaselineBooking,
} from './baseline/shared';

export type SideName = 'service' | 'baseline';
export const SIDES: readonly SideName[] = ['service', 'baseline'];

export interface Booking {
  appointmentId: string;
  /** E.164, unique per appointment. */
  phone: string;
  /** Epoch milliseconds of the appointment start. */
  startMs: number;
  /** When the first reminder is due (the service derives it from its own policy; the baseline is told). */
  reminderAtMs: number;
}

export interface Side {
  readonly name: SideName;
  /** Resolves once the system has durably accepted the booking; rejects otherwise. */
  book(booking: Booking): Promise<void>;
}

/** The zone appointments are booked in (any IANA zone works; the outreach window is the whole day). */
export const BENCH_ZONE = 'America/Denver';
export const SANDBOX_API_KEY = 'sandbox-key';

export function bookedEvent(booking: Booking): Record<string, string> {
  return {
    event_type: 'BOOKED',
    event_id: `${booking.appointmentId}-booked`,
    event_datetime_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    appointment_id: booking.appointmentId,
    appointment_datetime: DateTime.fromMillis(booking.startMs, { zone: BENCH_ZONE }).toFormat(
      "yyyy-MM-dd'T'HH:mm:ss",
    ),
    appointment_timezone: BENCH_ZONE,
    appointment_location: 'Main St Clinic',
    patient_id: `P-${booking.appointmentId}`,
    patient_first_name: 'Ana',
    patient_last_name: 'Bench',
    patient_phone: booking.phone,
    patient_language: 'en',
    provider_id: 'DR-1',
    provider_first_name: 'Jo',
    provider_last_name: 'Smith',
    provider_callback_phone: '+13035550100',
  };
}

export function serviceSide(apiOrigin: () => string): Side {
  return {
    name: 'service',
    async book(booking) {
      const res = await fetch(`${apiOrigin()}/v1/ehr/events`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${SANDBOX_API_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(bookedEvent(booking)),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      if (res.status !== 202)
        throw new Error(`POST /v1/ehr/events answered ${res.status}: ${text.slice(0, 300)}`);
    },
  };
}

export function baselineSide(client: Client): Side {
  return {
    name: 'baseline',
    async book(booking) {
      const input: BaselineBooking = {
        appointmentId: booking.appointmentId,
        phone: booking.phone,
        reminderAtMs: booking.reminderAtMs,
        start: new Date(booking.startMs).toISOString(),
      };
      await client.workflow.signalWithStart(BASELINE_WORKFLOW_TYPE, {
        workflowId: `baseline-${booking.appointmentId}`,
        taskQueue: BASELINE_TASK_QUEUE,
        args: [],
        signal: bookSignal,
        signalArgs: [input],
      });
    },
  };
}

/**
 * Unique, valid US numbers: NPA-555-XXXX over several area codes. (+1 555 … numbers fail the API's
 * libphonenumber check, and Twilio's magic +1500555000x numbers fail on purpose in the sandbox.)
 */
const AREA_CODES = ['303', '720', '212', '415', '617', '312', '206', '512', '404', '602'];

export class PhoneBook {
  private next = 0;

  allocate(): string {
    const index = this.next++;
    const area = AREA_CODES[Math.floor(index / 10_000)];
    if (area === undefined) throw new Error(`PhoneBook: more than ${AREA_CODES.length * 10_000} numbers`);
    return `+1${area}555${String(index % 10_000).padStart(4, '0')}`;
  }
}
