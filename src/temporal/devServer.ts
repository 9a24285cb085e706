/**
 * Runs the Temporal CLI dev server as a child process for the embedded default: SQLite file
 * under DATA_DIR (a restart keeps every workflow), Web UI, our search attributes registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_CLI_TYPES } from '../shared/temporal';

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

export function startDevServer(options: DevServerOptions): DevServer {
  mkdirSync(options.dataDir, { recursive: true });
  const dbFile = path.join(options.dataDir, 'temporal.sqlite');
  const logFile = path.join(options.dataDir, 'temporal-dev-server.log');
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
  // If our process dies without a clean shutdown, do not leave the server behind.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  process.once('exit', killOnExit);
  return {
    address: `${options.ip ?? '127.0.0.1'}:${options.port}`,
    uiUrl: `http://localhost:${options.uiPort}`,
    logFile,
    process: child,
    async stop(graceMs = 10_000) {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || !child.pid) return;
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(killOnExit, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
