/**
 * `npm run build:workflows`: bundles the workflow code (with the failure converter the codec needs)
 * into `dist/workflow-bundle.js` at image build time, so a worker container starts without webpack
 * and runs exactly the code that was built and tested. The worker uses it when it exists
 * (WORKFLOW_BUNDLE_PATH, default next to the compiled worker).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLER_OPTIONS } from './workflowBundle';

export const DEFAULT_WORKFLOW_BUNDLE = path.join(__dirname, '..', 'workflow-bundle.js');

async function main(): Promise<void> {
  const out = process.argv[2] ?? path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    failureConverterPath: require.resolve('./failureConverter'),
    ...WORKFLOW_BUNDLER_OPTIONS,
  });
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${Math.round(code.length / 1024)} KB)`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
