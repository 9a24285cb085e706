/**
 * The service's entry points as child processes, the way operators run them (`npm start`, `npm run
 * worker`, `npm run api`): `node --import tsx <entry>` in one process (the tsx CLI would add a parent
 * that relays signals). For the processHygiene* tests: exit codes, drain times, what is left behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

const made: string[] = [];

/** A fresh folder under the system's temp dir, removed by removeTempDirs. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** For afterAll, once every process that used them has stopped. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export type ServiceEntry = 'src/main.ts' | 'src/worker.ts' | 'src/apiServer.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process had exited. */
  at: number;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<Exit>;
  running(): boolean;
}

/**
 * Quiet, and off the machine-wide default ports other tests and people use: no SDK exporter (9464),
 * no worker /metrics (9465), unless a test sets them.
 */
const BASE_ENV = { LOG_LEVEL: 'warn', TEMPORAL_SDK_METRICS_ADDRESS: '', WORKER_METRICS_PORT: '0' };

export function startService(
  entry: ServiceEntry,
  env: Record<string, string>,
  options: { uid?: number; gid?: number } = {},
): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: projectRoot,
    env: { ...process.env, ...BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let done = false;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal, at: Date.now() });
    }),
  );
  if (child.pid === undefined) throw new Error(`could not start ${entry}`);
  return { child, pid: child.pid, output: () => output, exited, running: () => !done };
}

/** Sends `signal` and waits for the exit; `ms` is how long the process took to go. */
export async function stopWith(
  service: ServiceProcess,
  signal: NodeJS.Signals,
): Promise<Exit & { ms: number }> {
  const sent = Date.now();
  service.child.kill(signal);
  const exit = await service.exited;
  return { ...exit, ms: exit.at - sent };
}

/** Ends a test's leftover process (a failed assertion must not leave a worker polling for ever). */
export async function ensureStopped(service: ServiceProcess | undefined): Promise<void> {
  if (!service?.running()) return;
  service.child.kill('SIGKILL');
  await service.exited;
}

/**
 * The workflow bundle a worker loads instead of running webpack at each start (WORKFLOW_BUNDLE_PATH),
 * built by the project's own build step.
 */
export function buildWorkflowBundle(): string {
  const file = path.join(tempDir('hygiene-bundle-'), 'workflow-bundle.js');
  execFileSync(process.execPath, ['--import', 'tsx', 'src/temporal/buildWorkflowBundle.ts', file], {
    cwd: projectRoot,
    stdio: 'ignore',
  });
  return file;
}

/** Whether `pid` is a live process (a zombie counts as gone: it holds no port and no file). */
export function isRunning(pid: number): boolean {
  try {
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat !== '' && !stat.startsWith('Z');
  } catch {
    return false;
  }
}

/** The direct children of `pid`, with their command lines (Linux procps `ps --ppid`). */
export function childProcesses(pid: number): { pid: number; args: string }[] {
  try {
    return execFileSync('ps', ['-ww', '-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({ pid: Number(match[1]), args: match[2] ?? '' }));
  } catch {
    return []; // ps exits 1 when there is none
  }
}
