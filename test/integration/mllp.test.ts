/**
 * The MLLP listener over real TCP: node-hl7-client's MLLP client as an interface engine would use it
 * (one message, wait for its ACK, next), and raw sockets for what engines and networks also do:
 * pipelined messages, frames split across packets, noise between frames, oversized frames.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { makeCertificates } from '../helpers/certificates';
import { Client, Message } from 'node-hl7-client';
import { handleHl7Message } from '../../src/api/hl7';
import {
  mllpFrame,
  startMllpListener,
  type MllpListener,
  type MllpListenerOptions,
} from '../../src/api/mllp';
import type { IngestedEvent } from '../../src/shared/appointment';
import { logger } from '../../src/log';

const quiet = logger.child({}, { level: 'silent' });
const listeners: MllpListener[] = [];

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

async function listen(
  handle: (message: string) => Promise<string>,
  options: Partial<Omit<MllpListenerOptions, 'port' | 'handle' | 'logger'>> = {},
): Promise<MllpListener> {
  const listener = await startMllpListener({ port: 0, host: '127.0.0.1', handle, logger: quiet, ...options });
  listeners.push(listener);
  return listener;
}

/** A handler that answers with a minimal ACK echoing MSH-10, after an optional per-message delay. */
function echoAck(delayMs: (controlId: string) => number = () => 0): {
  handle: (message: string) => Promise<string>;
  received: string[];
} {
  const received: string[] = [];
  return {
    received,
    handle: async (message) => {
      const controlId = new Message({ text: message }).get('MSH.10').toString();
      received.push(controlId);
      await new Promise((r) => setTimeout(r, delayMs(controlId)));
      return `MSH|^~\\&|SMS|CLINIC|EPIC|VALLEY|20261201153000+0000||ACK^S12^ACK|A-${controlId}|P|2.5.1\rMSA|AA|${controlId}\r`;
    },
  };
}

const siu = (controlId: string, trigger = 'S12'): string =>
  [
    `MSH|^~\\&|EPIC|VALLEY|SMS|CLINIC|20261201083000||SIU^${trigger}^SIU_S12|${controlId}|P|2.5.1`,
    'SCH||A-77^EPIC|||||||30|MIN|^^30^20261204093000',
    'PID|1||MRN-1||ROSE^ANA||||||||^PRN^CP^^1^303^5550142',
  ].join('\r');

