/** How the worker (and every test worker) bundles workflow code: one place, so tests run what ships. */
import type { BundleOptions } from '@temporalio/worker';

/** Evaluated once per worker and shared by all workflows; see src/workflows/sharedModules.ts. */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [require.resolve('../workflows/sharedModules')];

export const WORKFLOW_BUNDLER_OPTIONS = {
  preloadModules: [...SHARED_WORKFLOW_MODULES],
} satisfies Pick<BundleOptions, 'preloadModules'>;
