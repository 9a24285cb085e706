/**
 * The lookup order every pinned third-party binary shares (the Temporal CLI and test server, fake-gcs-server):
 * its env var, then PATH, then the tools folder, then installing it there; else an error that names each fix.
 */
import path from 'node:path';
import { findOnPath, isExecutable, type ToolLog } from './toolInstaller';

export interface ResolveOptions {
  /** Install into the tools folder when nothing else is found (default true). */
  install?: boolean;
  log?: (line: string) => void;
}

export interface ToolLookup {
  /** The env var naming the binary explicitly, e.g. `TEMPORAL_CLI_PATH`. */
  readonly envVar: string;
  /** Its name on PATH. */
  readonly executable: string;
  /** The tag of the default log's lines, e.g. `temporal-tools`. */
  readonly logTag: string;
  /** The binary already installed in the tools folder, if it is there. */
  inToolsFolder(): string | undefined;
  /** The ways to install it into the tools folder, tried in order: each says whether it succeeded. */
  readonly installers: ReadonlyArray<(log: ToolLog) => boolean>;
  /** The error thrown, with `message`. */
  notFound(message: string): Error;
  /** The error's message when nothing provided the binary: every way to provide it. */
  notFoundMessage(): string;
}

/** Returns an absolute path to the binary, or throws `tool.notFound(…)`. */
export function resolveTool(tool: ToolLookup, options: ResolveOptions = {}): string {
  const log = options.log ?? ((line: string) => console.error(`[${tool.logTag}] ${line}`));
  const explicit = process.env[tool.envVar];
  if (explicit) {
    if (isExecutable(explicit)) return path.resolve(explicit);
    // A wrong explicit path is a configuration mistake: say so rather than silently using another binary.
    throw tool.notFound(`${tool.envVar}=${explicit} is not an executable file.`);
  }
  const found =
    findOnPath(tool.executable) ??
    tool.inToolsFolder() ??
    (options.install === false ? undefined : installed(tool, log));
  if (found) return found;
  throw tool.notFound(tool.notFoundMessage());
}

function installed(tool: ToolLookup, log: ToolLog): string | undefined {
  for (const install of tool.installers) {
    const found = install(log) ? tool.inToolsFolder() : undefined;
    if (found) return found;
  }
  return undefined;
}
