/**
 * parseCanonicalEvent properties (fast-check): never throws, answers only well-formed events or
 * problems, and is deterministic.
 */
import fc from 'fast-check';
import { parseCanonicalEvent, type ParseResult } from '../../../../src/domain/events/canonicalEvent';
import { EHR_EVENT_TYPES } from '../../../../src/shared/appointment';
import { context, REQUIRED_FIELDS, OPTIONAL_FIELDS, fullBody } from './fixtures';

describe('parseCanonicalEvent properties', () => {
  const ALL_FIELDS = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS];

  // Plausible and implausible values for every field, so generated bodies sometimes parse.
  const fieldValue = fc.oneof(
    fc.jsonValue(),
    fc.string(),
    fc.constantFrom(
      '',
      '  ',
      'BOOKED',
      'opted-in',
      'A-1',
      'P/1',
      '2026-12-01T15:30:00',
      '2026-02-30T10:00:00',
      '2026-12-01T15:30:00Z',
      '2026-11-20T18:00:00Z',
      'America/Denver',
      '-0700',
      '+14:00',
      'Mars/Olympus',
      '(303) 555-0123',
      '+13035550123',
      'en',
      'es-MX',
      '__proto__',
    ),
  );

  const bodyWithKnownKeys = fc.dictionary(fc.constantFrom(...ALL_FIELDS, 'extra', '__proto__'), fieldValue);

  function checkResult(result: ParseResult): void {
    if (result.ok) {
      expect(EHR_EVENT_TYPES).toContain(result.event.eventType);
      // A number that can be texted, or the reason there is none: never both, never neither.
      if (result.event.patient.phone === undefined) expect(result.event.patient.phoneProblem).toBeDefined();
      else {
        expect(result.event.patient.phone).toMatch(/^\+\d+$/);
        expect(result.event.patient.phoneProblem).toBeUndefined();
      }
      expect(result.event.eventId).toMatch(/^[A-Za-z0-9._:@-]{1,128}$/);
      expect(result.event.appointmentId).toMatch(/^[A-Za-z0-9._:@-]{1,128}$/);
      if (result.event.start === undefined)
        expect(['CANCELED', 'NOSHOWED']).toContain(result.event.eventType);
      else expect(new Date(result.event.start).toISOString()).toBe(result.event.start);
      expect(new Date(result.event.eventAt).toISOString()).toBe(result.event.eventAt);
    } else {
      expect(result.problems.length).toBeGreaterThan(0);
      for (const problem of result.problems) {
        expect(typeof problem.field).toBe('string');
        expect(typeof problem.message).toBe('string');
      }
    }
  }

  it('never throws for an arbitrary JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        checkResult(parseCanonicalEvent(value, context));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for an arbitrary object with the canonical keys', () => {
    fc.assert(
      fc.property(bodyWithKnownKeys, (body) => {
        checkResult(parseCanonicalEvent(body, context));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws when a valid body has one field replaced by anything', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_FIELDS), fieldValue, (field, value) => {
        checkResult(parseCanonicalEvent({ ...fullBody(), [field]: value }, context));
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: the same body always gives the same answer', () => {
    fc.assert(
      fc.property(bodyWithKnownKeys, (body) => {
        const copy = JSON.parse(JSON.stringify(body)) as unknown;
        expect(parseCanonicalEvent(body, context)).toEqual(parseCanonicalEvent(copy, context));
      }),
      { numRuns: 300 },
    );
  });
});
