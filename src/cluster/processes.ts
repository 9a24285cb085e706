/**
 * The cluster's long-running processes (PostgreSQL, one Temporal process per service): started in a
 * process group of their own with output to a log file and a pid file, so `npm run cluster:up` can
 * exit and leave them running and `npm run cluster:down` (another process) can stop them.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DaemonOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Written with the pid once started, removed by `stopProcess`. */
  pidFile?: string;
  /** Run as this user and group (root starting PostgreSQL, which refuses to run as root). */
  uid?: number;
  gid?: number;
}

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process has exited (only while this process is its parent). */
  readonly exited: Promise<void>;
  running(): boolean;
}

export function startDaemon(name: string, command: string, args: string[], options: DaemonOptions): Daemon {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const out = openSync(options.logFile, 'a', 0o600);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', out, out],
    // Own process group: a Ctrl-C in the terminal that ran `cluster:up` does not reach the cluster.
    detached: true,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  // The caller decides how long the process lives; it must not keep this process's event loop alive.
  child.unref();
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true;
      resolve();
    });
  });
  if (options.pidFile) {
    mkdirSync(path.dirname(options.pidFile), { recursive: true });
    writeFileSync(options.pidFile, `${pid}\n`, { mode: 0o600 });
  }
  return { name, pid, logFile: options.logFile, exited, running: () => !done && isAlive(pid) };
}

/** Alive and not a zombie (a killed child stays in the process table until it is reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) said it exists
  }
}

/** The process's command line, or undefined when there is no such process. */
export function commandLineOf(pid: number): string | undefined {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until the process is gone; true when it went within the time. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    /* already gone */
  }
}

export interface StopOptions {
  /** The first signal: SIGTERM for Temporal, SIGINT (fast shutdown) for PostgreSQL. */
  signal: NodeJS.Signals;
  graceMs: number;
  /** Sent when the grace period is over, before a last SIGKILL. */
  escalation?: NodeJS.Signals;
  pidFile?: string;
}

/** Signals the process, waits, escalates; resolves once it is gone. */
export async function stopProcess(pid: number, options: StopOptions): Promise<void> {
  signal(pid, options.signal);
  if (!(await waitForExit(pid, options.graceMs))) {
    if (options.escalation) {
      signal(pid, options.escalation);
      await waitForExit(pid, 5_000);
    }
    signal(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
  }
  if (options.pidFile) rmSync(options.pidFile, { force: true });
}

/** SIGKILL and wait until the process is gone (its ports are free again). */
export async function killProcess(pid: number, pidFile?: string): Promise<void> {
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 10_000);
  if (pidFile) rmSync(pidFile, { force: true });
}

/** The last lines of a log file, for error messages. */
export function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
