/**
 * What every EHR fuzz case shares: the appointments and FHIR resources the stack is seeded with, the
 * values all formats draw from (ids, phones, local times, zones), and the headers and bodies of a request.
 */
import fc from 'fast-check';
import { anyText, garbageBody, hexId, nearValidJson, type Json } from './mutations';
import { printable, describeRequest, type FuzzRequest } from './transport';

/** Appointments created before fuzzing: near-valid inputs name them, so their workflows are the ones at risk. */
export const POOL_APPOINTMENTS = ['FZ-P1', 'FZ-P2', 'FZ-P3', 'FZ-P4', 'FZ-P5', 'FZ-P6'] as const;

/** Resources on the test FHIR server (the "EHR") that reference-only Appointments resolve to. */
export const FHIR_SEED_IDS = { patient: 'fz-patient', practitioner: 'fz-dr', location: 'fz-clinic' } as const;

export const SANDBOX_KEY = 'sandbox-key';

export interface HttpCase {
  ingress: string;
  /** What kind of input this is (near-valid and which edits, garbage...), for the summary. */
  shape: string;
  request: FuzzRequest;
  /** Made to fail authentication (forged signature, no key): must never be accepted. */
  forged?: boolean;
}

export interface EhrContext {
  /** The FHIR_BASE_URL the stack reads references from. */
  fhirBaseUrl: string;
}

// ----- values shared by the formats -------------------------------------------------------------------------

export const appointmentId: fc.Arbitrary<string> = fc.oneof(
  { weight: 7, arbitrary: fc.constantFrom(...POOL_APPOINTMENTS) },
  { weight: 2, arbitrary: hexId(10).map((h) => `FZ-${h}`) },
  { weight: 1, arbitrary: fc.oneof(anyText, fc.constantFrom('a/b', 'FZ P1', 'x'.repeat(129), 'FZ-P1\n')) },
);

/** Patients' numbers: mostly untextable (no texts, so the worker stays quiet), some mobiles. */
export const patientPhone: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('***-***-0142', 'XXX-XXX-0199') },
  { weight: 2, arbitrary: fc.constantFrom('+44 20 7946 0958', '+61 2 9374 4000') },
  { weight: 2, arbitrary: fc.constantFrom('12345', '', '+1', 'not a phone', '+999999999999999999') },
  { weight: 1, arbitrary: fc.constantFrom('(303) 555-0142', '+33 6 12 34 56 78') },
  { weight: 1, arbitrary: anyText },
);

export const localDateTime: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
        hour: fc.integer({ min: 6, max: 19 }),
        minute: fc.constantFrom(0, 15, 30, 45),
      })
      .map(({ month, day, hour, minute }) => `2031-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:00`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '2020-01-01T10:00:00',
      '2031-02-30T10:00:00',
      '2031-03-09T02:30:00',
      '2031-13-01T10:00:00',
      '2031-06-01T24:00:00',
      '2031-06-01T10:00',
      '2031-06-01T10:00:00Z',
      '2031-06-01T10:00:00-07:00',
      '0000-01-01T00:00:00',
      '9999-12-31T23:59:59',
      '2031-06-01',
    ),
  },
);

export const zone: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('America/Denver', 'America/New_York', 'Europe/Madrid', '-0700', '+05:30'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'UTC',
      'Etc/GMT+14',
      'Mars/Phobos',
      '+2500',
      '-07',
      'america/denver',
      'EST5EDT',
      '',
    ),
  },
  { weight: 1, arbitrary: anyText },
);

const pad = (n: number): string => String(n).padStart(2, '0');

/** Bearer headers: the sandbox key nearly always, sometimes none or a wrong one. */
export const authorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 20, arbitrary: fc.constant(`Bearer ${SANDBOX_KEY}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'Bearer wrong-key',
      `bearer ${SANDBOX_KEY}`,
      `Bearer  ${SANDBOX_KEY}`,
      `Basic ${Buffer.from('sandbox:key').toString('base64')}`,
      'Bearer',
      `Bearer ${SANDBOX_KEY}x`,
    ),
  },
);

/** Whether the header carries the key in the documented form (scheme case-insensitive): any other must be refused. */
export const authenticates = (auth: string | undefined): boolean =>
  auth !== undefined && new RegExp(`^bearer\\s+${SANDBOX_KEY}$`, 'i').test(auth);

export function headersOf(contentType: string | undefined, auth: string | undefined): Record<string, string> {
  return {
    ...(contentType === undefined ? {} : { 'Content-Type': contentType }),
    ...(auth === undefined ? {} : { Authorization: auth }),
  };
}

export function httpCase(ingress: string, shape: string, request: FuzzRequest, forged = false): HttpCase {
  return printable(
    { ingress, shape, request, ...(forged ? { forged } : {}) },
    (c) => `${c.shape}: ${describeRequest(c.request)}`,
  );
}

/** A body and how it was made: near-valid (with the edits named) or garbage. */
export function bodyOf(
  valid: fc.Arbitrary<Json>,
  garbageShare = 1,
): fc.Arbitrary<{ body: Buffer; shape: string }> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: nearValidJson(valid).map(({ text, edits }) => ({
        body: Buffer.from(text),
        shape: `near-valid[${edits}]`,
      })),
    },
    { weight: garbageShare, arbitrary: garbageBody.map((body) => ({ body, shape: 'garbage' })) },
  );
}
