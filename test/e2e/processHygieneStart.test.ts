/**
 * Issue 15.5(a, c, d): `npm start` (src/main.ts) as a whole, as a child process with its own DATA_DIR and
 * free ports.
 *
 * - Any port it cannot have (its own and the dev server's) ends it with exit 3 and the setting's name,
 *   before it starts anything.
 * - SIGTERM drains and exits 0, leaving no process and no pid file behind.
 * - SIGKILL (as the OOM killer does) cannot run any code of ours: the watchdog stops the dev server within
 *   seconds, and the next start works on the same data. Should the watchdog die too, the next start finds
 *   the dev server through DATA_DIR's pid file, stops it and works on the same data.
 * - A second start on a DATA_DIR in use refuses (exit 1) and leaves the first one running.
 */
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { EXIT_CODES } from '../../src/lifecycle';
import { devServerPidFile } from '../../src/temporal/devServer';
import { freePort } from '../helpers/ports';
import { pidsMatching, waitFor } from '../helpers/processes';
import {
  buildWorkflowBundle,
  childProcesses,
  ensureStopped,
  isRunning,
  removeTempDirs,
  startService,
  stopWith,
  tempDir,
  type ServiceProcess,
} from '../helpers/processHygiene';

jest.setTimeout(240_000);

let bundle: string;
const started: ServiceProcess[] = [];
const orphans: number[] = [];

beforeAll(() => {
  bundle = buildWorkflowBundle();
});

afterAll(async () => {
  await Promise.all(started.map((service) => ensureStopped(service)));
  for (const pid of orphans) if (isRunning(pid)) process.kill(-pid, 'SIGKILL');
  removeTempDirs();
});

interface Setup {
  dataDir: string;
  env: Record<string, string>;
  apiPort: number;
  temporalPort: number;
}

async function setup(): Promise<Setup> {
  const dataDir = tempDir('hygiene-start-');
  const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  return {
    dataDir,
    apiPort,
    temporalPort,
    env: {
      DATA_DIR: dataDir,
      PORT: String(apiPort),
      TEMPORAL_DEV_SERVER_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      WORKFLOW_BUNDLE_PATH: bundle,
    },
  };
}

function npmStart(env: Record<string, string>): ServiceProcess {
  const service = startService('src/main.ts', env);
  started.push(service);
  return service;
}

async function untilReady(service: ServiceProcess, apiPort: number): Promise<void> {
  await waitFor(
    async () => {
      if (!service.running()) throw new Error('exited');
      const res = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
      return res.status === 200 ? true : undefined;
    },
    { timeoutMs: 120_000, what: () => `readyz\n${service.output()}` },
  );
}

/** The dev server npm start recorded in DATA_DIR, and its watchdog (the other node child of npm start). */
function devServerOf(service: ServiceProcess, dataDir: string): { devServer: number; watchdog: number } {
  const { pid } = JSON.parse(readFileSync(devServerPidFile(dataDir), 'utf8')) as { pid: number };
  const watchdog = childProcesses(service.pid).find((child) =>
    child.args.startsWith(`${process.execPath} -e`),
  );
  if (!watchdog) throw new Error(`no watchdog among ${JSON.stringify(childProcesses(service.pid))}`);
  return { devServer: pid, watchdog: watchdog.pid };
}

/** Leaves a workflow on the dev server, to find it again after a restart. */
async function leaveWorkflow(temporalPort: number, workflowId: string): Promise<void> {
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  await new Client({ connection }).workflow.start('workflowTypeThatDoesNotExist', {
    taskQueue: 'nobody-polls-this',
    workflowId,
  });
  await connection.close();
}

