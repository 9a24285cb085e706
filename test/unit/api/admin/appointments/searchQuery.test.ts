/** The appointment search form → Temporal visibility query (issue 13.6): every field, quoting, injection refused. */
import {
  buildVisibilityQuery,
  formatPageTrail,
  MAX_PAGES,
  parsePageTrail,
  parseSearchForm,
  parseUtcDateTime,
  quote,
  type AppointmentSearch,
} from '../../../../../src/api/admin/appointments/searchQuery';

const BASE =
  'WorkflowType IN ("appointmentLifecycle", "appointmentWorkflow") AND ExecutionStatus != "ContinuedAsNew"';

function queryOf(form: Record<string, unknown>): string {
  const parsed = parseSearchForm(form);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return buildVisibilityQuery(parsed.search);
}

function problemsOf(form: Record<string, unknown>): Array<{ field: string; message: string }> {
  const parsed = parseSearchForm(form);
  if (parsed.ok) throw new Error(`accepted: ${buildVisibilityQuery(parsed.search)}`);
  return parsed.problems;
}

describe('parseSearchForm + buildVisibilityQuery', () => {
  test('an empty form lists appointment workflows only, without continued-as-new runs', () => {
    expect(queryOf({})).toBe(BASE);
    // Empty and blank fields are no filter.
    expect(queryOf({ id: '', status: '  ', startFrom: '', untextable: '', search: '1' })).toBe(BASE);
  });

  test('appointment id, exact and prefix', () => {
    expect(queryOf({ id: ' A-100 ' })).toBe(`${BASE} AND AppointmentId = "A-100"`);
    expect(queryOf({ id: 'A-100', match: 'exact' })).toBe(`${BASE} AND AppointmentId = "A-100"`);
    expect(queryOf({ id: 'A-1', match: 'prefix' })).toBe(`${BASE} AND AppointmentId STARTS_WITH "A-1"`);
    expect(queryOf({ id: 'x.y_z:1@2' })).toContain('AppointmentId = "x.y_z:1@2"');
  });

  test('status from the closed list only', () => {
    expect(queryOf({ status: 'CANCEL_REQUESTED' })).toBe(
      `${BASE} AND AppointmentStatus = "CANCEL_REQUESTED"`,
    );
    expect(problemsOf({ status: 'booked' })).toEqual([
      { field: 'status', message: expect.stringContaining('Status must be one of BOOKED') },
    ]);
  });

  test('start date range: whole UTC days, the last one inclusive', () => {
    expect(queryOf({ startFrom: '2026-12-01', startTo: '2026-12-31' })).toBe(
      `${BASE} AND AppointmentStart >= "2026-12-01T00:00:00.000Z" AND AppointmentStart < "2027-01-01T00:00:00.000Z"`,
    );
    expect(queryOf({ startFrom: '2026-12-01', startTo: '2026-12-01' })).toContain(
      'AppointmentStart < "2026-12-02T00:00:00.000Z"',
    );
    expect(queryOf({ startTo: '2028-02-28' })).toBe(
      `${BASE} AND AppointmentStart < "2028-02-29T00:00:00.000Z"`,
    );
  });

  test('next reminder before and after (UTC date-times)', () => {
    expect(queryOf({ reminderAfter: '2026-12-01T08:00', reminderBefore: '2026-12-01T18:30:15Z' })).toBe(
      `${BASE} AND NextReminderAt >= "2026-12-01T08:00:00.000Z" AND NextReminderAt < "2026-12-01T18:30:15.000Z"`,
    );
    expect(queryOf({ reminderBefore: '2026-12-02' })).toBe(
      `${BASE} AND NextReminderAt < "2026-12-02T00:00:00.000Z"`,
    );
  });

  test('cannot be texted: any reason or a given one', () => {
    expect(queryOf({ untextable: 'ANY' })).toBe(`${BASE} AND UntextableReason IS NOT NULL`);
    expect(queryOf({ untextable: 'NOT_MOBILE' })).toBe(`${BASE} AND UntextableReason = "NOT_MOBILE"`);
    expect(problemsOf({ untextable: 'APPOINTMENT_PASSED' })[0]?.field).toBe('untextable');
  });

  test('every field at once, in a fixed order', () => {
    expect(
      queryOf({
        id: 'A',
        match: 'prefix',
        status: 'BOOKED',
        startFrom: '2026-01-01',
        startTo: '2026-01-02',
        reminderAfter: '2026-01-01T00:00',
        reminderBefore: '2026-01-01T12:00',
        untextable: 'NO_PHONE',
      }),
    ).toBe(
      `${BASE} AND AppointmentId STARTS_WITH "A" AND AppointmentStatus = "BOOKED"` +
        ` AND AppointmentStart >= "2026-01-01T00:00:00.000Z" AND AppointmentStart < "2026-01-03T00:00:00.000Z"` +
        ` AND NextReminderAt >= "2026-01-01T00:00:00.000Z" AND NextReminderAt < "2026-01-01T12:00:00.000Z"` +
        ` AND UntextableReason = "NO_PHONE"`,
    );
  });

  test('bad dates, reversed ranges and unknown values are refused, each with its field', () => {
    expect(problemsOf({ startFrom: '2026-02-30' })).toEqual([
      { field: 'startFrom', message: 'Start from must be a date, YYYY-MM-DD' },
    ]);
    expect(problemsOf({ startTo: '12/01/2026' })[0]?.field).toBe('startTo');
    expect(problemsOf({ startFrom: '2026-12-02', startTo: '2026-12-01' })).toEqual([
      { field: 'startTo', message: 'Start to must not be before start from' },
    ]);
    expect(problemsOf({ reminderAfter: '2026-12-01T25:00' })[0]?.field).toBe('reminderAfter');
    expect(problemsOf({ reminderAfter: '2026-12-01T10:00', reminderBefore: '2026-12-01T10:00' })).toEqual([
      { field: 'reminderBefore', message: 'Next reminder before must be later than after' },
    ]);
    expect(problemsOf({ match: 'regex' })[0]?.field).toBe('match');
    expect(problemsOf({ reminderBefore: '2026-12-01T10:00+02:00' })[0]?.field).toBe('reminderBefore');
    // Several problems at once, nothing built.
    expect(
      problemsOf({ status: 'X', startFrom: 'yesterday', untextable: 'maybe' }).map((p) => p.field),
    ).toEqual(['status', 'startFrom', 'untextable']);
  });

  test('a field given twice is refused', () => {
    expect(problemsOf({ status: ['BOOKED', 'CANCELED'] })).toEqual([
      { field: 'status', message: 'was given more than once' },
    ]);
  });

  test.each([
    'A" OR WorkflowType != "x',
    "A' OR 1=1",
    'A\\',
    'A) OR (AppointmentId = "B',
    'A AND AppointmentStatus = "BOOKED"',
    'A\nB',
    'A%',
    'Ä',
    'x'.repeat(129),
  ])('injection attempts in the id are refused: %j', (id) => {
    expect(problemsOf({ id })[0]?.field).toBe('id');
    expect(problemsOf({ id, match: 'prefix' })[0]?.field).toBe('id');
  });

  test.each([
    ['status', 'BOOKED" OR "1"="1'],
    ['startFrom', '2026-12-01" OR AppointmentId != "'],
    ['reminderBefore', '2026-12-01T10:00" OR "a"="a'],
    ['untextable', 'NOT_MOBILE" OR "1"="1'],
  ])('injection attempts in %s are refused', (field, value) => {
    expect(problemsOf({ [field]: value })[0]?.field).toBe(field);
  });

  test('the builder re-checks a search it did not parse', () => {
    const base: AppointmentSearch = { idMatch: 'exact' };
    expect(() => buildVisibilityQuery({ ...base, id: 'A" OR "1"="1' })).toThrow();
    expect(() => buildVisibilityQuery({ ...base, status: 'X' as 'BOOKED' })).toThrow(RangeError);
    expect(() => buildVisibilityQuery({ ...base, untextable: 'X' as 'NO_PHONE' })).toThrow(RangeError);
    expect(() => buildVisibilityQuery({ ...base, startFrom: '" OR 1=1' })).toThrow(RangeError);
  });
});

