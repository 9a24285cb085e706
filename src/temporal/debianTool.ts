/**
 * A test binary from a Debian package (nginx, Chromium) that an env var may point elsewhere: where it is, an
 * error that says how to get it, or installing the package when it is missing. One lookup for every such tool.
 */
import { existsSync } from 'node:fs';
import { ensureDebianPackage, type DebianPackage } from './debianPackage';

export interface DebianTool extends DebianPackage {
  /** The env var that names another binary, e.g. `NGINX_PATH`. */
  envVar: string;
  /** Its name in the not-found message, e.g. `Chromium`. */
  label: string;
}

/** The env var's binary, else the package's; throws `new NotFound(message)` when it is not there. */
export function debianToolBinary(tool: DebianTool, NotFound: new (message: string) => Error): string {
  const binary = process.env[tool.envVar] || tool.binary;
  if (!existsSync(binary)) {
    throw new NotFound(
      `${tool.label} not found at ${binary}: run \`npm run setup:tools\` as root (installs Debian's ${tool.name}), ` +
        `or \`apt-get install ${tool.name}\`, or set ${tool.envVar}`,
    );
  }
  return binary;
}

/** Installs the package when the binary is missing and this process may (root, apt-get present); the binary or undefined. */
export function ensureDebianTool(tool: DebianTool, log: (line: string) => void): string | undefined {
  const binary = process.env[tool.envVar] || tool.binary;
  if (existsSync(binary)) return binary;
  return ensureDebianPackage(tool, log);
}