async function workflowStatus(temporalPort: number, workflowId: string): Promise<string | undefined> {
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  const described = await new Client({ connection }).workflow.getHandle(workflowId).describe();
  await connection.close();
  return described.status.name;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('npm start refuses a port it cannot have: exit 3, the setting named, nothing started', () => {
  test.each(['PORT', 'METRICS_PORT', 'HL7_MLLP_PORT', 'TEMPORAL_DEV_SERVER_PORT', 'TEMPORAL_UI_PORT'])(
    '%s taken',
    async (setting) => {
      const { dataDir, env } = await setup();
      const port = await freePort();
      const squatter = net.createServer();
      await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
      try {
        const service = npmStart({ ...env, [setting]: String(port) });
        const exit = await service.exited;
        expect(exit.code).toBe(EXIT_CODES.listen);
        expect(service.output()).toContain(
          `port ${port} (${setting}, EADDRINUSE): the port is already in use`,
        );
        expect(pidsMatching(dataDir)).toEqual([]); // no dev server was started
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    },
  );
});

describe('npm start stops cleanly, and recovers from a hard kill', () => {
  test('SIGTERM: exit 0, no process and no pid file left', async () => {
    const { dataDir, env, apiPort } = await setup();
    const service = npmStart(env);
    await untilReady(service, apiPort);
    const { devServer, watchdog } = devServerOf(service, dataDir);

    const stopped = await stopWith(service, 'SIGTERM');
    console.log(`npm start (idle) exited ${stopped.code} ${stopped.ms} ms after SIGTERM`);
    expect(stopped.code).toBe(EXIT_CODES.stopped);
    expect(stopped.ms).toBeLessThan(15_000);
    expect(isRunning(devServer)).toBe(false);
    await waitFor(() => (isRunning(watchdog) ? undefined : true), {
      timeoutMs: 3_000,
      what: 'the watchdog gone',
    });
    expect(pidsMatching(dataDir)).toEqual([]);
    expect(existsSync(devServerPidFile(dataDir))).toBe(false);
  });

  test('SIGKILL: the watchdog stops the dev server within seconds; a second start on the same data works', async () => {
    const { dataDir, env, apiPort, temporalPort } = await setup();
    const first = npmStart(env);
    await untilReady(first, apiPort);
    await leaveWorkflow(temporalPort, 'survives-sigkill');
    const { devServer, watchdog } = devServerOf(first, dataDir);

    // A second start on the same data folder, while the first runs: refused, the first untouched.
    const intruder = npmStart({ ...env, PORT: String(await freePort()) });
    expect((await intruder.exited).code).toBe(EXIT_CODES.failed);
    expect(intruder.output()).toContain(
      `DATA_DIR ${dataDir} is in use by another npm start (pid ${first.pid}`,
    );
    expect((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status).toBe(200);

    const killed = Date.now();
    first.child.kill('SIGKILL');
    await waitFor(() => (isRunning(devServer) ? undefined : true), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the dev server gone after SIGKILL',
    });
    const goneMs = Date.now() - killed;
    console.log(`dev server gone ${goneMs} ms after SIGKILL to npm start`);
    expect(goneMs).toBeLessThan(5_000);
    expect(await portFree(temporalPort)).toBe(true);
    await waitFor(() => (isRunning(watchdog) ? undefined : true), {
      timeoutMs: 3_000,
      what: 'the watchdog gone',
    });

    const second = npmStart(env);
    await untilReady(second, apiPort);
    expect(await workflowStatus(temporalPort, 'survives-sigkill')).toBe('RUNNING');
    expect((await stopWith(second, 'SIGTERM')).code).toBe(EXIT_CODES.stopped);
    expect(pidsMatching(dataDir)).toEqual([]);
  });

  test('SIGKILL to npm start and its watchdog: the next start stops the dev server left behind and works on the same data', async () => {
    const { dataDir, env, apiPort, temporalPort } = await setup();
    const first = npmStart(env);
    await untilReady(first, apiPort);
    await leaveWorkflow(temporalPort, 'survives-orphan');
    const { devServer, watchdog } = devServerOf(first, dataDir);

    process.kill(watchdog, 'SIGKILL');
    first.child.kill('SIGKILL');
    orphans.push(devServer);
    await first.exited;
    // Nothing is left to stop it: it lives on, holding the port and the SQLite file.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(isRunning(devServer)).toBe(true);
    expect(await portFree(temporalPort)).toBe(false);

    const second = npmStart({ ...env, LOG_LEVEL: 'warn' });
    await untilReady(second, apiPort);
    expect(isRunning(devServer)).toBe(false);
    expect(second.output()).toContain('stopped a Temporal dev server an earlier start left running');
    expect(await workflowStatus(temporalPort, 'survives-orphan')).toBe('RUNNING');
    expect((await stopWith(second, 'SIGTERM')).code).toBe(EXIT_CODES.stopped);
    expect(pidsMatching(dataDir)).toEqual([]);
  });
});