describe('quote', () => {
  test('escapes backslashes and double quotes, refuses anything but printable ASCII', () => {
    expect(quote('plain')).toBe('"plain"');
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('a\\')).toBe('"a\\\\"');
    expect(quote("it's")).toBe('"it\'s"');
    expect(() => quote('a\nb')).toThrow(RangeError);
    expect(() => quote('a\u0000')).toThrow(RangeError);
    expect(() => quote('é')).toThrow(RangeError);
  });
});

describe('parseUtcDateTime', () => {
  test('dates and date-times in UTC; impossible ones undefined', () => {
    expect(parseUtcDateTime('2026-12-01', true)).toBe(Date.UTC(2026, 11, 1));
    expect(parseUtcDateTime('2026-12-01T10:00', true)).toBeUndefined();
    expect(parseUtcDateTime('2026-12-01T10:05:07')).toBe(Date.UTC(2026, 11, 1, 10, 5, 7));
    expect(parseUtcDateTime('2026-12-01 10:05')).toBe(Date.UTC(2026, 11, 1, 10, 5));
    expect(parseUtcDateTime('2026-13-01')).toBeUndefined();
    expect(parseUtcDateTime('2026-12-01T24:00')).toBeUndefined();
    expect(parseUtcDateTime('1969-12-31')).toBeUndefined();
  });
});

describe('page trail', () => {
  test('round-trips tokens, and refuses what is not a trail', () => {
    const tokens = [Buffer.from('{"a":1}'), Buffer.from([0, 255, 7])];
    const text = formatPageTrail(tokens);
    expect(text).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(parsePageTrail(text)?.map((t) => Buffer.from(t).toString('hex'))).toEqual(
      tokens.map((t) => t.toString('hex')),
    );
    expect(parsePageTrail(undefined)).toEqual([]);
    expect(parsePageTrail('')).toEqual([]);
    expect(parsePageTrail('a..b')).toBeUndefined();
    expect(parsePageTrail('a b')).toBeUndefined();
    expect(parsePageTrail(['a', 'b'])).toBeUndefined();
    expect(parsePageTrail(Array.from({ length: MAX_PAGES }, () => 'a').join('.'))).toBeUndefined();
  });
});
