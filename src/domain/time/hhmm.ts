/** `HHMM` text as used by the clinic configuration: reminder offsets and outreach window bounds. */

export interface Hhmm {
  hours: number;
  minutes: number;
}

const MINUTES_PER_DAY = 24 * 60;

// Exactly four ASCII digits; no sign, no colon, no surrounding whitespace.
const HHMM_PATTERN = /^(\d{2})([0-5]\d)$/;

/** Parses `HHMM` with hours 00-99 (offsets may exceed a day, e.g. `4800` = 48 h) and minutes 00-59. */
export function parseHhmm(text: string): Hhmm | undefined {
  const match = HHMM_PATTERN.exec(text);
  if (match === null) return undefined;
  return { hours: Number(match[1]), minutes: Number(match[2]) };
}

export function hhmmToMinutes(hhmm: Hhmm): number {
  return hhmm.hours * 60 + hhmm.minutes;
}

/**
 * Parses an outreach window bound into minutes since local midnight: `0000`..`2400`,
 * where `2400` means end of day (1440) so a window can run until midnight.
 */
export function parseTimeOfDay(text: string): number | undefined {
  const hhmm = parseHhmm(text);
  if (hhmm === undefined) return undefined;
  const minutes = hhmmToMinutes(hhmm);
  return minutes <= MINUTES_PER_DAY ? minutes : undefined;
}
