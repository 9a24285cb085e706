/**
 * CPU seconds each process of the stack spent over a stretch of work. On a shared machine wall-clock
 * figures move with other people's load; CPU time per unit of work moves much less.
 */
import { readCpuSeconds } from './processes';
import type { SideName } from './sides';
import type { Stack } from './stack';

export interface CpuSpent {
  temporal?: number;
  api?: number;
  /** The worker of the side being measured (service worker or baseline worker). */
  worker?: number;
  /** temporal + api + worker. */
  total?: number;
}

export interface CpuMark {
  pids: { temporal: number; api?: number; worker?: number };
  seconds: { temporal?: number; api?: number; worker?: number };
}

export function markCpu(stack: Stack, side: SideName): CpuMark {
  const all = stack.pids;
  const pids = {
    temporal: all.temporal,
    api: all.api,
    worker: side === 'service' ? all.worker : all.baselineWorker,
  };
  const read = (pid: number | undefined): number | undefined =>
    pid === undefined ? undefined : readCpuSeconds(pid);
  return { pids, seconds: { temporal: read(pids.temporal), api: read(pids.api), worker: read(pids.worker) } };
}

/** CPU seconds since `mark`, per process; a process restarted since then is left out. */
export function cpuSince(stack: Stack, side: SideName, mark: CpuMark): CpuSpent {
  const now = markCpu(stack, side);
  const spent: CpuSpent = {};
  for (const key of ['temporal', 'api', 'worker'] as const) {
    const before = mark.seconds[key];
    const after = now.seconds[key];
    if (before !== undefined && after !== undefined && mark.pids[key] === now.pids[key])
      spent[key] = after - before;
  }
  const parts = [spent.temporal, spent.api, spent.worker];
  if (parts.every((part) => part !== undefined))
    spent.total = parts.reduce((sum = 0, part = 0) => sum + part, 0);
  return spent;
}
