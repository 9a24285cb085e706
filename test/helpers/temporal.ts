/**
 * Real Temporal servers for tests, from the binaries the project installs (never a download):
 * the time-skipping test server for timers, the CLI dev server for visibility and end-to-end.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../src/shared/temporal';
import { resolveTemporalBinary } from '../../src/temporal/binaries';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../src/temporal/workflowBundle';

export function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTemporalBinary('test-server') } },
  });
}

/** The CLI dev server; `extraArgs` for e.g. `--dynamic-config-value` limits. */
export function devServerEnv(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTemporalBinary('cli') },
      ip: '127.0.0.1',
      ui: false,
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
      log: { format: 'pretty', level: 'warn' },
      extraArgs,
    },
  });
}

/** Bundle once per test file (webpack takes seconds); pass the result to every Worker.create. */
export async function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger, ...WORKFLOW_BUNDLER_OPTIONS });
}

const noop = (): void => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: console.error,
  log: noop,
};

/** Each test gets its own task queue so workers of different tests never steal each other's tasks. */
export function uniqueTaskQueue(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}
