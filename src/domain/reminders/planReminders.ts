/**
 * Reminder planner: when to text the patient before an appointment, honouring the clinic's outreach
 * window in the patient's zone. Pure: the planning instant is an input, never the clock.
 */
import type { Zone } from 'luxon';
import type { ReminderKind, ReminderPolicy } from '../../shared/appointment';
import type { ReminderSkipReason } from '../appointment/records';
import { firstOffsetChangeAfter, offsetStretchStart, parseInstant, resolveZone } from '../time/zone';

// The policy and the names are the workflow's wire contract (each event carries its policy).
export type { ReminderKind, ReminderPolicy, ReminderSkipReason };

export interface ReminderPlanInput {
  /** ISO-8601 instant of the appointment, with `Z` or an offset. */
  start: string;
  /** luxon zone of the PATIENT: the outreach window applies to the send time in this zone. */
  zone: string;
  /** ISO-8601 instant at which the booking or reschedule is being handled. */
  plannedAt: string;
  policy: ReminderPolicy;
}

export interface PlannedReminder {
  kind: ReminderKind;
  /** Appointment start minus the offset, ISO UTC. */
  dueAt: string;
  /** When to send, ISO UTC; null when skipped. */
  sendAt: string | null;
  status: 'PENDING' | 'SKIPPED';
  skipReason?: ReminderSkipReason;
}

interface OutreachWindow {
  startMinute: number;
  finishMinute: number;
}

type SendTimeDecision = { sendAtMs: number } | { skipReason: ReminderSkipReason };

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const MINUTES_PER_DAY = 24 * 60;

/**
 * Plans one reminder per configured offset, FIRST then SECOND (SECOND omitted when its offset is 0).
 * Throws RangeError for an invalid instant, zone or policy; never throws otherwise.
 */
export function planReminders(input: ReminderPlanInput): PlannedReminder[] {
  const startMs = requireInstant(input.start, 'start');
  const plannedAtMs = requireInstant(input.plannedAt, 'plannedAt');
  const zone = resolveZone(input.zone);
  if (zone === undefined) throw new RangeError(`unknown time zone: ${input.zone}`);
  validatePolicy(input.policy);
  const window: OutreachWindow = {
    startMinute: input.policy.windowStartMinutes,
    finishMinute: input.policy.windowFinishMinutes,
  };

  const offsets: [ReminderKind, number][] = [['FIRST', input.policy.firstOffsetMinutes]];
  if (input.policy.secondOffsetMinutes > 0) offsets.push(['SECOND', input.policy.secondOffsetMinutes]);

  const plan = offsets.map(([kind, offsetMinutes]) => {
    const dueMs = startMs - offsetMinutes * MINUTE_MS;
    return toPlannedReminder(kind, dueMs, decideSendTime(dueMs, startMs, plannedAtMs, zone, window));
  });
  return withoutDuplicateSendTime(plan);
}

/**
 * The PENDING reminder with the earliest sendAt (plan order breaks ties), even if sendAt is already
 * before `now`: whether an overdue reminder is still worth sending is the caller's decision, and
 * filtering on `now` would drop a reminder whose timer fired a moment late. `now` is accepted for
 * call-site symmetry and deliberately unused.
 */
export function nextPendingReminder(
  plan: readonly PlannedReminder[],
  _now?: string,
): PlannedReminder | undefined {
  let earliest: PlannedReminder | undefined;
  for (const reminder of plan) {
    if (reminder.status !== 'PENDING' || reminder.sendAt === null) continue;
    const isEarlier = earliest === undefined || Date.parse(reminder.sendAt) < Date.parse(earliest.sendAt!);
    if (isEarlier) earliest = reminder;
  }
  return earliest;
}

function decideSendTime(
  dueMs: number,
  startMs: number,
  plannedAtMs: number,
  zone: Zone,
  window: OutreachWindow,
): SendTimeDecision {
  // The booking confirmation already told the patient about the appointment.
  if (dueMs <= plannedAtMs) return { skipReason: 'DUE_BEFORE_BOOKING' };

  const forwardMs = firstInWindowInstant(dueMs, startMs, zone, window);
  if (forwardMs !== undefined) return { sendAtMs: forwardMs };

  // Searching from one minute before plannedAt still finds the window minute that plannedAt falls in.
  const backMs = lastInWindowMinute(startMs, plannedAtMs - MINUTE_MS, zone, window);
  if (backMs === undefined) return { skipReason: 'NO_WINDOW_BEFORE_APPOINTMENT' };
  // The window is open at plannedAt, but its last minute before the appointment has already begun.
  if (backMs <= plannedAtMs) return { skipReason: 'SEND_TIME_PASSED' };
  return { sendAtMs: backMs };
}

/** The earliest instant t with fromMs <= t < beforeMs whose local minute is inside the window. */
function firstInWindowInstant(
  fromMs: number,
  beforeMs: number,
  zone: Zone,
  window: OutreachWindow,
): number | undefined {
  let t = fromMs;
  while (t < beforeMs) {
    const offset = zone.offset(t);
    if (isInWindow(localMinuteOfDay(t, offset), window)) return t;
    const openingMs = nextOpeningAssumingOffset(t, offset, window);
    // A DST change before the opening moves it; continue from the change with the new offset.
    const changeMs = firstOffsetChangeAfter(zone, t, Math.min(openingMs, beforeMs));
    if (changeMs === undefined) return openingMs < beforeMs ? openingMs : undefined;
    t = changeMs;
  }
  return undefined;
}

