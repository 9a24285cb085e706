/**
 * What the fault suite breaks: a Temporal server (TemporalUnderTest), the service's API and its worker(s) as child
 * processes in sandbox mode (bench/load/serviceProcesses.ts, as the load bench runs them), each of which can be
 * SIGKILLed and started again on the same data. The API hosts the sandbox (Twilio emulation, EHR receiver), so
 * killing it also takes Twilio and the EHR away from the worker for a while, as a network partition would.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection, type Client } from '@temporalio/client';
import { tail, type Child } from '../../bench/load/processes';
import {
  PROJECT_ROOT,
  freePort,
  sandboxSecrets,
  serviceEnv,
  spawnTs,
  stopServiceStack,
  untilHealthy,
  untilPolling,
} from '../../bench/load/serviceProcesses';
import { createClient } from '../../src/temporal/connection';
import { startTemporalUnderTest, type FaultsTarget, type TemporalUnderTest } from './temporalServer';

export const TASK_QUEUE = 'appointments';
/** First reminder 5 minutes before the appointment, no second: every later text to a phone is that one or a duplicate. */
const FIRST_REMINDER_MINUTES = 5;
export const REMINDER_FIRST_OFFSET_MS = FIRST_REMINDER_MINUTES * 60_000;

export interface FaultStackOptions {
  target: FaultsTarget;
  /** Worker processes; all are killed together in the worker scenarios. */
  workers: number;
  log: (line: string) => void;
}

export class FaultStack {
  private api: Child | undefined;
  private workers: Child[] = [];
  private apiStarts = 0;
  private workerStarts = 0;
  private readonly secrets = sandboxSecrets('faults');

  private constructor(
    readonly workDir: string,
    readonly temporal: TemporalUnderTest,
    private readonly connection: Connection,
    readonly client: Client,
    readonly apiPort: number,
    private readonly bundlePath: string,
    private readonly options: FaultStackOptions,
  ) {}

  get apiOrigin(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  static async start(options: FaultStackOptions): Promise<FaultStack> {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'faults-'));
    mkdirSync(path.join(workDir, 'logs'));
    // Built once: a worker restarted mid-scenario then starts in seconds instead of bundling again.
    const bundlePath = path.join(workDir, 'workflow-bundle.js');
    execFileSync(process.execPath, ['--import', 'tsx', 'src/temporal/buildWorkflowBundle.ts', bundlePath], {
      cwd: PROJECT_ROOT,
      stdio: 'ignore',
    });
    const temporal = await startTemporalUnderTest(
      options.target,
      path.join(workDir, 'temporal'),
      options.log,
    );
    options.log(`${temporal.label} at ${temporal.address}, work dir ${workDir}`);
    let stack: FaultStack | undefined;
    try {
      const connection = await Connection.connect({ address: temporal.address });
      stack = new FaultStack(
        workDir,
        temporal,
        connection,
        createClient(connection, temporal.namespace),
        await freePort(),
        bundlePath,
        options,
      );
      await stack.startApi();
      await stack.startWorkers();
      return stack;
    } catch (err) {
      // Whatever did start must not outlive the failed start (a Jest run would hang on it).
      await (stack ? stack.stop() : temporal.stop());
      throw err;
    }
  }

  /** Starts the API (not running) on its data folder, which every start shares: the sandbox's texts persist. */
  async startApi(): Promise<void> {
    if (this.api?.running()) return;
    this.apiStarts += 1;
    const child = spawnTs(
      `api #${this.apiStarts}`,
      'src/apiServer.ts',
      this.logFile(`api-${this.apiStarts}.log`),
      this.env(path.join(this.workDir, 'api-data')),
    );
    this.api = child;
    await untilHealthy(child, this.apiOrigin);
  }

  async killApi(): Promise<void> {
    await kill(this.api);
  }

  /** Starts the configured number of worker processes (those not running); resolves once each polls. */
  async startWorkers(): Promise<void> {
    this.workers = this.workers.filter((worker) => worker.running());
    const started: Child[] = [];
    while (this.workers.length + started.length < this.options.workers) {
      this.workerStarts += 1;
      started.push(
        spawnTs(
          `worker #${this.workerStarts}`,
          'src/worker.ts',
          this.logFile(`worker-${this.workerStarts}.log`),
          { ...this.env(path.join(this.workDir, 'worker-data')), WORKFLOW_BUNDLE_PATH: this.bundlePath },
        ),
      );
    }
    this.workers.push(...started);
    await Promise.all(
      started.map((worker) => untilPolling(this.client, this.temporal.namespace, worker, TASK_QUEUE)),
    );
  }

  async killWorkers(): Promise<void> {
    await Promise.all(this.workers.map((worker) => kill(worker)));
  }

  async killTemporal(): Promise<void> {
    await this.temporal.kill();
  }

  async restartTemporal(): Promise<void> {
    await this.temporal.restart();
  }

  /** Brings back whatever a failed scenario left down, so the next one starts whole. */
  async ensureRunning(): Promise<void> {
    await this.connection.workflowService.getSystemInfo({}).catch(() => this.temporal.restart());
    await this.startApi();
    await this.startWorkers();
  }

  /** The last lines of every service process's log, for a failure message. */
  logTails(lines = 15): string {
    return [this.api, ...this.workers]
      .filter((child): child is Child => child !== undefined)
      .map((child) => `--- ${child.name} (${child.logFile})\n${tail(child.logFile, lines)}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    await stopServiceStack({
      workers: this.workers,
      api: this.api,
      connection: this.connection,
      temporal: this.temporal,
    });
  }

  removeWorkDir(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }

  private env(dataDir: string): NodeJS.ProcessEnv {
    return serviceEnv({
      secrets: this.secrets,
      temporalAddress: this.temporal.address,
      namespace: this.temporal.namespace,
      taskQueue: TASK_QUEUE,
      apiPort: this.apiPort,
      dataDir,
      settings: {
        REMINDER_FIRST_TIMING: String(FIRST_REMINDER_MINUTES).padStart(4, '0'), // HHMM
        REMINDER_SECOND_TIMING: '0000',
      },
    });
  }

  private logFile(name: string): string {
    return path.join(this.workDir, 'logs', name);
  }
}

/** SIGKILL to the process's group (no drain, no goodbye); resolves once it has exited. */
async function kill(child: Child | undefined): Promise<void> {
  if (child === undefined || !child.running()) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await child.exited;
}
