/** What an activity run in MockActivityEnvironment threw, when the test expects an ApplicationFailure. */
import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure the promise rejects with; anything else (or success) fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure)) {
    throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  }
  return error;
}
