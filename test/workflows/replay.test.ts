/**
 * Determinism guard: every history recorded under test/fixtures/histories must replay against the
 * current workflow code: `appointmentLifecycle/` (by `npm run record-histories`: the lean lifecycle
 * and the phone conversations it touched) and `appointmentWorkflow-v1/` (the first workflow type,
 * frozen, never re-recorded). A change that would break workflows already running in production
 * fails here; see the README, "Versioning workflow changes".
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayResult, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows } from '../helpers/temporal';
import { historyFromJson } from '../../src/tools/historyJson';

jest.setTimeout(120_000);

const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');
/** `<folder>/<scenario>`, e.g. `appointmentLifecycle/booked-reminded-completed--phone`. */
const scenarios = readdirSync(HISTORIES_DIR, { withFileTypes: true, recursive: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
  .map((entry) =>
    path.join(path.relative(HISTORIES_DIR, entry.parentPath), entry.name.slice(0, -'.json'.length)),
  )
  .sort();

function loadHistory(scenario: string): History {
  return historyFromJson(readFileSync(path.join(HISTORIES_DIR, `${scenario}.json`), 'utf8'));
}

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleWorkflows(require.resolve('../../src/workflows'));
});

async function replay(scenario: string, history: History = loadHistory(scenario)): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  // The workflow id is not in a history (the type is); any id replays.
  const histories = [{ workflowId: `replay-${scenario}`, history }];
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    results.push(result);
  }
  return results;
}

describe('recorded workflow histories replay against the current workflow code', () => {
  test('the fixtures folder holds the recorded scenarios', () => {
    // A missing or emptied folder must not pass as "nothing failed".
    expect(scenarios.filter((s) => s.startsWith('appointmentWorkflow-v1/')).length).toBeGreaterThanOrEqual(4);
    expect(scenarios.filter((s) => s.startsWith('appointmentLifecycle/')).length).toBeGreaterThanOrEqual(5);
    expect(scenarios.some((s) => s.endsWith('--phone'))).toBe(true);
  });

  for (const scenario of scenarios) {
    test(scenario, async () => {
      const results = await replay(scenario);
      expect(results).toHaveLength(1);
      const [result] = results;
      // On failure, show the SDK's message (e.g. DeterminismViolationError: Nondeterminism error: ...).
      expect(result?.error && `${result.error.name}: ${result.error.message}`).toBeUndefined();
    });
  }
});

/**
 * The guard must be able to fail: histories the current code would not have written are refused.
 * Each mutation below is what a careless change does to running workflows.
 */
describe('a history the workflow code did not write fails replay', () => {
  const SCENARIO = 'appointmentLifecycle/booked-reminded-confirmed-by-reply';
  async function replayError(history: History): Promise<string | undefined> {
    const [result] = await replay(SCENARIO, history);
    return result?.error && `${result.error.name}: ${result.error.message}`;
  }

  test('the unmutated history replays (the mutations below are the only difference)', async () => {
    expect(await replayError(loadHistory(SCENARIO))).toBeUndefined();
  });

  test('a signal renamed in the code while workflows that received it are running', async () => {
    const history = loadHistory(SCENARIO);
    const signaled = history.events?.find(
      (event) => event.workflowExecutionSignaledEventAttributes,
    )?.workflowExecutionSignaledEventAttributes;
    expect(signaled?.signalName).toBe('ehrEvent');
    if (signaled) signaled.signalName = 'ehrEventRenamed';
    expect(await replayError(history)).toMatch(/^DeterminismViolationError: .*Nondeterminism error/);
  });

  test('another workflow type written under this history', async () => {
    const history = loadHistory(SCENARIO);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.workflowType?.name).toBe('appointmentLifecycle');
    if (started?.workflowType) started.workflowType.name = 'phoneConversationWorkflow';
    const error = await replayError(history);
    expect(error).toMatch(/^DeterminismViolationError/);
  });
});
