/**
 * The appointment search form of the operator console (issue 13.6) as a Temporal visibility query.
 * Pure: every input is validated against a closed set (statuses, reasons), a strict date syntax or
 * the EHR identifier rule before it reaches the query, dates are re-printed by `toISOString`, and the
 * one free-text value (the appointment id) is quoted with `\` and `"` escaped besides; a value that
 * cannot be written safely is refused, never passed through. Nothing is queried for a form with errors.
 */
import { ehrIdentifier } from '../../../domain/events/ingestRules';
import {
  APPOINTMENT_STATUSES,
  APPOINTMENT_WORKFLOW_TYPE,
  PHONE_PROBLEMS,
  type AppointmentStatus,
  type PhoneProblem,
} from '../../../shared/appointment';
import { SEARCH_ATTRIBUTES } from '../../../shared/temporal';

/**
 * Workflow types that are appointments: the current one and the frozen type whose older runs may
 * still be open (README, "Versioning workflow changes"); both index the same search attributes.
 */
export const APPOINTMENT_WORKFLOW_TYPES: readonly string[] = [
  APPOINTMENT_WORKFLOW_TYPE,
  'appointmentWorkflow',
];

/** `ANY`: UntextableReason is set, whatever it is. */
export type UntextableFilter = 'ANY' | PhoneProblem;

export interface AppointmentSearch {
  /** The appointment id, or its beginning when `idMatch` is `prefix`. */
  id?: string;
  idMatch: 'exact' | 'prefix';
  status?: AppointmentStatus;
  /** First day of the start range, UTC midnight (inclusive), as an ISO instant. */
  startFrom?: string;
  /** The day after the last day of the start range, UTC midnight (exclusive). */
  startBefore?: string;
  /** NextReminderAt at or after this ISO instant. */
  reminderAfter?: string;
  /** NextReminderAt before this ISO instant. */
  reminderBefore?: string;
  untextable?: UntextableFilter;
}

/** The form's fields, by their names in the page's query string. */
export const SEARCH_FIELDS = [
  'id',
  'match',
  'status',
  'startFrom',
  'startTo',
  'reminderAfter',
  'reminderBefore',
  'untextable',
] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

/** What the operator typed, trimmed, to fill the form again. */
export type SearchForm = Partial<Record<SearchField, string>>;

export interface FieldProblem {
  field: SearchField;
  message: string;
}

export type ParsedSearch =
  | { ok: true; form: SearchForm; search: AppointmentSearch }
  | { ok: false; form: SearchForm; problems: FieldProblem[] };

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?Z?$/;
const DAY_MS = 86_400_000;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;

/** Midnight UTC of `YYYY-MM-DD`, or of `YYYY-MM-DDTHH:MM[:SS][Z]` at that time; undefined for impossible dates. */
export function parseUtcDateTime(text: string, dayOnly = false): number | undefined {
  const match = (dayOnly ? DAY : DATE_TIME).exec(text);
  if (!match) return undefined;
  const part = (i: number): number => Number(match[i] ?? 0);
  const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
  if (year < 1970 || year > 9999 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  return ms;
}

/** Reads the search form from a request's query string (`req.query`). Empty fields are no filter. */
export function parseSearchForm(query: Readonly<Record<string, unknown>>): ParsedSearch {
  const form: SearchForm = {};
  const problems: FieldProblem[] = [];
  for (const field of SEARCH_FIELDS) {
    const raw = query[field];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') {
      problems.push({ field, message: 'was given more than once' });
      continue;
    }
    const value = raw.trim();
    if (value !== '') form[field] = value;
  }
  const search: AppointmentSearch = { idMatch: 'exact' };

  if (form.match !== undefined) {
    if (form.match === 'exact' || form.match === 'prefix') search.idMatch = form.match;
    else problems.push({ field: 'match', message: 'must be “exact” or “prefix”' });
  }
  if (form.id !== undefined) {
    const id = ehrIdentifier.safeParse(form.id);
    if (id.success) search.id = id.data;
    else
      problems.push({
        field: 'id',
        message: `Appointment id ${id.error.issues[0]?.message ?? 'is not valid'}`,
      });
  }
  if (form.status !== undefined) {
    const status = APPOINTMENT_STATUSES.find((s) => s === form.status);
    if (status) search.status = status;
    else
      problems.push({ field: 'status', message: `Status must be one of ${APPOINTMENT_STATUSES.join(', ')}` });
  }

  const day = (field: 'startFrom' | 'startTo', label: string): number | undefined => {
    const text = form[field];
    if (text === undefined) return undefined;
    const ms = parseUtcDateTime(text, true);
    if (ms === undefined) problems.push({ field, message: `${label} must be a date, YYYY-MM-DD` });
    return ms;
  };
  const from = day('startFrom', 'Start from');
  const to = day('startTo', 'Start to');
  if (from !== undefined) search.startFrom = new Date(from).toISOString();
  if (to !== undefined) search.startBefore = new Date(to + DAY_MS).toISOString();
  if (from !== undefined && to !== undefined && from > to) {
    problems.push({ field: 'startTo', message: 'Start to must not be before start from' });
  }

  const instant = (field: 'reminderAfter' | 'reminderBefore', label: string): number | undefined => {
    const text = form[field];
    if (text === undefined) return undefined;
    const ms = parseUtcDateTime(text);
    if (ms === undefined)
      problems.push({ field, message: `${label} must be a date and time in UTC, YYYY-MM-DDTHH:MM` });
    return ms;
  };
  const after = instant('reminderAfter', 'Next reminder after');
  const before = instant('reminderBefore', 'Next reminder before');
  if (after !== undefined) search.reminderAfter = new Date(after).toISOString();
  if (before !== undefined) search.reminderBefore = new Date(before).toISOString();
  if (after !== undefined && before !== undefined && after >= before) {
    problems.push({ field: 'reminderBefore', message: 'Next reminder before must be later than after' });
  }

  if (form.untextable !== undefined) {
    const reason = form.untextable === 'ANY' ? 'ANY' : PHONE_PROBLEMS.find((p) => p === form.untextable);
    if (reason) search.untextable = reason;
    else
      problems.push({
        field: 'untextable',
        message: `Cannot be texted must be ANY or one of ${PHONE_PROBLEMS.join(', ')}`,
      });
  }
  return problems.length > 0 ? { ok: false, form, problems } : { ok: true, form, search };
}

