import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLogger } from '../../src/log';

function capture(): { lines: Array<Record<string, unknown>>; destination: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

describe('log lines name their workflow (issue 14.5)', () => {
  test('inside an activity every line carries the workflow id, run id and activity', async () => {
    const { lines, destination } = capture();
    const logger = createLogger(destination);
    const env = new MockActivityEnvironment({
      activityType: 'sendText',
      workflowExecution: { workflowId: 'appointment-A1', runId: 'run-1' },
    });
    await env.run(async () => {
      logger.child({ component: 'sms' }).info({ messageKey: 'k' }, 'sms sent');
    });
    expect(lines[0]).toMatchObject({
      msg: 'sms sent',
      workflowId: 'appointment-A1',
      runId: 'run-1',
      activity: 'sendText',
      component: 'sms',
    });
  });

  test('outside one (the API, tools) nothing is added', () => {
    const { lines, destination } = capture();
    createLogger(destination).info('request completed');
    expect(lines[0]).not.toHaveProperty('workflowId');
    expect(lines[0]).not.toHaveProperty('runId');
  });
});