/** A raw TCP peer that collects the ACK frames it receives (split on the framing bytes). */
async function rawPeer(
  port: number,
): Promise<{ socket: net.Socket; acks: (count: number) => Promise<string[]>; closed: Promise<void> }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  const closed = once(socket, 'close').then(() => undefined);
  // Everything before an end block + CR, from the last start block on, is one ACK.
  const frames = (): string[] =>
    received
      .split('\u001c\r')
      .slice(0, -1)
      .map((part) => part.slice(part.lastIndexOf('\u000b') + 1));
  const acks = async (count: number): Promise<string[]> => {
    const deadline = Date.now() + 5_000;
    while (frames().length < count) {
      if (Date.now() > deadline) throw new Error(`only ${frames().length} of ${count} ACKs arrived`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return frames();
  };
  return { socket, acks, closed };
}

const msa = (ack: string): { code: string; controlId: string } => {
  const parsed = new Message({ text: ack });
  return { code: parsed.get('MSA.1').toString(), controlId: parsed.get('MSA.2').toString() };
};

describe('MLLP listener with a real MLLP client', () => {
  test('several SIU messages on one connection each get their HL7 ACK, in order', async () => {
    const submitted: IngestedEvent[] = [];
    const listener = await listen((text) =>
      handleHl7Message(text, {
        gateway: {
          submit: async (event) => {
            submitted.push(event);
            return {
              workflowId: `appointment-${event.appointmentId}`,
              appointmentId: event.appointmentId,
              eventId: event.eventId,
              duplicate: false,
            };
          },
        },
        defaultCountry: 'US',
        defaultTimezone: 'America/Denver',
        logger: quiet,
      }),
    );

    const client = new Client({ host: '127.0.0.1' });
    const acks: Array<{ code: string; controlId: string }> = [];
    let nextAck: ((ack: { code: string; controlId: string }) => void) | undefined;
    const connection = client.createConnection({ port: listener.port, waitAck: true }, (response) => {
      const ack = msa(response.getMessage().toString());
      acks.push(ack);
      nextAck?.(ack);
    });
    try {
      await once(connection, 'connect');
      // As engines do: send, wait for the ACK, send the next.
      for (const [controlId, trigger] of [
        ['M-1', 'S12'],
        ['M-2', 'S13'],
        ['M-3', 'S16'],
        ['M-4', 'S15'],
      ] as const) {
        const acknowledged = new Promise<{ code: string; controlId: string }>(
          (resolve) => (nextAck = resolve),
        );
        await connection.sendMessage(new Message({ text: siu(controlId, trigger) }));
        await acknowledged;
      }
    } finally {
      await connection.close();
      client.closeAll();
    }

    expect(acks).toEqual([
      { code: 'AA', controlId: 'M-1' },
      { code: 'AA', controlId: 'M-2' },
      { code: 'AR', controlId: 'M-3' },
      { code: 'AA', controlId: 'M-4' },
    ]);
    expect(submitted.map((e) => [e.eventId, e.eventType])).toEqual([
      ['M-1', 'BOOKED'],
      ['M-2', 'RESCHEDULED'],
      ['M-4', 'CANCELED'],
    ]);
  });
});

describe('MLLP framing over raw TCP', () => {
  test('frames split across TCP chunks, several frames in one chunk, and noise between frames', async () => {
    const { handle, received } = echoAck();
    const listener = await listen(handle);
    const peer = await rawPeer(listener.port);

    const first = mllpFrame(siu('S-1'));
    // One frame dribbled out in pieces, the start block alone and the end block split from its CR.
    for (const piece of [
      first.subarray(0, 1),
      first.subarray(1, 20),
      first.subarray(20, first.length - 1),
      first.subarray(first.length - 1),
    ]) {
      peer.socket.write(piece);
      await new Promise((r) => setTimeout(r, 15));
    }
    // Then two frames in one packet with line noise before, between and after.
    peer.socket.write(
      Buffer.concat([
        Buffer.from('\r\nnoise'),
        mllpFrame(siu('S-2')),
        Buffer.from('\r\n \u0000'),
        mllpFrame(siu('S-3')),
        Buffer.from('x'),
      ]),
    );

    const acks = await peer.acks(3);
    expect(acks.map((a) => msa(a).controlId)).toEqual(['S-1', 'S-2', 'S-3']);
    expect(received).toEqual(['S-1', 'S-2', 'S-3']);
    peer.socket.end();
  });

  test('pipelined messages are answered in arrival order even when a later one is quicker', async () => {
    const { handle } = echoAck((id) => (id === 'P-1' ? 150 : id === 'P-2' ? 50 : 0));
    const listener = await listen(handle);
    const peer = await rawPeer(listener.port);
    peer.socket.write(Buffer.concat(['P-1', 'P-2', 'P-3'].map((id) => mllpFrame(siu(id)))));
    expect((await peer.acks(3)).map((a) => msa(a).controlId)).toEqual(['P-1', 'P-2', 'P-3']);
    peer.socket.end();
  });

  test('a new start block abandons an unfinished frame (the sender started over)', async () => {
    const { handle, received } = echoAck();
    const listener = await listen(handle);
    const peer = await rawPeer(listener.port);
    peer.socket.write(Buffer.concat([Buffer.from('\u000bMSH|^~\\&|half a mess'), mllpFrame(siu('R-1'))]));
    expect((await peer.acks(1)).map((a) => msa(a).controlId)).toEqual(['R-1']);
    expect(received).toEqual(['R-1']);
    peer.socket.end();
  });

  test('a frame over the size bound closes the connection without reaching the handler', async () => {
    const { handle, received } = echoAck();
    const listener = await listen(handle, { maxFrameBytes: 1024 });
    const peer = await rawPeer(listener.port);
    peer.socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(600, 0x41)]));
    peer.socket.write(Buffer.alloc(600, 0x41));
    await peer.closed;
    expect(received).toEqual([]);

    // The listener itself keeps serving other connections.
    const next = await rawPeer(listener.port);
    next.socket.write(mllpFrame(siu('OK-1')));
    expect((await next.acks(1)).map((a) => msa(a).controlId)).toEqual(['OK-1']);
    next.socket.end();
  });

  test('a failing handler drops the connection, so the sender resends', async () => {
    const listener = await listen(() => Promise.reject(new Error('boom')));
    const peer = await rawPeer(listener.port);
    peer.socket.write(mllpFrame(siu('F-1')));
    await peer.closed;
  });

  test('close() answers what was already received, then ends the connection and refuses new ones', async () => {
    const { handle } = echoAck(() => 100);
    const listener = await startMllpListener({
      port: 0,
      host: '127.0.0.1',
      handle,
      logger: quiet,
      closeGraceMs: 2_000,
    });
    const peer = await rawPeer(listener.port);
    peer.socket.write(mllpFrame(siu('C-1')));
    await new Promise((r) => setTimeout(r, 20));
    const closing = listener.close();
    expect((await peer.acks(1)).map((a) => msa(a).controlId)).toEqual(['C-1']);
    await peer.closed;
    await closing;
    const refused = net.connect({ port: listener.port, host: '127.0.0.1' });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });
});

