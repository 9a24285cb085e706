/**
 * The bench's own stack, all child processes so their RSS and CPU can be read: a fresh Temporal
 * CLI dev server (temp SQLite, free ports, our search attributes), the service's API and worker
 * as separate processes in sandbox mode, and the baseline's worker on its own task queue.
 *
 * The API can be restarted with a fresh DATA_DIR (and other reminder timings) between measures:
 * the policy is attached to each event by the API, and each measure (service and baseline alike)
 * starts with an empty sandbox store so no measure pays for another's messages.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { binaryVersion, resolveTemporalBinary } from '../../src/temporal/binaries';
import { connectWithRetry, createClient, ensureSearchAttributes } from '../../src/temporal/connection';
import { startDevServer } from '../../src/temporal/devServer';
import { newCodecKeyEntry } from '../../src/temporal/codecKeys';
import { BASELINE_TASK_QUEUE } from './baseline/shared';
import { adoptChild, spawnChild, tail, type Child } from './processes';
import type { Progress } from './progress';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');
export const NAMESPACE = 'default';
/** The service's task queue, set explicitly so the bench can see the worker's pollers. */
export const SERVICE_TASK_QUEUE = 'appointments';

/** REMINDER_FIRST_TIMING / REMINDER_SECOND_TIMING (HHMM) for the API's next start. */
export interface ReminderTimings {
  first: string;
  second: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Secrets the API and worker (separate processes, separate data folders) must share; sandbox mode
 * would otherwise generate different ones per folder. Payloads are encrypted, as in production.
 */
const SHARED_SECRETS = {
  SANDBOX_MODE: 'true',
  SANDBOX_TWILIO_AUTH_TOKEN: randomBytes(32).toString('hex'),
  PHONE_ID_KEY: randomBytes(32).toString('hex'),
  OPERATOR_TOKEN: randomBytes(32).toString('hex'),
  PAYLOAD_CODEC_KEYS: newCodecKeyEntry('bench'),
};

/** Settings that must not leak in from the developer's shell or .env (dotenv never overrides a set variable). */
const BLANKED = [
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

export class Stack {
  private apiChild: Child | undefined;
  private workerChild: Child | undefined;
  private baselineChild: Child | undefined;
  private apiStarts = 0;
  private workerStarts = 0;
  private stopping = false;
  private timings: ReminderTimings = { first: '0003', second: '0002' };

  private constructor(
    readonly workDir: string,
    readonly temporalAddress: string,
    readonly temporalVersion: string,
    private readonly devServer: Child,
    private readonly connection: Connection,
    readonly client: Client,
    readonly apiPort: number,
    private readonly progress: Progress,
  ) {}

  get apiOrigin(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** Pids to read memory and CPU from. */
  get pids(): { temporal: number; api?: number; worker?: number; baselineWorker?: number } {
    return {
      temporal: this.devServer.pid,
      api: this.apiChild?.pid,
      worker: this.workerChild?.pid,
      baselineWorker: this.baselineChild?.pid,
    };
  }

  static async start(progress: Progress): Promise<Stack> {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'bench-load-'));
    mkdirSync(path.join(workDir, 'logs'));
    const binary = resolveTemporalBinary('cli', { log: (line) => progress.line(line) });
    const [port, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const server = startDevServer({
      binary,
      dataDir: path.join(workDir, 'temporal'),
      port,
      uiPort,
      namespace: NAMESPACE,
    });
    const devServer = adoptChild('temporal dev server', server.process, server.logFile);
    progress.line(`Temporal dev server ${server.address} (pid ${devServer.pid}), work dir ${workDir}`);
    let connection: Connection | undefined;
    try {
      connection = await connectWithRetry(server.address, { timeoutMs: 60_000 });
      await ensureSearchAttributes(connection, NAMESPACE);
    } catch (err) {
      await devServer.stop();
      throw new Error(`${String(err)}\n--- ${server.logFile}\n${tail(server.logFile)}`);
    }
    const stack = new Stack(
      workDir,
      server.address,
      binaryVersion(binary),
      devServer,
      connection,
      createClient(connection, NAMESPACE),
      apiPort,
      progress,
    );
    try {
      await stack.restartApi(stack.timings, 'start');
      await stack.restartWorker();
      await stack.startBaselineWorker();
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  /** Throws if a process of the stack died on its own (so a measure fails instead of waiting for ever). */
  assertAlive(): void {
    if (this.stopping) return;
    for (const child of [this.devServer, this.apiChild, this.workerChild, this.baselineChild]) {
      if (child && !child.running()) {
        throw new Error(
          `${child.name} (pid ${child.pid}) exited unexpectedly\n--- ${child.logFile}\n${tail(child.logFile)}`,
        );
      }
    }
  }

  /** Stops the API (if running) and starts it again with a fresh DATA_DIR and these reminder timings. */
  async restartApi(timings: ReminderTimings, label: string): Promise<void> {
    this.timings = timings;
    const previous = this.apiChild;
    this.apiChild = undefined;
    await previous?.stop();
    this.apiStarts += 1;
    const dataDir = path.join(this.workDir, `api-${this.apiStarts}-${label}`);
    mkdirSync(dataDir, { recursive: true });
    const child = this.spawnTs(`api #${this.apiStarts}`, 'src/api/server.ts', `api-${this.apiStarts}.log`, {
      ...this.serviceEnv(dataDir),
      REMINDER_FIRST_TIMING: timings.first,
      REMINDER_SECOND_TIMING: timings.second,
    });
    this.apiChild = child;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (!child.running())
        throw new Error(`API exited at start-up\n--- ${child.logFile}\n${tail(child.logFile)}`);
      try {
        const res = await fetch(`${this.apiOrigin}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline)
        throw new Error(`API did not answer /healthz within 90 s\n${tail(child.logFile)}`);
      await sleep(250);
    }
    this.progress.line(
      `API ${this.apiOrigin} (pid ${child.pid}) with reminders ${timings.first}/${timings.second}, data ${path.basename(dataDir)}`,
    );
  }

  /** Stops the service's worker (if running) and starts a fresh process; resolves once it polls. */
  async restartWorker(): Promise<void> {
    const previous = this.workerChild;
    this.workerChild = undefined;
    await previous?.stop(30_000);
    this.workerStarts += 1;
    const child = this.spawnTs(
      `service worker #${this.workerStarts}`,
      'src/worker.ts',
      `worker-${this.workerStarts}.log`,
      this.serviceEnv(path.join(this.workDir, 'worker-data')),
    );
    this.workerChild = child;
    await this.untilPolling(child, SERVICE_TASK_QUEUE);
    this.progress.line(`service worker polling ${SERVICE_TASK_QUEUE} (pid ${child.pid})`);
  }

  private async startBaselineWorker(): Promise<void> {
    const child = this.spawnTs('baseline worker', 'bench/load/baseline/worker.ts', 'baseline-worker.log', {
      ...process.env,
      TEMPORAL_ADDRESS: this.temporalAddress,
      API_INTERNAL_URL: this.apiOrigin,
      SANDBOX_TWILIO_AUTH_TOKEN: SHARED_SECRETS.SANDBOX_TWILIO_AUTH_TOKEN,
    });
    this.baselineChild = child;
    await this.untilPolling(child, BASELINE_TASK_QUEUE);
    this.progress.line(`baseline worker polling ${BASELINE_TASK_QUEUE} (pid ${child.pid})`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // Workers first (they drain), then the API they send through, then the server.
    await Promise.all([this.workerChild?.stop(30_000), this.baselineChild?.stop(30_000)]);
    await this.apiChild?.stop();
    await this.connection.close().catch(() => undefined);
    await this.devServer.stop();
  }

  removeWorkDir(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** The env npm start gives an embedded run, pointed at our server, in sandbox mode, quiet. */
  private serviceEnv(dataDir: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of BLANKED) env[name] = '';
    return {
      ...env,
      ...SHARED_SECRETS,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: SERVICE_TASK_QUEUE,
      PORT: String(this.apiPort),
      PUBLIC_BASE_URL: this.apiOrigin,
      API_INTERNAL_URL: this.apiOrigin,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      REMINDER_OUTREACH_START: '0000',
      REMINDER_OUTREACH_FINISH: '2400',
      REMINDER_FIRST_TIMING: this.timings.first,
      REMINDER_SECOND_TIMING: this.timings.second,
    };
  }

  /** `node --import tsx <file>`: tsx's loader in one process (the tsx CLI would add a parent process). */
  private spawnTs(name: string, file: string, logName: string, env: NodeJS.ProcessEnv): Child {
    return spawnChild(name, process.execPath, ['--import', 'tsx', file], {
      cwd: PROJECT_ROOT,
      env,
      logFile: path.join(this.workDir, 'logs', logName),
    });
  }

  private async untilPolling(child: Child, taskQueue: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (!child.running())
        throw new Error(`${child.name} exited at start-up\n--- ${child.logFile}\n${tail(child.logFile)}`);
      const described = await this.client.workflowService
        .describeTaskQueue({
          namespace: NAMESPACE,
          taskQueue: { name: taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        })
        .catch(() => undefined);
      // The SDK's default worker identity is `<pid>@<host>`.
      if ((described?.pollers ?? []).some((poller) => poller.identity?.startsWith(`${child.pid}@`))) return;
      if (Date.now() > deadline)
        throw new Error(`${child.name} did not poll ${taskQueue} within 120 s\n${tail(child.logFile)}`);
      await sleep(500);
    }
  }
}
