/**
 * An HL7 MLLP listener: the TCP transport interface engines use for HL7 v2 (start block 0x0B,
 * message, end block 0x1C + 0x0D). Each connection is served in order, one ACK per message;
 * what to answer is the caller's `handle` (handleHl7Message), so both transports behave the same.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log';
import { listen } from '../lifecycle';

export const MLLP_START_BLOCK = 0x0b;
export const MLLP_END_BLOCK = 0x1c;
export const MLLP_CARRIAGE_RETURN = 0x0d;

/** A message bigger than this is not an appointment: the connection is closed rather than buffered. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
// A sender that does not wait for its ACKs is slowed down by TCP rather than by our memory.
const MAX_QUEUED_FRAMES = 16;
const DEFAULT_CLOSE_GRACE_MS = 10_000;

/** A connection that sends nothing for this long is closed (engines reconnect when they have a message). */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
/** Open connections at once; an interface engine needs a handful. */
export const DEFAULT_MAX_CONNECTIONS = 32;

export interface MllpListenerOptions {
  port: number;
  /** Defaults to loopback: an interface engine on another host needs it set (HL7_MLLP_HOST). */
  host?: string;
  /** Client addresses allowed to connect (HL7_MLLP_ALLOWED_CLIENTS); empty or absent: any. */
  allowedClients?: readonly string[];
  /** TLS (HL7_MLLP_TLS_*): the listener's certificate and key, and a CA to require client certificates from. */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  idleTimeoutMs?: number;
  maxConnections?: number;
  /** Turns one message into its ACK; must not throw (a throw drops the connection, so the sender resends). */
  handle: (message: string) => Promise<string>;
  logger: Logger;
  maxFrameBytes?: number;
  /** Bytes ↔ text; `latin1` for feeds in ISO-8859-1 (MSH-18 8859/1). Default utf8. */
  encoding?: BufferEncoding;
  /** How long close() lets a connection finish the messages it already sent. */
  closeGraceMs?: number;
}

export interface MllpListener {
  /** The bound port (useful with port 0). */
  port: number;
  /** Stops accepting, lets open connections finish the messages already received, then closes them. */
  close(): Promise<void>;
}

export class MllpFrameTooLargeError extends Error {
  constructor(readonly maxFrameBytes: number) {
    super(`MLLP frame over ${maxFrameBytes} bytes`);
  }
}

/**
 * Cuts a byte stream into MLLP frame payloads. State carries across TCP chunks, so a frame may arrive
 * in pieces. Bytes outside a frame (line noise, the CR after an end block, keep-alives) are ignored,
 * and a start block inside an unfinished frame abandons that frame: the sender has started over.
 */
export class MllpFrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  private inFrame = false;

  constructor(private readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** The frames completed by this chunk; throws MllpFrameTooLargeError past the size bound. */
  push(data: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (!this.inFrame) {
        const start = data.indexOf(MLLP_START_BLOCK, offset);
        if (start === -1) break;
        this.startFrame();
        offset = start + 1;
        continue;
      }
      const end = data.indexOf(MLLP_END_BLOCK, offset);
      const restart = data.indexOf(MLLP_START_BLOCK, offset);
      if (restart !== -1 && (end === -1 || restart < end)) {
        this.startFrame();
        offset = restart + 1;
        continue;
      }
      this.append(data.subarray(offset, end === -1 ? data.length : end));
      if (end === -1) break;
      frames.push(Buffer.concat(this.chunks, this.size));
      this.inFrame = false;
      this.chunks = [];
      this.size = 0;
      offset = end + 1;
    }
    return frames;
  }

  private startFrame(): void {
    this.inFrame = true;
    this.chunks = [];
    this.size = 0;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.size > this.maxFrameBytes) throw new MllpFrameTooLargeError(this.maxFrameBytes);
    // A copy: the socket's chunk must not stay pinned by a partial frame.
    this.chunks.push(Buffer.from(bytes));
  }
}

/** `::ffff:10.0.0.5` (an IPv4 client on a dual-stack socket) reads as `10.0.0.5`. */
function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Wraps a message in an MLLP frame. */
export function mllpFrame(message: string, encoding: BufferEncoding = 'utf8'): Buffer {
  return Buffer.concat([
    Buffer.from([MLLP_START_BLOCK]),
    Buffer.from(message, encoding),
    Buffer.from([MLLP_END_BLOCK, MLLP_CARRIAGE_RETURN]),
  ]);
}

