/**
 * Sends fuzz inputs exactly as generated: raw HTTP requests (any path bytes, any headers, any body)
 * and raw MLLP byte streams, timing each answer.
 */
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';

export interface FuzzRequest {
  method: string;
  /** Sent as is (percent-encoded or not): the server's own decoding is under test. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
  ms: number;
}

const SHOWN_BODY_CHARS = 600;

/** A short, printable form of a possibly huge value, for counterexamples and reports. */
export function preview(text: string, max = SHOWN_BODY_CHARS): string {
  const shown = JSON.stringify(text.length > max ? text.slice(0, max) : text);
  return text.length > max ? `${shown}… (${text.length} chars)` : shown;
}

export function describeRequest(request: FuzzRequest): string {
  const body = request.body ? ` body=${preview(request.body.toString('utf8'))}` : '';
  return `${request.method} ${request.path} headers=${JSON.stringify(request.headers)}${body}`;
}

/** Gives a request a compact form in fast-check's counterexample output (bodies may be 300 KB). */
export function printable<T extends object>(value: T, describe: (value: T) => string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => describe(value), enumerable: false });
  return value;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** Closes the kept-alive connections (afterAll), so nothing holds the test process open. */
export function closeConnections(): void {
  agent.destroy();
}

/**
 * One request; resolves with the answer once it is read (or with status 0 and the error when no answer came).
 * An answer given before the whole body was written (401/413 on a big body) counts.
 */
export function sendHttp(base: URL, request: FuzzRequest, timeoutMs: number): Promise<HttpAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Omit<HttpAnswer, 'ms'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...answer, ms: performance.now() - started });
    };
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: request.path,
        headers: {
          ...request.headers,
          ...(request.body ? { 'Content-Length': String(request.body.length) } : {}),
        },
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (err) =>
          done({ status: 0, contentType: '', body: `response error: ${err.message}` }),
        );
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (err) => done({ status: 0, contentType: '', body: `request error: ${err.message}` }));
    req.end(request.body);
  });
}

export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;

export interface MllpExchange {
  /** ACK texts in the order they came back. */
  acks: string[];
  /** Per ACK: ms from the later of the last write and the previous ACK (the server's time on it). */
  ms: number[];
  /** Why the exchange ended early (timeout, connection closed or reset). */
  error?: string;
}

/**
 * Writes `chunks` on one connection (each chunk a separate write, so frames arrive split), then
 * reads ACK frames until `until(acks)` holds or `timeoutMs` passes without it.
 */
export function mllpExchange(
  port: number,
  chunks: readonly Buffer[],
  until: (acks: readonly string[]) => boolean,
  timeoutMs: number,
): Promise<MllpExchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const acks: string[] = [];
    const ms: number[] = [];
    let buffered = Buffer.alloc(0);
    let since = performance.now();
    let finished = false;
    const finish = (error?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ acks, ms, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(
      () => finish(`timed out after ${timeoutMs} ms with ${acks.length} ACK(s)`),
      timeoutMs,
    );
    socket.on('connect', () => {
      socket.setNoDelay(true);
      void (async () => {
        for (const chunk of chunks) {
          if (finished) return;
          await new Promise<void>((r) => socket.write(chunk, () => r()));
          since = performance.now();
        }
        if (until(acks)) finish();
      })();
    });
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      for (;;) {
        const start = buffered.indexOf(MLLP_START);
        const end = buffered.indexOf(MLLP_END, start + 1);
        if (start === -1 || end === -1) break;
        acks.push(buffered.subarray(start + 1, end).toString('utf8'));
        const now = performance.now();
        ms.push(now - since);
        since = now;
        buffered = buffered.subarray(end + 1);
      }
      if (until(acks)) finish();
    });
    socket.on('error', (err) => finish(`connection error: ${err.message}`));
    socket.on('close', () =>
      finish(until(acks) ? undefined : `connection closed with ${acks.length} ACK(s)`),
    );
  });
}

/** Runs `work` over `items` with at most `limit` in flight, results in input order. */
export async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