/** The latest whole-minute instant t with afterMs < t < beforeMs whose local minute is inside the window. */
function lastInWindowMinute(
  beforeMs: number,
  afterMs: number,
  zone: Zone,
  window: OutreachWindow,
): number | undefined {
  let t = Math.ceil(beforeMs / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  while (t > afterMs) {
    const offset = zone.offset(t);
    if (isInWindow(localMinuteOfDay(t, offset), window)) return t;
    const closingMinuteMs = previousClosingMinuteAssumingOffset(t, offset, window);
    // A DST change after that minute moves it; continue from just before the change with the old offset.
    const stretchStartMs = offsetStretchStart(zone, t, Math.max(closingMinuteMs, afterMs));
    if (stretchStartMs === undefined) return closingMinuteMs > afterMs ? closingMinuteMs : undefined;
    t = stretchStartMs - MINUTE_MS;
  }
  return undefined;
}

function localMinuteOfDay(epochMs: number, offsetMinutes: number): number {
  const localMinute = Math.floor(epochMs / MINUTE_MS) + offsetMinutes;
  return ((localMinute % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
}

function isInWindow(minuteOfDay: number, window: OutreachWindow): boolean {
  return minuteOfDay >= window.startMinute && minuteOfDay < window.finishMinute;
}

/** Next window opening after t (t outside the window), if the offset stays as it is at t. */
function nextOpeningAssumingOffset(t: number, offsetMinutes: number, window: OutreachWindow): number {
  const localMs = t + offsetMinutes * MINUTE_MS;
  const localMidnightMs = localMs - mod(localMs, DAY_MS);
  const sameDay = localMinuteOfDay(t, offsetMinutes) < window.startMinute;
  const openingLocalMs = localMidnightMs + (sameDay ? 0 : DAY_MS) + window.startMinute * MINUTE_MS;
  return openingLocalMs - offsetMinutes * MINUTE_MS;
}

/** Last in-window minute before t (t outside the window), if the offset stays as it is at t. */
function previousClosingMinuteAssumingOffset(
  t: number,
  offsetMinutes: number,
  window: OutreachWindow,
): number {
  const localMs = t + offsetMinutes * MINUTE_MS;
  const localMidnightMs = localMs - mod(localMs, DAY_MS);
  const sameDay = localMinuteOfDay(t, offsetMinutes) >= window.finishMinute;
  const closingLocalMs = localMidnightMs - (sameDay ? 0 : DAY_MS) + (window.finishMinute - 1) * MINUTE_MS;
  return closingLocalMs - offsetMinutes * MINUTE_MS;
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function toPlannedReminder(kind: ReminderKind, dueMs: number, decision: SendTimeDecision): PlannedReminder {
  const dueAt = new Date(dueMs).toISOString();
  if ('sendAtMs' in decision) {
    return { kind, dueAt, sendAt: new Date(decision.sendAtMs).toISOString(), status: 'PENDING' };
  }
  return { kind, dueAt, sendAt: null, status: 'SKIPPED', skipReason: decision.skipReason };
}

// Two texts at the same instant would read as a duplicate; the first one carries the message.
function withoutDuplicateSendTime(plan: PlannedReminder[]): PlannedReminder[] {
  const [first, second] = plan;
  if (first === undefined || second === undefined) return plan;
  if (first.status !== 'PENDING' || second.status !== 'PENDING' || first.sendAt !== second.sendAt)
    return plan;
  return [first, { ...second, sendAt: null, status: 'SKIPPED', skipReason: 'SAME_TIME_AS_FIRST' }];
}

function requireInstant(text: string, field: string): number {
  const epochMs = parseInstant(text);
  if (epochMs === undefined) throw new RangeError(`${field} is not an ISO-8601 instant with offset: ${text}`);
  return epochMs;
}

function validatePolicy(policy: ReminderPolicy): void {
  const { firstOffsetMinutes, secondOffsetMinutes, windowStartMinutes, windowFinishMinutes } = policy;
  if (!Number.isInteger(firstOffsetMinutes) || firstOffsetMinutes < 1) {
    throw new RangeError(`firstOffsetMinutes must be a positive integer: ${firstOffsetMinutes}`);
  }
  // A SECOND reminder due before the FIRST would break "FIRST is sent no later than SECOND".
  if (
    !Number.isInteger(secondOffsetMinutes) ||
    secondOffsetMinutes < 0 ||
    secondOffsetMinutes > firstOffsetMinutes
  ) {
    throw new RangeError(
      `secondOffsetMinutes must be an integer in 0..firstOffsetMinutes: ${secondOffsetMinutes}`,
    );
  }
  if (
    !Number.isInteger(windowStartMinutes) ||
    windowStartMinutes < 0 ||
    windowStartMinutes > MINUTES_PER_DAY - 1
  ) {
    throw new RangeError(`windowStartMinutes must be an integer in 0..1439: ${windowStartMinutes}`);
  }
  if (
    !Number.isInteger(windowFinishMinutes) ||
    windowFinishMinutes <= windowStartMinutes ||
    windowFinishMinutes > MINUTES_PER_DAY
  ) {
    throw new RangeError(
      `windowFinishMinutes must be an integer in windowStartMinutes+1..1440: ${windowFinishMinutes}`,
    );
  }
}