interface ServedConnection {
  /** Stop reading; end the connection once the messages already received are answered. */
  drain(graceMs: number): void;
}

export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  const connections = new Set<ServedConnection>();
  let closing = false;
  const allowed = new Set((options.allowedClients ?? []).map(normaliseAddress));
  const onConnection = (socket: net.Socket): void => {
    if (closing) {
      socket.destroy();
      return;
    }
    const remote = normaliseAddress(socket.remoteAddress ?? '');
    if (allowed.size > 0 && !allowed.has(remote)) {
      options.logger.warn({ remoteAddress: remote }, 'MLLP connection refused: client not allowed');
      socket.destroy();
      return;
    }
    const connection = serveConnection(socket, options);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  };
  const server = options.tls
    ? tls.createServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.clientCa
            ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true }
            : {}),
        },
        onConnection,
      )
    : net.createServer(onConnection);
  // Past the cap the kernel queue holds new connections' SYNs no more: they are refused at once.
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  server.on('drop', (data) =>
    options.logger.warn(
      { remoteAddress: data?.remoteAddress },
      'MLLP connection refused: too many connections',
    ),
  );
  server.on('tlsClientError', (err: NodeJS.ErrnoException) =>
    options.logger.warn({ code: err.code }, 'MLLP TLS handshake failed'),
  );

  // A port or address it cannot have rejects with a ListenError naming HL7_MLLP_PORT / HL7_MLLP_HOST.
  const port = await listen(server, {
    listener: 'the HL7 MLLP listener',
    port: options.port,
    host: options.host ?? '127.0.0.1',
    portSetting: 'HL7_MLLP_PORT',
    hostSetting: 'HL7_MLLP_HOST',
  });
  server.on('error', (err) => options.logger.error({ err }, 'MLLP listener error'));
  options.logger.info({ port }, 'MLLP listener started');

  let closed: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        for (const connection of connections)
          connection.drain(options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
      });
      return closed;
    },
  };
}

function serveConnection(socket: net.Socket, options: MllpListenerOptions): ServedConnection {
  const { logger, handle } = options;
  const encoding = options.encoding ?? 'utf8';
  const decoder = new MllpFrameDecoder(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  const remote = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
  let queue: Promise<void> = Promise.resolve();
  let queued = 0;
  let draining = false;

  socket.setNoDelay(true);
  socket.setKeepAlive(true);
  // An idle connection is closed once nothing is left to answer on it (found open for days otherwise).
  // `on`, not setTimeout's callback (a one-time listener): an idle period while answering is skipped, the next one counts.
  socket.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  socket.on('timeout', () => {
    if (queued > 0) return;
    logger.info(remote, 'MLLP connection idle; closing it');
    socket.end();
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
  logger.debug(remote, 'MLLP connection opened');

  // One message at a time, in arrival order: HL7 senders rely on ACKs coming back in sequence.
  const answer = async (frame: Buffer): Promise<void> => {
    try {
      const ack = await handle(frame.toString(encoding));
      if (!socket.destroyed) socket.write(mllpFrame(ack, encoding));
    } catch (err) {
      // No ACK we could trust: dropping the connection makes the sender resend.
      logger.error({ ...remote, err }, 'MLLP message handler failed; closing the connection');
      socket.destroy();
    } finally {
      queued--;
      if (draining && queued === 0) socket.end();
      else if (!draining && socket.isPaused() && queued < MAX_QUEUED_FRAMES / 2) socket.resume();
    }
  };

  socket.on('data', (data: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.push(data);
    } catch (err) {
      logger.warn(
        { ...remote, maxFrameBytes: (err as MllpFrameTooLargeError).maxFrameBytes },
        'MLLP frame too large; closing the connection',
      );
      socket.destroy();
      return;
    }
    for (const frame of frames) {
      queued++;
      queue = queue.then(() => answer(frame));
    }
    if (queued >= MAX_QUEUED_FRAMES) socket.pause();
  });
  socket.on('error', (err: NodeJS.ErrnoException) =>
    logger.debug({ ...remote, code: err.code }, 'MLLP connection error'),
  );
  socket.on('close', () => logger.debug(remote, 'MLLP connection closed'));

  return {
    drain(graceMs: number) {
      draining = true;
      socket.pause();
      if (queued === 0) socket.end();
      // A peer that never closes its side must not hold close() open.
      const timer = setTimeout(() => socket.destroy(), graceMs);
      socket.once('close', () => clearTimeout(timer));
    },
  };
}
