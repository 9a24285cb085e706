/** The machine the figures come from. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Machine } from './results';

export function describeMachine(projectRoot: string): Machine {
  let gitCommit = 'unknown';
  try {
    gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: projectRoot,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    if (dirty.trim() !== '') gitCommit += ' (src modified)';
  } catch {
    /* not a git checkout */
  }
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg(),
    temporalCli: 'not started',
    gitCommit,
  };
}
