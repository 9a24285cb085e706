/** For test/integration/gcsSnapshotStore.test.ts: see and steer what the GCS client sends. */
import http from 'node:http';

export interface RecordedRequest {
  method: string;
  url: URL;
}

interface Hold {
  /** Resolves when a matching request has reached the relay (and is being held). */
  arrived: Promise<void>;
  release: () => void;
}

export interface RecordingProxy {
  endpoint: string;
  requests: RecordedRequest[];
  /** Holds the next request matching `match` until `release()`: a way to interleave two writers exactly. */
  holdNext: (match: (request: RecordedRequest) => boolean) => Hold;
  close: () => Promise<void>;
}

/**
 * A plain HTTP relay in front of the emulator that notes each request line (to see what the client sends)
 * and can hold one request back, to put another writer's whole write in between.
 */
export async function recordingProxy(target: string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const holds: Array<{
    match: (request: RecordedRequest) => boolean;
    arrive: () => void;
    released: Promise<void>;
  }> = [];
  const targetUrl = new URL(target);
  const server = http.createServer((req, res) => {
    const recorded = { method: req.method ?? '', url: new URL(req.url ?? '/', target) };
    requests.push(recorded);
    const holdIndex = holds.findIndex((h) => h.match(recorded));
    const hold = holdIndex >= 0 ? holds.splice(holdIndex, 1)[0] : undefined;
    hold?.arrive();
    void (hold?.released ?? Promise.resolve()).then(() => forward(req, res));
  });
  const forward = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const upstream = http.request(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: targetUrl.host },
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    holdNext(match) {
      let arrive = (): void => undefined;
      let release = (): void => undefined;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ match, arrive, released });
      return { arrived, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
