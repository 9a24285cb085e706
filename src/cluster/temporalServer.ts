/**
 * The cluster profile's Temporal server: its schema (temporal-sql-tool, as docker-compose's
 * temporal-schema job does) and one `temporal-server start --service <name>` process per service.
 *
 * One process per service rather than one process with all four: the services then talk to each
 * other only over gRPC and find each other through the membership table, as on a real multi-host
 * deployment, and the fault tests can kill, restart or count them one by one.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TemporalServerBuild } from './build';
import { TEMPORAL_DB_USER, type PostgresInstance } from './postgres';
import {
  commandLineOf,
  isAlive,
  killProcess,
  readPidFile,
  startDaemon,
  stopProcess,
  tailOf,
  type Daemon,
} from './processes';
import {
  renderTemporalServerConfig,
  TEMPORAL_SERVICES,
  type TemporalConfigInput,
  type TemporalService,
} from './temporalConfig';

export class TemporalServerError extends Error {
  override readonly name = 'TemporalServerError';
}

/** Database → folder of the module's `schema/postgresql/v12` it is versioned from. */
const SCHEMAS: ReadonlyArray<{ database: string; folder: string }> = [
  { database: 'temporal', folder: 'temporal' },
  { database: 'temporal_visibility', folder: 'visibility' },
];

/**
 * Creates the databases on first start (create + setup-schema -v 0.0) and applies the schema
 * updates on every start (update-schema, idempotent), like docker-compose's temporal-schema job.
 */
export async function applySchema(
  build: TemporalServerBuild,
  postgres: PostgresInstance,
  logFile: string,
  log: (line: string) => void,
): Promise<void> {
  for (const { database, folder } of SCHEMAS) {
    const tool = (args: string[]): Promise<void> =>
      sqlTool(
        build.sqlTool,
        [
          '--plugin',
          'postgres12',
          '--ep',
          '127.0.0.1',
          '-p',
          String(postgres.port),
          '-u',
          TEMPORAL_DB_USER,
          '--db',
          database,
          ...args,
        ],
        postgres.password,
        logFile,
      );
    if (!postgres.databaseExists(database)) {
      log(`creating database ${database} and its base schema`);
      await tool(['create']);
      await tool(['setup-schema', '-v', '0.0']);
    }
    await tool(['update-schema', '-d', path.join(build.postgresSchemaDir, folder, 'versioned')]);
  }
}

function sqlTool(binary: string, args: string[], password: string, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The password goes through the environment (SQL_PASSWORD), never the command line `ps` shows.
    execFile(binary, args, { env: { ...process.env, SQL_PASSWORD: password } }, (err, stdout, stderr) => {
      writeFileSync(logFile, `$ temporal-sql-tool ${args.join(' ')}\n${stdout}${stderr}\n`, {
        flag: 'a',
        mode: 0o600,
      });
      if (err)
        reject(new TemporalServerError(`temporal-sql-tool ${args.join(' ')} failed\n${tailOf(logFile)}`));
      else resolve();
    });
  });
}

/** The four service processes of one data folder; `start` writes the config file anew (ports or password may change). */
export class TemporalServer {
  private readonly daemons = new Map<TemporalService, Daemon>();
  readonly configFile: string;
  private readonly runDir: string;
  private readonly logDir: string;

  constructor(
    dataDir: string,
    private readonly frontendPort: number,
  ) {
    this.configFile = path.join(dataDir, 'temporal.yaml');
    this.runDir = path.join(dataDir, 'run');
    this.logDir = path.join(dataDir, 'logs');
  }

  get address(): string {
    return `127.0.0.1:${this.frontendPort}`;
  }

  logFile(service: TemporalService): string {
    return path.join(this.logDir, `temporal-${service}.log`);
  }

  private pidFile(service: TemporalService): string {
    return path.join(this.runDir, `temporal-${service}.pid`);
  }

  /**
   * Starts the services that are not running: the frontend first, the others once it listens.
   * Started together on a new database, they race to write the cluster's metadata record and all
   * but one exit ("duplicate key … cluster_metadata_info_pkey"); the first one through writes it.
   */
  async start(build: TemporalServerBuild, config: TemporalConfigInput): Promise<void> {
    if (config.services.frontend.grpc !== this.frontendPort)
      throw new TemporalServerError('frontend port changed');
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    writeFileSync(this.configFile, renderTemporalServerConfig(config), { mode: 0o600 });
    const [first, ...rest] = TEMPORAL_SERVICES;
    const launch = (service: TemporalService): void => {
      if (this.pidOf(service) !== undefined) return;
      const daemon = startDaemon(
        `temporal ${service}`,
        build.serverBinary,
        // No authorizer: the server listens on loopback only, like the dev server.
        ['--config-file', this.configFile, '--allow-no-auth', 'start', '--service', service],
        {
          cwd: path.dirname(this.configFile),
          env: process.env,
          logFile: this.logFile(service),
          pidFile: this.pidFile(service),
        },
      );
      this.daemons.set(service, daemon);
    };
    launch(first);
    await this.untilListening(first, config.services[first].grpc);
    for (const service of rest) launch(service);
  }

  private async untilListening(service: TemporalService, port: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await accepts(port))) {
      this.assertAlive();
      if (Date.now() > deadline) {
        throw new TemporalServerError(
          `Temporal ${service} did not listen on ${port} within 60 s\n${tailOf(this.logFile(service))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** The pid of a service's process when it runs (checked against its command line: pids get reused). */
  pidOf(service: TemporalService): number | undefined {
    const pid = this.daemons.get(service)?.pid ?? readPidFile(this.pidFile(service));
    if (pid === undefined || !isAlive(pid)) return undefined;
    return commandLineOf(pid)?.includes(this.configFile) ? pid : undefined;
  }

  runningServices(): TemporalService[] {
    return TEMPORAL_SERVICES.filter((service) => this.pidOf(service) !== undefined);
  }

  /** Throws with the log's tail when a service this object started has exited. */
  assertAlive(): void {
    for (const [service, daemon] of this.daemons) {
      if (!daemon.running()) {
        throw new TemporalServerError(
          `Temporal ${service} exited\n--- ${this.logFile(service)}\n${tailOf(this.logFile(service))}`,
        );
      }
    }
  }

  /**
   * SIGTERM (each service drains and releases its shards or queues), SIGKILL after 30 s. The
   * worker service goes first: it is the frontend's client, and one still starting its system
   * workflows holds SIGTERM until that start times out when the frontend is already gone. Then the
   * frontend, so no new request arrives while history and matching stop.
   */
  async stop(): Promise<void> {
    const stop = async (service: TemporalService): Promise<void> => {
      const pid = this.pidOf(service);
      if (pid !== undefined)
        await stopProcess(pid, { signal: 'SIGTERM', graceMs: 30_000, pidFile: this.pidFile(service) });
      this.daemons.delete(service);
    };
    await stop('worker');
    await stop('frontend');
    await Promise.all([stop('history'), stop('matching')]);
  }

  /** SIGKILL to every service at once, as a host failure would; resolves once they are gone. */
  async kill(): Promise<void> {
    await Promise.all(
      TEMPORAL_SERVICES.map(async (service) => {
        const pid = this.pidOf(service);
        if (pid !== undefined) await killProcess(pid, this.pidFile(service));
        this.daemons.delete(service);
      }),
    );
  }

  /** For an exit handler: SIGKILL now, without waiting. */
  killNow(): void {
    for (const service of TEMPORAL_SERVICES) {
      const pid = this.pidOf(service);
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
