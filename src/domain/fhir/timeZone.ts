/**
 * When, and in which zone the texts show it: `Appointment.start` is an instant with an offset, so the instant is
 * exact; the zone is the timezone extension's IANA name when the EHR sends one, else the shared display-zone
 * rule (ingestRules.ts) with FHIR's reading of a zero offset.
 */
import { DateTime } from 'luxon';
import type { AppointmentTiming } from '../../shared/appointment';
import { displayZone } from '../events/ingestRules';
import { parseAppointmentZone, parseInstant, resolveZone } from '../time/zone';
import type { FhirProblem } from './problems';
import type { Scope } from './scope';
import type { AppointmentRead, ExtensionRead } from './shapes';

/** The core extension with an IANA zone (R5 name, also published for R4) and its R4 core predecessor. */
const TIMEZONE_EXTENSION_URLS = [
  'http://hl7.org/fhir/StructureDefinition/timezone',
  'http://hl7.org/fhir/StructureDefinition/tz-code',
] as const;

/** The timing; null when `start` is absent and `optional` (cancelled, no-show); undefined when a problem was reported. */
export function readStart(
  appointment: AppointmentRead,
  path: string,
  scope: Scope,
  optional: boolean,
): AppointmentTiming | null | undefined {
  const { problems, context } = scope;
  const zoneExtension = readZoneExtension(appointment, path, problems);
  const start = appointment.start?.trim();
  if (!start && optional) return zoneExtension === null ? undefined : null;
  if (!start) {
    problems.push({
      code: 'required',
      diagnostics:
        'Appointment.start is required (only a cancelled or noshow Appointment of a known appointment may leave it out)',
      expression: `${path}.start`,
    });
    return undefined;
  }
  const startMs = parseInstant(start);
  if (startMs === undefined) {
    problems.push({
      code: 'value',
      diagnostics: 'Appointment.start must be an instant with an offset, e.g. 2026-12-04T09:30:00-07:00',
      expression: `${path}.start`,
    });
    return undefined;
  }
  if (zoneExtension === null) return undefined; // an unusable extension was reported
  const timeZone = zoneExtension ?? shownZone(start, startMs, context.defaultTimezone);
  const local = DateTime.fromMillis(startMs, { zone: resolveZone(timeZone) ?? 'UTC' });
  return {
    start: new Date(startMs).toISOString(),
    localStart: local.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    timeZone,
  };
}

/**
 * The IANA zone of the timezone extension: on `_start` (its formal home, an instant), on the Appointment, or on
 * its meta. Undefined when there is none; null when there is one we cannot use (reported).
 */
function readZoneExtension(
  appointment: AppointmentRead,
  path: string,
  problems: FhirProblem[],
): string | null | undefined {
  const places: Array<[ExtensionRead[] | undefined, string]> = [
    [appointment._start?.extension, `${path}.start.extension`],
    [appointment.extension, `${path}.extension`],
    [appointment.meta?.extension, `${path}.meta.extension`],
  ];
  for (const [list, listPath] of places) {
    const index = (list ?? []).findIndex((e) =>
      (TIMEZONE_EXTENSION_URLS as readonly string[]).includes(e.url),
    );
    const extension = list?.[index];
    if (!extension) continue;
    const code = extension.valueCode?.trim() ?? '';
    // IANA names only: parseAppointmentZone returns them unchanged, and rewrites offsets such as -0700.
    if (code && parseAppointmentZone(code) === code) return code;
    problems.push({
      code: 'value',
      diagnostics: 'The timezone extension needs a valueCode with an IANA time zone, e.g. America/Denver',
      expression: `${listPath}[${index}].valueCode`,
    });
    return null;
  }
  return undefined;
}

/**
 * Without an extension: DEFAULT_TIMEZONE, unless the start's own non-zero offset shows the EHR meant another
 * zone; then that fixed offset keeps the wall-clock time the EHR wrote. A zero offset (`Z`) is how many
 * servers (Epic, Cerner) write every instant, so it says nothing about the appointment's zone.
 */
function shownZone(start: string, startMs: number, defaultTimezone: string): string {
  const offset = DateTime.fromISO(start, { setZone: true }).offset;
  const zone = displayZone(startMs, offset, defaultTimezone, 'says-nothing');
  return zone === defaultTimezone ? zone : (parseAppointmentZone(zone) ?? 'UTC');
}