describe('MLLP hardening (issue 11.7)', () => {
  test('listens on loopback unless told otherwise', async () => {
    const listener = await startMllpListener({ port: 0, handle: echoAck().handle, logger: quiet });
    listeners.push(listener);
    const peer = await rawPeer(listener.port);
    expect(peer.socket.localAddress).toBe('127.0.0.1');
    peer.socket.end();
  });

  test('a client not on the allow-list is closed before anything is read', async () => {
    const { handle, received } = echoAck();
    const listener = await listen(handle, { allowedClients: ['10.1.2.3'] });
    const peer = await rawPeer(listener.port);
    peer.socket.write(mllpFrame(siu('DENIED-1')));
    await peer.closed;
    expect(received).toEqual([]);
    // An allowed client is served.
    const open = await listen(handle, { allowedClients: ['127.0.0.1'] });
    const ok = await rawPeer(open.port);
    ok.socket.write(mllpFrame(siu('ALLOWED-1')));
    expect((await ok.acks(1)).map((a) => msa(a).controlId)).toEqual(['ALLOWED-1']);
    ok.socket.end();
  });

  test('an idle connection is closed; one with a message in flight is not', async () => {
    const { handle } = echoAck((id) => (id === 'SLOW-1' ? 400 : 0));
    const listener = await listen(handle, { idleTimeoutMs: 150 });
    const peer = await rawPeer(listener.port);
    peer.socket.write(mllpFrame(siu('SLOW-1')));
    // The answer takes longer than the idle timeout: the connection waits for it.
    expect((await peer.acks(1)).map((a) => msa(a).controlId)).toEqual(['SLOW-1']);
    const started = Date.now();
    await peer.closed;
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('connections past the cap are refused, the first keeps being served', async () => {
    const { handle } = echoAck();
    const listener = await listen(handle, { maxConnections: 1 });
    const first = await rawPeer(listener.port);
    const second = await rawPeer(listener.port);
    await second.closed;
    first.socket.write(mllpFrame(siu('FIRST-1')));
    expect((await first.acks(1)).map((a) => msa(a).controlId)).toEqual(['FIRST-1']);
    first.socket.end();
  });

  test('TLS with client certificates: a client with one is served, one without is refused', async () => {
    const certs = makeCertificates(mkdtempSync(path.join(os.tmpdir(), 'mllp-tls-')));
    const { handle } = echoAck();
    const listener = await listen(handle, {
      tls: { cert: readFileSync(certs.cert), key: readFileSync(certs.key), clientCa: readFileSync(certs.ca) },
    });
    const withCert = tls.connect({
      port: listener.port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
    await once(withCert, 'secureConnect');
    let answer = '';
    withCert.on('data', (d: Buffer) => (answer += d.toString()));
    withCert.write(mllpFrame(siu('TLS-1')));
    for (let i = 0; i < 200 && !answer.includes('\u001c'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(msa(answer.slice(answer.indexOf('\u000b') + 1, answer.indexOf('\u001c'))).controlId).toBe('TLS-1');
    withCert.end();

    const withoutCert = tls.connect({
      port: listener.port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: readFileSync(certs.ca),
    });
    const outcome = await new Promise<string>((resolve) => {
      withoutCert.once('error', () => resolve('refused'));
      withoutCert.once('close', () => resolve('refused'));
      withoutCert.once('data', () => resolve('answered'));
      withoutCert.once('secureConnect', () => withoutCert.write(mllpFrame(siu('TLS-2'))));
    });
    expect(outcome).toBe('refused');
  });
});
