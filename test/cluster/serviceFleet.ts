/**
 * N worker processes (`src/worker.ts`) and M API processes (`src/apiServer.ts`) of the service,
 * in sandbox mode against one Temporal address, as the multi-process topology runs them. The
 * first API hosts the sandbox Twilio every worker sends through (API_INTERNAL_URL) and receives its
 * status callbacks (PUBLIC_BASE_URL); every process shares the sandbox secrets and the payload
 * codec key. Processes and logs come from the load bench's helpers (bench/load).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { spawnChild, tail, type Child } from '../../bench/load/processes';
import { sandboxBaseEnv, sandboxSecrets } from '../../bench/load/serviceProcesses';
import { freePort, PROJECT_ROOT, SERVICE_TASK_QUEUE } from '../../bench/load/stack';

export interface FleetOptions {
  temporalAddress: string;
  namespace: string;
  /** Logs and each process's DATA_DIR go here. */
  workDir: string;
  apis: number;
  workers: number;
  /** Settings every process gets on top of the fleet's own (reminder timings, a prebuilt bundle). */
  settings: Record<string, string>;
}

export interface ApiProcess {
  readonly child: Child;
  readonly origin: string;
}

export interface WorkerProcess {
  readonly child: Child;
  /** WORKER_METRICS_PORT: the worker's own /metrics (texts it sent). */
  readonly metricsUrl: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ServiceFleet {
  private readonly killed = new Set<Child>();

  private constructor(
    readonly apis: readonly ApiProcess[],
    readonly workers: readonly WorkerProcess[],
    private readonly connection: Connection,
  ) {}

  static async start(options: FleetOptions): Promise<ServiceFleet> {
    mkdirSync(path.join(options.workDir, 'logs'), { recursive: true });
    const secrets = sandboxSecrets('cluster');
    const apiPorts = await Promise.all(Array.from({ length: options.apis }, () => freePort()));
    const sandboxOrigin = `http://127.0.0.1:${apiPorts[0]}`;
    const common = (dataDir: string): NodeJS.ProcessEnv => ({
      ...sandboxBaseEnv(secrets),
      ...options.settings,
      TEMPORAL_ADDRESS: options.temporalAddress,
      TEMPORAL_NAMESPACE: options.namespace,
      TEMPORAL_TASK_QUEUE: SERVICE_TASK_QUEUE,
      API_INTERNAL_URL: sandboxOrigin,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // The SDK's own exporter (default 127.0.0.1:9464) would collide between processes: off.
      TEMPORAL_SDK_METRICS_ADDRESS: '',
    });
    const spawnTs = (name: string, file: string, env: NodeJS.ProcessEnv): Child =>
      spawnChild(name, process.execPath, ['--import', 'tsx', file], {
        cwd: PROJECT_ROOT,
        env,
        logFile: path.join(options.workDir, 'logs', `${name.replace(/\W+/g, '-')}.log`),
      });
    const connection = await Connection.connect({ address: options.temporalAddress });
    const apis: ApiProcess[] = [];
    const workers: WorkerProcess[] = [];
    const fleet = new ServiceFleet(apis, workers, connection);
    try {
      for (const [index, port] of apiPorts.entries()) {
        const origin = `http://127.0.0.1:${port}`;
        const child = spawnTs(`api ${index + 1}`, 'src/apiServer.ts', {
          ...common(path.join(options.workDir, `api-${index + 1}`)),
          PORT: String(port),
          PUBLIC_BASE_URL: origin,
        });
        apis.push({ child, origin });
      }
      for (let index = 0; index < options.workers; index += 1) {
        const metricsPort = await freePort();
        const child = spawnTs(`worker ${index + 1}`, 'src/worker.ts', {
          ...common(path.join(options.workDir, `worker-${index + 1}`)),
          // Status callbacks of the texts it sends go to the API that hosts the sandbox.
          PUBLIC_BASE_URL: sandboxOrigin,
          WORKER_METRICS_PORT: String(metricsPort),
        });
        workers.push({ child, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` });
      }
      await Promise.all([
        ...apis.map((api) => fleet.untilHealthy(api)),
        ...workers.map((worker) => fleet.untilPolling(worker.child, options.namespace)),
      ]);
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** The SDK's default worker identity, `<pid>@<host>`, as Temporal records it. */
  identityPrefix(worker: WorkerProcess): string {
    return `${worker.child.pid}@`;
  }

  /** SIGKILL: no drain, no shutdown hooks; its in-flight tasks time out and go to the others. */
  async kill(worker: WorkerProcess): Promise<void> {
    this.killed.add(worker.child);
    try {
      process.kill(-worker.child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await worker.child.exited;
  }

  /** Throws with its log when a process we did not kill has died. */
  assertAlive(): void {
    for (const { child } of [...this.apis, ...this.workers]) {
      if (!this.killed.has(child) && !child.running()) {
        throw new Error(
          `${child.name} (pid ${child.pid}) exited\n--- ${child.logFile}\n${tail(child.logFile)}`,
        );
      }
    }
  }

  /** Workers first (they drain), then the APIs they send through. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.child.stop(30_000)));
    await Promise.all(this.apis.map((api) => api.child.stop()));
    await this.connection.close().catch(() => undefined);
  }

  private async untilHealthy(api: ApiProcess): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (!api.child.running())
        throw new Error(`${api.child.name} exited at start-up\n${tail(api.child.logFile)}`);
      try {
        const res = await fetch(`${api.origin}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline)
        throw new Error(`${api.child.name} did not answer /healthz within 120 s\n${tail(api.child.logFile)}`);
      await sleep(250);
    }
  }

  private async untilPolling(child: Child, namespace: string): Promise<void> {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (!child.running()) throw new Error(`${child.name} exited at start-up\n${tail(child.logFile)}`);
      const described = await this.connection.workflowService
        .describeTaskQueue({
          namespace,
          taskQueue: { name: SERVICE_TASK_QUEUE },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        })
        .catch(() => undefined);
      if ((described?.pollers ?? []).some((poller) => poller.identity?.startsWith(`${child.pid}@`))) return;
      if (Date.now() > deadline)
        throw new Error(
          `${child.name} did not poll ${SERVICE_TASK_QUEUE} within 180 s\n${tail(child.logFile)}`,
        );
      await sleep(500);
    }
  }
}
