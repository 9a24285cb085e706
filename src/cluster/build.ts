/**
 * Builds the cluster profile's Temporal server from the Go module `go.temporal.io/server` (pinned)
 * into the git-ignored tools folder: `cmd/server` (the multi-service server) and `cmd/tools/sql`
 * (temporal-sql-tool), plus a copy of the module's PostgreSQL schema folders, so a later
 * `go clean -modcache` does not take the schema away from built binaries.
 * Skipped when that version is already built; prints progress while `go install` runs.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { findOnPath, isExecutable, toolsDir, type ToolLog } from '../temporal/toolInstaller';

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** The docker-compose image is temporalio/server:1.30.1: the same server, built from source here. */
export const TEMPORAL_SERVER_VERSION = 'v1.30.1';

export interface TemporalServerBuild {
  readonly version: string;
  /** `cmd/server`: `temporal-server --config-file … start --service …`. */
  readonly serverBinary: string;
  /** `cmd/tools/sql`: create-database, setup-schema, update-schema. */
  readonly sqlTool: string;
  /** The module's `schema/postgresql/v12` (folders `temporal/` and `visibility/`, each with `versioned/`). */
  readonly postgresSchemaDir: string;
  /** What the build that made it measured (also when it was skipped now). */
  readonly record: BuildRecord;
  /** True when this call built it; false when it was already there. */
  readonly builtNow: boolean;
}

const buildRecordSchema = z.object({
  version: z.string(),
  goVersion: z.string(),
  builtAt: z.string(),
  buildSeconds: z.number(),
  /** Bytes the Go module cache's download folder grew by during the build (0 with a warm cache). */
  downloadedBytes: z.number(),
  modulesDownloaded: z.number(),
});
export type BuildRecord = z.output<typeof buildRecordSchema>;

export const clusterToolsDir = (): string => path.join(toolsDir(), 'cluster');
const versionDir = (version: string): string => path.join(clusterToolsDir(), version);
const recordFile = (version: string): string => path.join(versionDir(version), 'build.json');

function readRecord(version: string): BuildRecord | undefined {
  try {
    const record = buildRecordSchema.parse(JSON.parse(readFileSync(recordFile(version), 'utf8')));
    return record.version === version ? record : undefined;
  } catch {
    return undefined;
  }
}

function buildOf(version: string, record: BuildRecord, builtNow: boolean): TemporalServerBuild {
  const dir = versionDir(version);
  return {
    version,
    serverBinary: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    postgresSchemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
    record,
    builtNow,
  };
}

/** The build if this version is complete in the tools folder (the record is written last). */
export function existingTemporalServerBuild(
  version = TEMPORAL_SERVER_VERSION,
): TemporalServerBuild | undefined {
  const record = readRecord(version);
  if (!record) return undefined;
  const build = buildOf(version, record, false);
  const complete =
    isExecutable(build.serverBinary) &&
    isExecutable(build.sqlTool) &&
    existsSync(path.join(build.postgresSchemaDir, 'temporal', 'versioned')) &&
    existsSync(path.join(build.postgresSchemaDir, 'visibility', 'versioned'));
  return complete ? build : undefined;
}

export class ClusterBuildError extends Error {
  override readonly name = 'ClusterBuildError';
}

