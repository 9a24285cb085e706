/**
 * Ingest with the dev server's namespace rate limited to one request a second: a burst gets 202 for what
 * Temporal took and 503 + Retry-After for the rest, each within the timeout.
 */
import type { Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createGateways } from '../../src/composition/gateways';
import { devServerEnv } from '../helpers/temporal';
import {
  ingestApp,
  ANSWER_BOUND_MS,
  testConfig,
  type Timed,
  canonicalEvent,
  postEvent,
  listen,
  closeServer,
  baseOf,
} from '../helpers/ingestOverload';

jest.setTimeout(90_000);

describe('with the namespace over its rate limit (RESOURCE_EXHAUSTED)', () => {
  let env: TestWorkflowEnvironment;
  let api: Server;
  let base: string;

  beforeAll(async () => {
    // One request a second for the namespace: a burst of events is more than it takes.
    env = await devServerEnv([
      '--dynamic-config-value',
      'frontend.namespaceRPS=1',
      '--dynamic-config-value',
      'frontend.namespaceBurstRatio=1',
    ]);
    // The service's own gateways, with testConfig's short TEMPORAL_SUBMIT_TIMEOUT_MS (TIMEOUT_MS).
    const config = testConfig({ TEMPORAL_ADDRESS: env.address });
    api = await listen(ingestApp(config, createGateways(config, env.client)));
    base = baseOf(api);
  });

  afterAll(async () => {
    await closeServer(api);
    await env?.teardown();
  });

  test('a burst gets 202 for what Temporal took and 503 + Retry-After for the rest, each within the timeout; a 503 event is taken when resent', async () => {
    const runId = Date.now();
    const events = Array.from({ length: 6 }, (_, i) =>
      canonicalEvent(`BUSY-${runId}-${i}`, `BUSY-${runId}-${i}-1`),
    );
    const answers = await Promise.all(events.map((event) => postEvent(base, event)));

    for (const answer of answers) {
      expect([202, 503]).toContain(answer.status);
      expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS);
    }
    const refused = answers.flatMap((answer, i) => (answer.status === 503 ? [i] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const i of refused) {
      expect(answers[i]?.retryAfter).toBe('5');
      expect(JSON.parse(answers[i]?.text ?? '{}')).toMatchObject({
        error: { code: 'temporarily_unavailable' },
      });
    }

    // After Retry-After (shortened here: the limit refills each second), the resend is taken as new.
    const first = refused[0] ?? 0;
    let resent: Timed | undefined;
    for (let attempt = 0; attempt < 10 && resent?.status !== 202; attempt++) {
      await new Promise((r) => setTimeout(r, 1_100));
      resent = await postEvent(base, events[first]);
    }
    expect(resent?.status).toBe(202);
    expect(JSON.parse(resent?.text ?? '{}')).toMatchObject({ duplicate: false });
  });
});
