/**
 * `npm run bench:mllp`: does a large HL7 frame over MLLP stall the HTTP API in the same process?
 * Starts the API with an MLLP listener (no Temporal: the event is parsed and mapped, then the hand-off
 * fails fast), probes GET /healthz every 5 ms, and sends frames of growing size up to the frame cap.
 * Prints /healthz latency (p50, p99, max) without and during each frame, and the frame's ACK time.
 */
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { mllpFrame } from '../src/api/mllp';
import { startApi } from '../src/apiServer';
import { parseConfig } from '../src/config';
import { logger } from '../src/log';

const SIZES_KB = [16, 256, 1000];

function siuOf(bytes: number): string {
  const head = [
    'MSH|^~\\&|EHR|CLINIC|SMS|CLINIC|20261201083000||SIU^S12^SIU_S12|BENCH-1|P|2.5.1',
    'SCH||B-1|||||||30|MIN|^^30^20261204093000',
    'PID|1||P1||ROSE^ANA||||||||^PRN^CP^^1^303^5550123',
  ];
  const notes: string[] = [];
  let size = head.join('\r').length;
  for (let i = 1; size < bytes; i++) {
    const note = `NTE|${i}||${'x'.repeat(200)}`;
    notes.push(note);
    size += note.length + 1;
  }
  return [...head, ...notes].join('\r');
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function probe(url: string, until: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!until()) {
    const started = performance.now();
    await fetch(url);
    latencies.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 5));
  }
  return latencies;
}

function sendFrame(port: number, message: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(mllpFrame(message)));
    socket.on('data', (d: Buffer) => {
      if (d.includes(0x1c)) {
        socket.end();
        resolve(performance.now() - started);
      }
    });
    socket.on('error', reject);
  });
}

async function main(): Promise<void> {
  logger.level = 'silent';
  const port = 39_000 + Math.floor(Math.random() * 1000);
  const mllpPort = port + 1;
  const config = parseConfig({
    PORT: String(port),
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'bench-mllp-')),
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    TEMPORAL_SUBMIT_TIMEOUT_MS: '100',
    HL7_MLLP_PORT: String(mllpPort),
    HL7_MLLP_MAX_FRAME_BYTES: String(1024 * 1024),
    LOG_LEVEL: 'silent',
  });
  const api = await startApi(config, new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }));
  const health = `http://127.0.0.1:${port}/healthz`;
  const idleUntil = performance.now() + 1_000;
  const idle = await probe(health, () => performance.now() > idleUntil);
  console.log(
    `/healthz idle: p50 ${quantile(idle, 0.5).toFixed(1)} ms, p99 ${quantile(idle, 0.99).toFixed(1)} ms`,
  );
  for (const kb of SIZES_KB) {
    const message = siuOf(kb * 1024);
    let done = false;
    const during = probe(health, () => done);
    const ackMs = await sendFrame(mllpPort, message);
    done = true;
    const latencies = await during;
    console.log(
      `frame ${kb} KB: ACK in ${ackMs.toFixed(0)} ms; /healthz during it (n=${latencies.length}): ` +
        `p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, ` +
        `max ${Math.max(...latencies).toFixed(1)} ms`,
    );
  }
  await api.close();
}

void main();
