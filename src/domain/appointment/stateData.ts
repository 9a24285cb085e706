/**
 * The appointment's record and the bookkeeping every rule shares: its first value, the version each
 * change bumps, the bounded list of ids already applied, and which statuses count as still to come.
 * Each rule module changes this one plain object, so it round-trips through JSON (continue-as-new).
 */
import type { AppointmentStatus } from '../../shared/appointment';
import type { AppointmentStateData } from './records';

/** Enough to recognise an EHR's resend of recent events; older duplicates are also caught as stale. */
const MAX_SEEN_EVENT_IDS = 500;

/** Statuses of an appointment still to come (a cancel request stands until the EHR acts on it). */
export const ACTIVE: ReadonlySet<AppointmentStatus> = new Set(['BOOKED', 'CONFIRMED', 'CANCEL_REQUESTED']);
/** Statuses whose reminders are planned (a cancel request stops them until it is taken back). */
export const REMINDED: ReadonlySet<AppointmentStatus> = new Set(['BOOKED', 'CONFIRMED']);

export function initialStateData(appointmentId: string): AppointmentStateData {
  return {
    appointmentId,
    details: null,
    policy: null,
    status: 'BOOKED',
    optedOut: false,
    lastEventAt: '',
    seenEventIds: [],
    generation: 0,
    reminders: [],
    messages: [],
    ignoredEvents: [],
    callbacks: [],
    version: 0,
  };
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function hasSeen(data: AppointmentStateData, eventId: string): boolean {
  return data.seenEventIds.includes(eventId);
}

export function remember(data: AppointmentStateData, eventId: string): void {
  data.seenEventIds.push(eventId);
  if (data.seenEventIds.length > MAX_SEEN_EVENT_IDS) data.seenEventIds.shift();
}

export function bump(data: AppointmentStateData): void {
  data.version += 1;
}
