/**
 * The bench's own stack, all child processes so their RSS and CPU can be read: a fresh Temporal
 * CLI dev server (temp SQLite, free ports, our search attributes), the service's API and worker
 * as separate processes in sandbox mode, and the baseline's worker on its own task queue.
 *
 * The API can be restarted with a fresh DATA_DIR (and other reminder timings) between measures:
 * the policy is attached to each event by the API, and each measure (service and baseline alike)
 * starts with an empty sandbox store so no measure pays for another's messages.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { binaryVersion, resolveTemporalBinary } from '../../src/temporal/binaries';
import { connectWithRetry, createClient, ensureSearchAttributes } from '../../src/temporal/connection';
import { startDevServer } from '../../src/temporal/devServer';
import { BASELINE_TASK_QUEUE } from './baseline/shared';
import { adoptChild, tail, type Child } from './processes';
import type { Progress } from './progress';
import {
  freePort,
  sandboxSecrets,
  serviceEnv,
  spawnTs,
  stopServiceStack,
  untilHealthy,
  untilPolling,
} from './serviceProcesses';

export { freePort, PROJECT_ROOT } from './serviceProcesses';
export const NAMESPACE = 'default';
/** The service's task queue, set explicitly so the bench can see the worker's pollers. */
export const SERVICE_TASK_QUEUE = 'appointments';

/** REMINDER_FIRST_TIMING / REMINDER_SECOND_TIMING (HHMM) for the API's next start. */
export interface ReminderTimings {
  first: string;
  second: string;
}

/** One set for the bench's whole run (see sandboxSecrets). */
const SHARED_SECRETS = sandboxSecrets('bench');

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
    const child = spawnTs(
      `api #${this.apiStarts}`,
      'src/apiServer.ts',
      this.logFile(`api-${this.apiStarts}.log`),
      this.serviceEnv(dataDir),
    );
    this.apiChild = child;
    await untilHealthy(child, this.apiOrigin);
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
    const child = spawnTs(
      `service worker #${this.workerStarts}`,
      'src/worker.ts',
      this.logFile(`worker-${this.workerStarts}.log`),
      this.serviceEnv(path.join(this.workDir, 'worker-data')),
    );
    this.workerChild = child;
    await untilPolling(this.client, NAMESPACE, child, SERVICE_TASK_QUEUE);
    this.progress.line(`service worker polling ${SERVICE_TASK_QUEUE} (pid ${child.pid})`);
  }

  private async startBaselineWorker(): Promise<void> {
    const child = spawnTs(
      'baseline worker',
      'bench/load/baseline/worker.ts',
      this.logFile('baseline-worker.log'),
      {
        ...process.env,
        TEMPORAL_ADDRESS: this.temporalAddress,
        API_INTERNAL_URL: this.apiOrigin,
        SANDBOX_TWILIO_AUTH_TOKEN: SHARED_SECRETS.SANDBOX_TWILIO_AUTH_TOKEN,
      },
    );
    this.baselineChild = child;
    await untilPolling(this.client, NAMESPACE, child, BASELINE_TASK_QUEUE);
    this.progress.line(`baseline worker polling ${BASELINE_TASK_QUEUE} (pid ${child.pid})`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await stopServiceStack({
      workers: [this.workerChild, this.baselineChild],
      api: this.apiChild,
      connection: this.connection,
      temporal: this.devServer,
    });
  }

  removeWorkDir(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** The env npm start gives an embedded run, pointed at our server, in sandbox mode, quiet. */
  private serviceEnv(dataDir: string): NodeJS.ProcessEnv {
    return serviceEnv({
      secrets: SHARED_SECRETS,
      temporalAddress: this.temporalAddress,
      namespace: NAMESPACE,
      taskQueue: SERVICE_TASK_QUEUE,
      apiPort: this.apiPort,
      dataDir,
      settings: { REMINDER_FIRST_TIMING: this.timings.first, REMINDER_SECOND_TIMING: this.timings.second },
    });
  }

  private logFile(name: string): string {
    return path.join(this.workDir, 'logs', name);
  }
}
