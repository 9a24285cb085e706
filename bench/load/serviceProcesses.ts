/**
 * The service's API and worker as child processes in sandbox mode, against a Temporal server started elsewhere:
 * what the load bench (bench/load/stack.ts) and the fault suite (test/faults/) both run. Separate processes, so
 * their memory and CPU can be read and they can be SIGKILLed; one set of secrets, so they understand each other.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { newCodecKeyEntry } from '../../src/config/codecKeys';
import { spawnChild, tail, type Child } from './processes';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');

export { freePort } from '../../src/ports';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Secrets the API and worker (separate processes, separate data folders) must share; sandbox mode
 * would otherwise generate different ones per folder. Payloads are encrypted, as in production.
 */
export function sandboxSecrets(codecKeyLabel: string): Readonly<Record<string, string>> {
  return {
    SANDBOX_MODE: 'true',
    SANDBOX_TWILIO_AUTH_TOKEN: randomBytes(32).toString('hex'),
    PHONE_ID_KEY: randomBytes(32).toString('hex'),
    OPERATOR_TOKEN: randomBytes(32).toString('hex'),
    PAYLOAD_CODEC_KEYS: newCodecKeyEntry(codecKeyLabel),
  };
}

/** Settings that must not leak in from the developer's shell or .env (dotenv never overrides a set variable). */
export const BLANKED_SETTINGS: readonly string[] = [
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_PHONE_NUMBER',
  'TWILIO_MESSAGING_SERVICE_SID',
  'TWILIO_VERIFY_SERVICE_SID',
  'EHR_API_KEYS',
  'EHR_CALLBACK_URL',
  'EHR_CALLBACK_SECRET',
  'GCS_BUCKET',
  'GCS_API_ENDPOINT',
  'HL7_MLLP_PORT',
  'MESSAGE_TEMPLATES_FILE',
];

export interface ServiceEnvOptions {
  secrets: Readonly<Record<string, string>>;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The API's port; the worker reaches the sandbox (Twilio emulation, EHR receiver) there. */
  apiPort: number;
  dataDir: string;
  /** Anything else (reminder timings, log level...), on top of the defaults below. */
  settings?: Readonly<Record<string, string>>;
}

/** `process.env` with the real integrations blanked, plus the stack's shared secrets. */
export function sandboxBaseEnv(secrets: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of BLANKED_SETTINGS) env[name] = '';
  return { ...env, ...secrets };
}

/** The env npm start gives an embedded run, pointed at the given server, in sandbox mode, quiet. */
export function serviceEnv(options: ServiceEnvOptions): NodeJS.ProcessEnv {
  const apiOrigin = `http://127.0.0.1:${options.apiPort}`;
  return {
    ...sandboxBaseEnv(options.secrets),
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_NAMESPACE: options.namespace,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    PORT: String(options.apiPort),
    PUBLIC_BASE_URL: apiOrigin,
    API_INTERNAL_URL: apiOrigin,
    DATA_DIR: options.dataDir,
    LOG_LEVEL: 'warn',
    REMINDER_OUTREACH_START: '0000',
    REMINDER_OUTREACH_FINISH: '2400',
    // No metrics exporters: their fixed ports (9464, 9465) would fail a second worker, or this machine's npm start.
    WORKER_METRICS_PORT: '0',
    TEMPORAL_SDK_METRICS_ADDRESS: '',
    ...options.settings,
  };
}

/**
 * Stops a stack in the order that loses nothing: the workers first (they drain), then the API they send
 * through, then the client's connection and the Temporal server.
 */
export async function stopServiceStack(stack: {
  workers: ReadonlyArray<Child | undefined>;
  api: Child | undefined;
  connection: Connection;
  temporal: { stop(): Promise<void> };
}): Promise<void> {
  await Promise.all(stack.workers.map((worker) => worker?.stop(30_000)));
  await stack.api?.stop();
  await stack.connection.close().catch(() => undefined);
  await stack.temporal.stop();
}

/** `node --import tsx <file>`: tsx's loader in one process (the tsx CLI would add a parent process). */
export function spawnTs(name: string, file: string, logFile: string, env: NodeJS.ProcessEnv): Child {
  // BENCH_CPU_PROFILE_DIR: each child writes a V8 CPU profile there on exit (open it in Chrome DevTools).
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return spawnChild(name, process.execPath, [...profiling, '--import', 'tsx', file], {
    cwd: PROJECT_ROOT,
    env,
    logFile,
  });
}

/** Resolves once `GET <origin>/healthz` answers 200; throws if the process exits first or the time runs out. */
export async function untilHealthy(child: Child, origin: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running())
      throw new Error(`${child.name} exited at start-up\n--- ${child.logFile}\n${tail(child.logFile)}`);
    try {
      const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline)
      throw new Error(
        `${child.name} did not answer /healthz within ${timeoutMs / 1000} s\n${tail(child.logFile)}`,
      );
    await sleep(250);
  }
}

/** Resolves once the process polls `taskQueue` for workflow tasks (the SDK's worker identity is `<pid>@<host>`). */
export async function untilPolling(
  client: Client,
  namespace: string,
  child: Child,
  taskQueue: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running())
      throw new Error(`${child.name} exited at start-up\n--- ${child.logFile}\n${tail(child.logFile)}`);
    const described = await client.workflowService
      .describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      })
      .catch(() => undefined);
    if ((described?.pollers ?? []).some((poller) => poller.identity?.startsWith(`${child.pid}@`))) return;
    if (Date.now() > deadline)
      throw new Error(
        `${child.name} did not poll ${taskQueue} within ${timeoutMs / 1000} s\n${tail(child.logFile)}`,
      );
    await sleep(500);
  }
}
