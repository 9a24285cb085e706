/**
 * `npm start`'s entry point as a user runs it: embedded dev server, worker and API in one command;
 * SIGINT/SIGTERM leave no process behind; a restart keeps the data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { projectRoot } from '../../src/paths';
import { freePort, nonLoopbackAddress } from '../helpers/ports';
import { pidsMatching, waitFor } from '../helpers/processes';
import { devServerEnv } from '../helpers/temporal';

jest.setTimeout(180_000);

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startSystem(env: Record<string, string>): Running {
  const child = spawn(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function readyz(port: number): Promise<true | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return res.status === 200 ? true : undefined;
}

describe('npm start (embedded default)', () => {
  test('becomes ready, shows the Web UI, stops cleanly on SIGINT and SIGTERM, and keeps data across restarts', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'appt-start-'));
    const env = {
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      TEMPORAL_DEV_SERVER_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
    };
    const first = startSystem(env);
    await waitFor(() => readyz(Number(env.PORT)), {
      timeoutMs: 90_000,
      what: () => `readyz\n${first.output()}`,
    });
    expect(first.output()).toContain(`http://localhost:${env.TEMPORAL_UI_PORT}`);
    // Sandbox mode listens on loopback only: from the machine's network address there is nothing.
    expect(first.output()).toContain('Sandbox mode');
    await expect(fetch(`http://${nonLoopbackAddress()}:${env.PORT}/healthz`)).rejects.toThrow();
    const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/api/v1/namespaces/default`);
    expect(ui.status).toBe(200);

    // Leave a workflow behind to prove the SQLite file survives a restart.
    const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_DEV_SERVER_PORT}` });
    const client = new Client({ connection });
    await client.workflow.start('workflowTypeThatDoesNotExist', {
      taskQueue: 'nobody-polls-this',
      workflowId: 'survives-restart',
    });
    await connection.close();

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(pidsMatching(dataDir)).toEqual([]);

    const second = startSystem(env);
    await waitFor(() => readyz(Number(env.PORT)), {
      timeoutMs: 90_000,
      what: () => `readyz after restart\n${second.output()}`,
    });
    const again = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_DEV_SERVER_PORT}` });
    const described = await new Client({ connection: again }).workflow
      .getHandle('survives-restart')
      .describe();
    expect(described.status.name).toBe('RUNNING');
    await again.close();

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(pidsMatching(dataDir)).toEqual([]);

    // Everything under DATA_DIR (Temporal's SQLite, logs, keys, stores) is owner-only.
    const open = readdirSync(dataDir, { recursive: true, encoding: 'utf8' })
      .map((name) => path.join(dataDir, name))
      .filter((file) => (statSync(file).mode & 0o077) !== 0);
    expect(open).toEqual([]);
  });
});

describe('npm start against an existing cluster', () => {
  test('without Twilio it refuses to fall into sandbox mode; with SANDBOX_MODE=true it serves from that cluster', async () => {
    const cluster = await devServerEnv();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'appt-cluster-'));
    const port = await freePort();
    const settings = { DATA_DIR: dataDir, PORT: String(port), TEMPORAL_ADDRESS: cluster.address };
    const refused = startSystem(settings);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toContain('TWILIO_ACCOUNT_SID: is required');
    expect(refused.output()).toContain('SANDBOX_MODE=true');

    const running = startSystem({ ...settings, SANDBOX_MODE: 'true' });
    try {
      await waitFor(() => readyz(port), { timeoutMs: 90_000, what: () => `readyz\n${running.output()}` });
      // Our dev server would be a `temporal server start-dev --db-filename <DATA_DIR>/…` process.
      expect(pidsMatching(path.join(dataDir, 'temporal.sqlite'))).toEqual([]);
      expect(running.output()).not.toContain('Temporal UI:');
      // The worker polls the cluster's task queue: readiness asked that cluster.
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await res.json()).toMatchObject({ ready: true, worker: 'polling' });
    } finally {
      running.child.kill('SIGTERM');
      expect(await running.exited).toBe(0);
      await cluster.teardown();
    }
  });
});
