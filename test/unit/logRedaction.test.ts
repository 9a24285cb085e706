import { createLogger } from '../../src/log';
import { REDACTED, redactPatientData } from '../../src/logRedaction';
import { lineSink } from '../helpers/logLines';

describe('patient data never reaches the logs, at any depth', () => {
  test('patient fields are redacted however deep, other fields kept', () => {
    const nested = {
      appointmentId: 'A1',
      a: { b: { c: { d: { phone: '+13035550123', firstName: 'Ana', kind: 'BOOKED' } } } },
      list: [{ to: '+13035550199', body: 'see you', status: 'sent' }],
      Patient_Last_Name: 'Lopez',
    };
    expect(redactPatientData(nested)).toEqual({
      appointmentId: 'A1',
      a: { b: { c: { d: { phone: REDACTED, firstName: REDACTED, kind: 'BOOKED' } } } },
      list: [{ to: REDACTED, body: REDACTED, status: 'sent' }],
      Patient_Last_Name: REDACTED,
    });
    // The input is left as it was.
    expect(nested.a.b.c.d.phone).toBe('+13035550123');
  });

  test('cycles and very deep objects end, errors keep their class', () => {
    const cyclic: Record<string, unknown> = { id: 1 };
    cyclic.self = cyclic;
    expect(redactPatientData(cyclic)).toEqual({ id: 1, self: '[…]' });
    // The same (non-cyclic) object logged twice is shown twice, redacted both times.
    const shared = { status: 'sent', to: '+13035550123' };
    expect(redactPatientData({ a: shared, b: shared })).toEqual({
      a: { status: 'sent', to: REDACTED },
      b: { status: 'sent', to: REDACTED },
    });
    let deep: Record<string, unknown> = { phone: '+13035550123' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    expect(JSON.stringify(redactPatientData(deep))).not.toContain('3035550123');
    const err = new Error('boom');
    expect(redactPatientData({ err }).err).toBe(err);
  });

  test('the service logger applies it to every line', () => {
    const lines: string[] = [];
    const logger = createLogger(lineSink(lines));
    logger.info({ deep: { deeper: { patient: { phone: '+13035550123', lastName: 'Lopez' } } } }, 'x');
    logger.info({ appointmentId: 'A1' }, 'kept');
    expect(lines.join()).not.toMatch(/3035550123|Lopez/);
    expect(lines.join()).toContain('"appointmentId":"A1"');
  });
});