/** Returns the pinned build, building it first when it is missing. */
export async function ensureTemporalServerBuild(
  log: ToolLog,
  version = TEMPORAL_SERVER_VERSION,
): Promise<TemporalServerBuild> {
  const existing = existingTemporalServerBuild(version);
  if (existing) {
    log(`Temporal server ${version} already built in ${versionDir(version)}`);
    return existing;
  }
  const go = findOnPath('go');
  if (!go) {
    throw new ClusterBuildError(
      [
        `The cluster profile builds Temporal server ${version} from the Go module ${TEMPORAL_SERVER_MODULE},`,
        `and no 'go' is on PATH. Install Go 1.25.7 or newer (Debian: the golang package is too old on`,
        `bookworm; use the official tarball or your package manager), then run 'npm run cluster:up' again.`,
      ].join('\n'),
    );
  }
  const goEnv = await goEnvironment(go);
  const goVersion = (await capture(go, ['env', 'GOVERSION'])).trim();
  const downloadCache = path.join(goEnv.GOMODCACHE, 'cache', 'download');
  const bytesBefore = directoryBytes(downloadCache);
  const dir = versionDir(version);
  // A half-finished earlier attempt is replaced whole.
  rmSync(dir, { recursive: true, force: true });
  const binDir = path.join(dir, 'go-bin');
  mkdirSync(binDir, { recursive: true });
  log(
    `building Temporal server ${version} (${TEMPORAL_SERVER_MODULE}: cmd/server, cmd/tools/sql) with ${goVersion}; ` +
      `a cold Go cache downloads ~250 MB of modules and compiles for several minutes`,
  );
  const started = Date.now();
  const modulesDownloaded = await goInstall(
    go,
    [`${TEMPORAL_SERVER_MODULE}/cmd/server@${version}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${version}`],
    { ...process.env, GOBIN: binDir },
    log,
  );
  renameSync(path.join(binDir, 'server'), path.join(dir, 'temporal-server'));
  renameSync(path.join(binDir, 'sql'), path.join(dir, 'temporal-sql-tool'));
  rmSync(binDir, { recursive: true, force: true });
  const moduleDir = (
    await capture(go, ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${version}`], process.env)
  ).trim();
  const source = path.join(moduleDirOf(moduleDir), 'schema', 'postgresql', 'v12');
  const target = path.join(dir, 'schema', 'postgresql', 'v12');
  cpSync(source, target, { recursive: true });
  makeWritable(target); // module cache files are read-only; the copy must be removable by a rebuild
  const record: BuildRecord = {
    version,
    goVersion,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
    downloadedBytes: Math.max(0, directoryBytes(downloadCache) - bytesBefore),
    modulesDownloaded,
  };
  writeFileSync(recordFile(version), `${JSON.stringify(record, null, 2)}\n`);
  log(
    `built Temporal server ${version} in ${record.buildSeconds} s ` +
      `(downloaded ${formatBytes(record.downloadedBytes)}, ${modulesDownloaded} modules) into ${dir}`,
  );
  return buildOf(version, record, true);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const goDownloadJson = z.object({ Dir: z.string() });

function moduleDirOf(json: string): string {
  return goDownloadJson.parse(JSON.parse(json)).Dir;
}

async function goEnvironment(go: string): Promise<{ GOMODCACHE: string }> {
  const out = await capture(go, ['env', '-json', 'GOMODCACHE']);
  return z.object({ GOMODCACHE: z.string() }).parse(JSON.parse(out));
}

/** Runs a command to completion and returns its stdout; rejects with its stderr's tail on failure. */
function capture(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new ClusterBuildError(`${command} ${args.join(' ')} failed (${code}): ${lastLines(err)}`)),
    );
  });
}

/** `go install` with a progress line every 30 s (compiling prints nothing); resolves with the modules it downloaded. */
function goInstall(go: string, packages: string[], env: NodeJS.ProcessEnv, log: ToolLog): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(go, ['install', '-trimpath', ...packages], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let downloaded = 0;
    let stderr = '';
    let pending = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('go: downloading ')) downloaded += 1;
    });
    const timer = setInterval(() => {
      const seconds = Math.round((Date.now() - started) / 1000);
      log(`  still building Temporal server: ${seconds} s, ${downloaded} modules downloaded so far`);
    }, 30_000);
    child.once('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearInterval(timer);
      if (code === 0) resolve(downloaded);
      else reject(new ClusterBuildError(`go install failed (${code}):\n${lastLines(stderr, 15)}`));
    });
  });
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

/** Total size of the files under a folder (0 when it does not exist). */
function directoryBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

function makeWritable(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    chmodSync(full, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) makeWritable(full);
  }
  chmodSync(dir, 0o755);
}
