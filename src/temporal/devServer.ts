/**
 * Runs the Temporal CLI dev server as a child process for the embedded default: SQLite file
 * under DATA_DIR (a restart keeps every workflow), Web UI, our search attributes registered.
 *
 * It must not outlive the process that started it, however that process ends. A clean stop or exit
 * stops it; a hard death (SIGKILL, the OOM killer) cannot run any code, so a watchdog process holds
 * a pipe from us and stops the server when the pipe closes, which the kernel does when we die. Should
 * the watchdog die too, the pid file in DATA_DIR lets the next start find the server and stop it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_CLI_TYPES } from '../shared/temporal';

/** How long stop() gives the dev server after SIGTERM before SIGKILL. */
export const DEV_SERVER_STOP_GRACE_MS = 10_000;

export interface DevServerOptions {
  binary: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Bind address; loopback by default because the dev server has no authentication. */
  ip?: string;
  /** The codec server its Web UI calls to show decrypted payloads (our API's /codec). */
  codecEndpoint?: string;
}

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string;
  readonly logFile: string;
  readonly process: ChildProcess;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function devServerArgs(options: DevServerOptions, dbFile: string): string[] {
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    options.ip ?? '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--log-level',
    'warn',
  ];
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_CLI_TYPES)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  return args;
}

export function devServerDbFile(dataDir: string): string {
  return path.join(dataDir, 'temporal.sqlite');
}

/** `{pid, owner}`: the dev server and the process that started it, while it runs. */
export function devServerPidFile(dataDir: string): string {
  return path.join(dataDir, 'temporal-dev-server.pid');
}

interface PidRecord {
  pid: number;
  owner: number;
}

function readPidRecord(file: string): PidRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<PidRecord>;
    return Number.isInteger(record.pid) && Number.isInteger(record.owner)
      ? { pid: record.pid as number, owner: record.owner as number }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Parent pid and command line of a running process; undefined when there is none (or only its zombie). */
function processInfo(pid: number): { ppid: number; args: string } | undefined {
  try {
    const line = execFileSync('ps', ['-ww', '-o', 'ppid=,stat=,args=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const match = /^(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    // A zombie has exited (its ports are free); a slow init may take seconds to reap it.
    if (!match || match[2]?.startsWith('Z')) return undefined;
    return { ppid: Number(match[1]), args: match[3] ?? '' };
  } catch {
    return undefined; // ps exits 1 for a pid that does not exist
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Waits until `pid` has exited (or is a zombie), at most `ms`; true if it has. */
async function exitedWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!processInfo(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

/**
 * Stops a dev server that a start killed hard (SIGKILL, OOM) left running on this data folder, when
 * its watchdog could not: it would hold the ports and the SQLite file. Resolves with its pid, or
 * undefined when there was none. A server whose starter is still its parent is in use: that start
 * is still running, so this one refuses (DataDirInUseError) rather than take its data away.
 */
export async function stopStaleDevServer(
  dataDir: string,
  graceMs = DEV_SERVER_STOP_GRACE_MS,
): Promise<number | undefined> {
  const file = devServerPidFile(dataDir);
  const record = readPidRecord(file);
  if (!record) return undefined;
  const running = processInfo(record.pid);
  // The pid may have been reused since: only a dev server on this very SQLite file is ours.
  if (!running?.args.includes(`--db-filename ${devServerDbFile(dataDir)}`)) {
    rmSync(file, { force: true });
    return undefined;
  }
  if (running.ppid === record.owner) {
    throw new DataDirInUseError(
      `DATA_DIR ${dataDir} is in use by another npm start (pid ${record.owner}, Temporal dev server pid ${record.pid}): stop it first, or set DATA_DIR to another folder`,
    );
  }
  signalGroup(record.pid, 'SIGTERM');
  if (!(await exitedWithin(record.pid, graceMs))) {
    signalGroup(record.pid, 'SIGKILL');
    await exitedWithin(record.pid, 5_000);
  }
  rmSync(file, { force: true });
  return record.pid;
}

/**
 * The watchdog (argv: the dev server's process group, the grace before SIGKILL). Its stdin is a pipe
 * whose other end only we hold: end of file means we are gone, however we died. It also leaves as
 * soon as the server is gone on its own.
 */
const WATCHDOG_SCRIPT = `
const [pgid, graceMs] = process.argv.slice(1).map(Number);
const alive = () => { try { process.kill(-pgid, 0); return true; } catch { return false; } };
const signal = (name) => { try { process.kill(-pgid, name); } catch {} };
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  setInterval(() => {
    if (!alive()) process.exit(0);
    if (Date.now() > deadline) { signal('SIGKILL'); process.exit(0); }
  }, 100);
};
process.stdin.on('end', stop).on('error', stop).resume();
setInterval(() => { if (!stopping && !alive()) process.exit(0); }, 1000);
`;

function startWatchdog(pgid: number): ChildProcess {
  // Its own session (detached), so a terminal's Ctrl-C or hang-up that ends us does not end it too.
  const watchdog = spawn(
    process.execPath,
    ['-e', WATCHDOG_SCRIPT, String(pgid), String(DEV_SERVER_STOP_GRACE_MS)],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    },
  );
  watchdog.on('error', () => undefined); // no watchdog: the pid file still lets the next start clean up
  // Neither the watchdog nor its pipe may keep our process alive.
  watchdog.unref();
  if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();
  return watchdog;
}

export function startDevServer(options: DevServerOptions): DevServer {
  mkdirSync(options.dataDir, { recursive: true });
  const dbFile = devServerDbFile(options.dataDir);
  const logFile = path.join(options.dataDir, 'temporal-dev-server.log');
  const pidFile = devServerPidFile(options.dataDir);
  const out = openSync(logFile, 'a');
  // Own process group: a terminal Ctrl-C reaches only us, so we can drain the worker before the server stops.
  const child = spawn(options.binary, devServerArgs(options, dbFile), {
    stdio: ['ignore', out, out],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  const pid = child.pid;
  const watchdog = pid ? startWatchdog(pid) : undefined;
  if (pid) writeFileSync(pidFile, JSON.stringify({ pid, owner: process.pid } satisfies PidRecord));
  const forget = (): void => {
    // Only our own record: a restart on this folder may already have written the next one.
    if (readPidRecord(pidFile)?.pid === pid) rmSync(pidFile, { force: true });
    watchdog?.kill('SIGKILL');
  };
  child.once('exit', forget);
  // If our process exits without a clean shutdown, do not leave the server behind.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null && pid) signalGroup(pid, 'SIGKILL');
    forget();
  };
  process.once('exit', killOnExit);
  return {
    address: `${options.ip ?? '127.0.0.1'}:${options.port}`,
    uiUrl: `http://localhost:${options.uiPort}`,
    logFile,
    process: child,
    async stop(graceMs = DEV_SERVER_STOP_GRACE_MS) {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null || !pid) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