/**
 * A visibility string literal. Only printable ASCII is accepted (every value reaching here is an
 * identifier, an enum member or an ISO instant already); `\` and `"` are escaped all the same.
 */
export function quote(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new RangeError('a visibility query value must be printable ASCII');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The Temporal visibility query for a search: appointments only, one row per appointment run (no continued-as-new runs). */
export function buildVisibilityQuery(search: AppointmentSearch): string {
  const attr = {
    id: SEARCH_ATTRIBUTES.appointmentId.name,
    status: SEARCH_ATTRIBUTES.appointmentStatus.name,
    start: SEARCH_ATTRIBUTES.appointmentStart.name,
    next: SEARCH_ATTRIBUTES.nextReminderAt.name,
    untextable: SEARCH_ATTRIBUTES.untextableReason.name,
  };
  const clauses = [
    `WorkflowType IN (${APPOINTMENT_WORKFLOW_TYPES.map(quote).join(', ')})`,
    `ExecutionStatus != "ContinuedAsNew"`,
  ];
  if (search.id !== undefined) {
    const id = ehrIdentifier.parse(search.id);
    clauses.push(`${attr.id} ${search.idMatch === 'prefix' ? 'STARTS_WITH' : '='} ${quote(id)}`);
  }
  if (search.status !== undefined) {
    if (!APPOINTMENT_STATUSES.includes(search.status)) throw new RangeError('unknown status');
    clauses.push(`${attr.status} = ${quote(search.status)}`);
  }
  const instant = (iso: string): string => {
    if (!ISO_INSTANT.test(iso)) throw new RangeError('not an ISO instant');
    return quote(new Date(Date.parse(iso)).toISOString());
  };
  if (search.startFrom !== undefined) clauses.push(`${attr.start} >= ${instant(search.startFrom)}`);
  if (search.startBefore !== undefined) clauses.push(`${attr.start} < ${instant(search.startBefore)}`);
  if (search.reminderAfter !== undefined) clauses.push(`${attr.next} >= ${instant(search.reminderAfter)}`);
  if (search.reminderBefore !== undefined) clauses.push(`${attr.next} < ${instant(search.reminderBefore)}`);
  if (search.untextable === 'ANY') clauses.push(`${attr.untextable} IS NOT NULL`);
  else if (search.untextable !== undefined) {
    if (!PHONE_PROBLEMS.includes(search.untextable)) throw new RangeError('unknown untextable reason');
    clauses.push(`${attr.untextable} = ${quote(search.untextable)}`);
  }
  return clauses.join(' AND ');
}

/** Results per page. */
export const PAGE_SIZE = 25;
/** The furthest page a link can name (the trail holds one token per page before it). */
export const MAX_PAGES = 200;
const MAX_TOKEN_LENGTH = 4096;
const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Temporal's page tokens only go forward, so a page's link carries the tokens of every page up to it
 * (`pages=<t1>.<t2>…`, base64url): the next link adds one, the previous link drops one.
 * Undefined for a trail that is not one (the page then says so, and nothing is queried).
 */
export function parsePageTrail(text: unknown): Uint8Array[] | undefined {
  if (text === undefined || text === '') return [];
  if (typeof text !== 'string') return undefined;
  const parts = text.split('.');
  if (parts.length >= MAX_PAGES) return undefined;
  if (!parts.every((p) => TOKEN.test(p) && p.length <= MAX_TOKEN_LENGTH)) return undefined;
  return parts.map((p) => Buffer.from(p, 'base64url'));
}

export function formatPageTrail(tokens: readonly Uint8Array[]): string {
  return tokens.map((t) => Buffer.from(t).toString('base64url')).join('.');
}
