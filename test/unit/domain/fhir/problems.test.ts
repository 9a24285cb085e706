/**
 * FHIR errors as values (problems.ts): problems as an OperationOutcome.
 */
import { operationOutcome } from '../../../../src/domain/fhir/problems';
import { containedAppointment, expectProblems } from './fixtures';

describe('operationOutcome', () => {
  it('lists each problem as an error with its FHIRPath', () => {
    const problems = expectProblems({ ...containedAppointment(), start: undefined, status: 'pending' });
    expect(operationOutcome(problems)).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'not-supported',
          diagnostics: expect.stringContaining('pending'),
          expression: ['Appointment.status'],
        },
        {
          severity: 'error',
          code: 'required',
          diagnostics: expect.any(String),
          expression: ['Appointment.start'],
        },
      ],
    });
    expect(operationOutcome([{ code: 'invalid', diagnostics: 'not JSON' }]).issue[0]).not.toHaveProperty(
      'expression',
    );
  });
});
