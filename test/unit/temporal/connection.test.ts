import { Connection } from '@temporalio/client';
import { connectWithRetry } from '../../../src/temporal/connection';

/** A connection whose frontend answers getSystemInfo, or fails it. */
function fakeConnection(answers: boolean): { connection: Connection; close: jest.Mock } {
  const close = jest.fn().mockResolvedValue(undefined);
  const getSystemInfo = answers
    ? jest.fn().mockResolvedValue({})
    : jest.fn().mockRejectedValue(new Error('frontend not ready'));
  return { connection: { workflowService: { getSystemInfo }, close } as unknown as Connection, close };
}

describe('connectWithRetry', () => {
  afterEach(() => jest.restoreAllMocks());

  it('closes a connection whose frontend does not answer, then returns one that does', async () => {
    const failing = fakeConnection(false);
    const answering = fakeConnection(true);
    const connect = jest
      .spyOn(Connection, 'connect')
      .mockResolvedValueOnce(failing.connection)
      .mockResolvedValueOnce(answering.connection);
    await expect(connectWithRetry('127.0.0.1:1', { timeoutMs: 5_000 })).resolves.toBe(answering.connection);
    expect(connect).toHaveBeenCalledTimes(2);
    expect(connect).toHaveBeenCalledWith({ address: '127.0.0.1:1', connectTimeout: 2_000 });
    expect(failing.close).toHaveBeenCalledTimes(1);
    expect(answering.close).not.toHaveBeenCalled();
  });

  it('stops retrying when the signal is aborted, the last error as cause', async () => {
    const failing = fakeConnection(false);
    jest.spyOn(Connection, 'connect').mockResolvedValue(failing.connection);
    const abort = new AbortController();
    const connecting = connectWithRetry('127.0.0.1:1', { timeoutMs: 60_000, signal: abort.signal });
    abort.abort();
    const err = await connecting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/aborted/);
    expect(((err as Error).cause as Error).message).toBe('frontend not ready');
    expect(failing.close).toHaveBeenCalledTimes(1);
  });

  it('gives up at the deadline with the last error', async () => {
    jest.spyOn(Connection, 'connect').mockRejectedValue(new Error('connection refused'));
    await expect(connectWithRetry('127.0.0.1:1', { timeoutMs: 200 })).rejects.toThrow(
      /127\.0\.0\.1:1 did not answer within 0\.2s: Error: connection refused/,
    );
  });
});
