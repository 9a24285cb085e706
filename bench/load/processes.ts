/**
 * Child processes of the bench: each in its own process group (a terminal Ctrl-C reaches only the
 * bench, which then stops them in order), output to a log file, and killed when the bench exits
 * however it exits. Also reads RSS and CPU time from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<string>;
  running(): boolean;
  /** SIGTERM to the group, SIGKILL after the grace period; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<{ pid: number; process: ChildProcess }>();

/** Last resort: whatever is still running when the bench process exits is killed with it. */
export function killAllNow(): void {
  for (const child of live) killGroup(child.pid, 'SIGKILL');
  live.clear();
}
process.once('exit', killAllNow);

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
}

export function spawnChild(name: string, command: string, args: string[], options: SpawnOptions): Child {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const entry = { pid: child.pid, process: child };
  live.add(entry);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(entry);
      resolve(signal ?? String(code));
    });
  });
  return adopt(name, child, child.pid, options.logFile, exited);
}

/** Wraps a process started elsewhere (the Temporal dev server) so it is stopped and killed like ours. */
export function adoptChild(name: string, child: ChildProcess, logFile: string): Child {
  if (child.pid === undefined) throw new Error(`${name} has no pid`);
  const entry = { pid: child.pid, process: child };
  live.add(entry);
  const exited = new Promise<string>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(entry);
      resolve(child.signalCode ?? String(child.exitCode));
      return;
    }
    child.once('exit', (code, signal) => {
      live.delete(entry);
      resolve(signal ?? String(code));
    });
  });
  return adopt(name, child, child.pid, logFile, exited);
}

function adopt(
  name: string,
  child: ChildProcess,
  pid: number,
  logFile: string,
  exited: Promise<string>,
): Child {
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    name,
    pid,
    logFile,
    exited,
    running: () => !done && child.exitCode === null && child.signalCode === null,
    async stop(graceMs = 15_000) {
      if (done) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      killGroup(pid, 'SIGKILL'); // anything the process left behind in its group
    },
  };
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface MemoryReading {
  /** Resident set size now, MiB (VmRSS). */
  rssMiB: number;
  /** Peak resident set size, MiB (VmHWM). */
  peakMiB: number;
}

export function readMemory(pid: number): MemoryReading | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process in seconds (/proc/<pid>/stat fields 14 and 15). */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks();
  } catch {
    return undefined;
  }
}

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}
