/**
 * The baseline's worker process: its own task queue on the bench's dev server, sending through the
 * API's sandbox Twilio emulation with the same SDK client the service's worker uses in sandbox mode.
 * Env: TEMPORAL_ADDRESS (host:port), API_INTERNAL_URL (the API's origin), SANDBOX_TWILIO_AUTH_TOKEN (the sandbox account's).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createSandboxTwilioClient, sandboxTwilioBaseUrl } from '../../../src/activities/twilioClient';
import { createBaselineActivities } from './activities';
import { BASELINE_TASK_QUEUE } from './shared';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`baseline worker: ${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') });
  const twilio = createSandboxTwilioClient(
    sandboxTwilioBaseUrl(required('API_INTERNAL_URL')),
    required('SANDBOX_TWILIO_AUTH_TOKEN'),
  );
  const worker = await Worker.create({
    connection,
    taskQueue: BASELINE_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows'),
    activities: createBaselineActivities(twilio),
  });
  // The SDK drains the worker on SIGINT/SIGTERM; run() resolves once it has stopped.
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error('baseline worker failed', err);
  process.exit(1);
});
