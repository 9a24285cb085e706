/**
 * Time zones for appointments: validating the zone text from the EHR, turning wall-clock times into
 * instants and back. Pure: the system zone and the current time are never consulted.
 */
import { DateTime, IANAZone, Info, type Zone } from 'luxon';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const MAX_FIXED_OFFSET_MINUTES = 14 * 60;

// `±HHMM`, and also `±HH:MM` because EHR exports use both spellings; a sign is mandatory.
const FIXED_OFFSET_PATTERN = /^([+-])(\d{2}):?([0-5]\d)$/;

// Wall-clock date-time without offset; seconds and milliseconds are optional.
const LOCAL_DATE_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

// Anything that ends like an ISO offset designator, so the rejection reason can say so.
const TRAILING_OFFSET_PATTERN = /T[\d:.]+(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

// An instant must name its offset; otherwise luxon would read it in the machine's zone.
const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Validates the appointment zone text from the EHR and returns the zone string luxon understands:
 * an IANA name (`America/Denver`, `UTC`) unchanged, or a fixed offset `±HHMM` / `±HH:MM` (up to ±14:00)
 * as luxon's fixed-offset name (`-0700` → `UTC-7`, `+0530` → `UTC+5:30`, `+0000` → `UTC`).
 * Unsigned offsets (`0700`), luxon's own `UTC-7` spelling and the machine zone (`local`) are rejected.
 */
export function parseAppointmentZone(text: string): string | undefined {
  const offset = FIXED_OFFSET_PATTERN.exec(text);
  if (offset !== null) {
    const magnitude = Number(offset[2]) * 60 + Number(offset[3]);
    if (magnitude > MAX_FIXED_OFFSET_MINUTES) return undefined;
    return fixedOffsetZoneName(offset[1] === '-' ? -magnitude : magnitude);
  }
  // Newer ICU builds accept offset-like names such as `+07`; only the patterns above may look like an offset.
  if (/^[+\-\d]/.test(text)) return undefined;
  return isKnownIanaZone(text) ? text : undefined;
}

// IANA names known valid. luxon's isValidZone builds an Intl.DateTimeFormat on every call (a few
// hundred microseconds, on every event); only valid names are kept, so the set stays as small as the
// zone database whatever senders send.
const KNOWN_IANA_ZONES = new Set<string>();

function isKnownIanaZone(text: string): boolean {
  if (KNOWN_IANA_ZONES.has(text)) return true;
  if (!IANAZone.isValidZone(text)) return false;
  KNOWN_IANA_ZONES.add(text);
  return true;
}

/**
 * luxon's fixed-offset zone name. Same as `FixedOffsetZone.instance(m).name` except that minutes are
 * always two digits: luxon prints `UTC+5:7` for +05:07 and then cannot parse that name back.
 */
function fixedOffsetZoneName(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'UTC';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = Math.floor(Math.abs(offsetMinutes) / 60);
  const minutes = Math.abs(offsetMinutes) % 60;
  return minutes === 0 ? `UTC${sign}${hours}` : `UTC${sign}${hours}:${String(minutes).padStart(2, '0')}`;
}

/**
 * The luxon zone for a zone string (IANA or fixed-offset), or undefined when it is unknown.
 * The machine's own zone (`local`, `system`) is refused so results never depend on where code runs.
 */
export function resolveZone(zone: string): Zone | undefined {
  const resolved = Info.normalizeZone(zone);
  if (!resolved.isValid) return undefined;
  return resolved.type === 'iana' || resolved.type === 'fixed' ? resolved : undefined;
}

/** Epoch milliseconds of an ISO-8601 instant that carries `Z` or a numeric offset; undefined otherwise. */
export function parseInstant(text: string): number | undefined {
  if (!INSTANT_PATTERN.test(text)) return undefined;
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

export type LocalToInstantResult = { ok: true; instant: string } | { ok: false; reason: string };

/**
 * Converts a wall-clock `YYYY-MM-DDTHH:MM[:SS[.sss]]` in `zone` to an ISO-8601 UTC instant (`…Z`).
 * DST gap (the wall time does not exist): read with the offset in force before the gap, which shifts it
 * forward by the gap length (02:30 on a New York spring-forward day → 03:30 EDT), as luxon does.
 * DST overlap (the wall time occurs twice): the earlier instant, i.e. the pre-transition offset.
 * Both match the `compatible` disambiguation of the TC39 Temporal API. luxon itself resolves overlaps
 * by an offset guessed from the current date, so it is not used for that step.
 */
export function localToInstant(localDateTime: string, zone: string): LocalToInstantResult {
  const resolvedZone = resolveZone(zone);
  if (resolvedZone === undefined) return { ok: false, reason: `unknown time zone: ${zone}` };

  const match = LOCAL_DATE_TIME_PATTERN.exec(localDateTime);
  if (match === null) {
    return TRAILING_OFFSET_PATTERN.test(localDateTime)
      ? { ok: false, reason: 'local date-time must not carry an offset or Z' }
      : { ok: false, reason: 'expected a local date-time YYYY-MM-DDTHH:MM[:SS[.sss]]' };
  }
  const [, year, month, day, hour, minute, second, fraction] = match;
  const wallClock = DateTime.utc(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second ?? 0),
    Number((fraction ?? '').padEnd(3, '0')),
  );
  // luxon accepts `24:00` as next midnight; a wall-clock appointment time should not.
  if (!wallClock.isValid || Number(hour) > 23)
    return { ok: false, reason: `invalid date or time: ${localDateTime}` };

  const instantMs = wallClockToEpochMs(wallClock.toMillis(), resolvedZone);
  return { ok: true, instant: new Date(instantMs).toISOString() };
}

/**
 * The instant at which `zone` shows the wall clock `wallMs` (wall-clock fields encoded as if UTC).
 * Candidate offsets are those in force within ±15 h, which covers every real offset (−12 h..+14 h).
 */
export function wallClockToEpochMs(wallMs: number, zone: Zone): number {
  const offsets = new Set<number>();
  for (let hour = -15; hour <= 15; hour++) offsets.add(zone.offset(wallMs + hour * HOUR_MS));
  const candidates = [...offsets].map((offset) => wallMs - offset * MINUTE_MS);
  const matching = candidates.filter((instant) => wallMs - zone.offset(instant) * MINUTE_MS === instant);
  if (matching.length > 0) return Math.min(...matching);
  // In a gap the earliest candidate still lies before the transition, so it tells the pre-gap offset.
  const beforeGapOffset = zone.offset(Math.min(...candidates));
  return wallMs - beforeGapOffset * MINUTE_MS;
}

/**
 * An instant rendered in `zone` as ISO-8601 with that zone's offset (`2026-12-01T15:30:00.000-07:00`);
 * luxon writes `Z` for the fixed `UTC` zone. Throws RangeError for an invalid instant or zone.
 */
export function formatInstantInZone(instant: string, zone: string): string {
  const instantMs = parseInstant(instant);
  if (instantMs === undefined) throw new RangeError(`not an ISO-8601 instant with offset: ${instant}`);
  const resolvedZone = resolveZone(zone);
  if (resolvedZone === undefined) throw new RangeError(`unknown time zone: ${zone}`);
  return DateTime.fromMillis(instantMs, { zone: resolvedZone }).toISO()!;
}

// Offsets are probed hourly; no zone changes its offset twice within an hour.
const OFFSET_PROBE_STEP_MS = HOUR_MS;

/**
 * The first instant in (fromMs, toMs] at which `zone`'s UTC offset differs from its offset at `fromMs`,
 * or undefined when the offset stays the same. Transitions fall on whole minutes, so the result does too.
 */
export function firstOffsetChangeAfter(zone: Zone, fromMs: number, toMs: number): number | undefined {
  const offset = zone.offset(fromMs);
  let previous = fromMs;
  while (previous < toMs) {
    const probe = Math.min(previous + OFFSET_PROBE_STEP_MS, toMs);
    if (zone.offset(probe) !== offset) {
      return firstMinuteWhere(
        floorToMinute(previous),
        floorToMinute(probe),
        (t) => zone.offset(t) !== offset,
      );
    }
    previous = probe;
  }
  return undefined;
}

/**
 * The first instant of the constant-offset stretch that contains `atMs`, when that stretch begins after
 * `afterMs`; undefined when the offset at `atMs` was already in force at `afterMs`.
 */
export function offsetStretchStart(zone: Zone, atMs: number, afterMs: number): number | undefined {
  const offset = zone.offset(atMs);
  let previous = atMs;
  while (previous > afterMs) {
    const probe = Math.max(previous - OFFSET_PROBE_STEP_MS, afterMs);
    if (zone.offset(probe) !== offset) {
      return firstMinuteWhere(
        floorToMinute(probe),
        floorToMinute(previous),
        (t) => zone.offset(t) === offset,
      );
    }
    previous = probe;
  }
  return undefined;
}

function floorToMinute(epochMs: number): number {
  return Math.floor(epochMs / MINUTE_MS) * MINUTE_MS;
}

// Binary search over whole minutes: `holds` is false at loMs and true at hiMs; returns the first minute in (loMs, hiMs] where it holds.
function firstMinuteWhere(loMs: number, hiMs: number, holds: (epochMs: number) => boolean): number {
  let lo = loMs / MINUTE_MS;
  let hi = hiMs / MINUTE_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (holds(mid * MINUTE_MS)) hi = mid;
    else lo = mid;
  }
  return hi * MINUTE_MS;
}
