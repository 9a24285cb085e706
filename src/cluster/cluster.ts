/**
 * The cluster profile as a whole: build (or find) the pinned Temporal server, find (or install)
 * PostgreSQL, pick ports once per data folder (kept in `cluster.json`, so the address stays the
 * same across restarts), start PostgreSQL, apply Temporal's schema, start the four Temporal
 * services, and wait until a probe workflow with our search attributes can start.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../paths';
import { ensureTemporalServerBuild, TEMPORAL_SERVER_VERSION, type TemporalServerBuild } from './build';
import { freePort, freePortBetween, isPortFree } from '../ports';
import { ensurePostgres, findPostgresBinDir, PostgresInstance, TEMPORAL_DB_USER } from './postgres';
import { prepareAndProbe, type ReadinessResult } from './readiness';
import { TEMPORAL_SERVICES, type ServicePorts, type TemporalConfigInput } from './temporalConfig';
import { applySchema, TemporalServer } from './temporalServer';

/** The same dynamic config docker-compose mounts into temporalio/server. */
export const DYNAMIC_CONFIG_FILE = path.join(projectRoot, 'deploy', 'temporal-dynamicconfig.yaml');
/** The Temporal port clients expect when nothing else is said (the CLI's `cluster:up`). */
export const DEFAULT_FRONTEND_PORT = 7233;
const READY_TIMEOUT_MS = 120_000;
/** Membership ports live in a smallint column (see freePortBetween); this range is rarely used by others. */
const MIN_MEMBERSHIP_PORT = 20_000;
const MAX_MEMBERSHIP_PORT = 32_767;

const port = z.number().int().min(1).max(65_535);
const servicePorts = z.object({ grpc: port, membership: port });
const stateSchema = z.object({
  format: z.literal(1),
  namespace: z.string(),
  ports: z.object({
    postgres: port,
    frontendHttp: port,
    frontend: servicePorts,
    history: servicePorts,
    matching: servicePorts,
    worker: servicePorts,
  }),
});
export type ClusterState = z.output<typeof stateSchema>;

const stateFile = (dataDir: string): string => path.join(dataDir, 'cluster.json');

export function readClusterState(dataDir: string): ClusterState | undefined {
  try {
    return stateSchema.parse(JSON.parse(readFileSync(stateFile(dataDir), 'utf8')));
  } catch {
    return undefined;
  }
}

function writeClusterState(dataDir: string, state: ClusterState): void {
  writeFileSync(stateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export interface ClusterOptions {
  dataDir: string;
  log: (line: string) => void;
  /** The namespace a new data folder gets (an existing folder keeps its own). */
  namespace: string;
  /** For a new data folder: a fixed frontend port, `prefer-default` (7233 when free, else a free one) or `free`. */
  frontendPort: number | 'prefer-default' | 'free';
  /** A fixed PostgreSQL port for a new data folder (default: a free one). */
  postgresPort?: number;
  /** Folder with PostgreSQL's binaries (CLUSTER_POSTGRES_BIN_DIR); default: from the environment, else Debian's newest or PATH. */
  postgresBinDir?: string;
  /** Kill what this process started when it exits (tests), or leave it running (`cluster:up`). */
  stopOnExit: boolean;
  /** Temporal's own log level (CLUSTER_TEMPORAL_LOG_LEVEL). */
  temporalLogLevel?: TemporalConfigInput['logLevel'];
}

export interface BringUpFigures {
  /** Seconds the Temporal build took in this call (0 when it was already built). */
  buildSeconds: number;
  /** Seconds from "binaries ready" to "probe workflow started": PostgreSQL, schema, services, namespace. */
  bringUpSeconds: number;
  /** Everything was already running on this data folder; only the probe ran. */
  alreadyRunning: boolean;
  readiness: ReadinessResult;
}

/**
 * Ports for this start. Kept from the data folder's last start where still free (the frontend's
 * must be: clients were given that address); PostgreSQL's is kept while it runs.
 */
async function choosePorts(
  options: ClusterOptions,
  previous: ClusterState | undefined,
  postgresRunning: boolean,
): Promise<ClusterState> {
  const taken = new Set<number>();
  const pick = async (wanted: number | undefined): Promise<number> => {
    if (wanted !== undefined && !taken.has(wanted) && (await isPortFree(wanted))) {
      taken.add(wanted);
      return wanted;
    }
    for (;;) {
      const candidate = await freePort();
      if (!taken.has(candidate)) {
        taken.add(candidate);
        return candidate;
      }
    }
  };
  const old = previous?.ports;
  const fixedFrontend =
    old?.frontend.grpc ?? (typeof options.frontendPort === 'number' ? options.frontendPort : undefined);
  let frontend: number;
  if (fixedFrontend !== undefined) {
    if (!(await isPortFree(fixedFrontend))) {
      throw new Error(
        `Temporal port ${fixedFrontend} is in use by another program: stop it, or give this cluster another ` +
          `data folder (CLUSTER_DATA_DIR, with CLUSTER_TEMPORAL_PORT for its port).`,
      );
    }
    frontend = fixedFrontend;
    taken.add(frontend);
  } else {
    frontend = await pick(options.frontendPort === 'prefer-default' ? DEFAULT_FRONTEND_PORT : undefined);
  }
  let postgres: number;
  if (postgresRunning && old) {
    postgres = old.postgres;
    taken.add(postgres);
  } else {
    postgres = await pick(old?.postgres ?? options.postgresPort);
  }
  const pickMembership = async (wanted: number | undefined): Promise<number> => {
    if (
      wanted !== undefined &&
      wanted <= MAX_MEMBERSHIP_PORT &&
      !taken.has(wanted) &&
      (await isPortFree(wanted))
    ) {
      taken.add(wanted);
      return wanted;
    }
    const chosen = await freePortBetween(MIN_MEMBERSHIP_PORT, MAX_MEMBERSHIP_PORT, taken);
    taken.add(chosen);
    return chosen;
  };
  const pair = async (was: ServicePorts | undefined): Promise<ServicePorts> => ({
    grpc: await pick(was?.grpc),
    membership: await pickMembership(was?.membership),
  });
  return {
    format: 1,
    namespace: previous?.namespace ?? options.namespace,
    ports: {
      postgres,
      frontendHttp: await pick(old?.frontendHttp),
      frontend: { grpc: frontend, membership: await pickMembership(old?.frontend.membership) },
      history: await pair(old?.history),
      matching: await pair(old?.matching),
      worker: await pair(old?.worker),
    },
  };
}

export class Cluster {
  private exitHandler: (() => void) | undefined;

  private constructor(
    readonly dataDir: string,
    readonly state: ClusterState,
    readonly build: TemporalServerBuild,
    readonly postgres: PostgresInstance,
    readonly temporal: TemporalServer,
    private readonly log: (line: string) => void,
    private readonly temporalLogLevel: TemporalConfigInput['logLevel'],
  ) {}

  get address(): string {
    return this.temporal.address;
  }

  get namespace(): string {
    return this.state.namespace;
  }

  /** Builds or finds everything, starts what is not running, and waits until a workflow can start. */
  static async start(options: ClusterOptions): Promise<{ cluster: Cluster; figures: BringUpFigures }> {
    const { log } = options;
    const dataDir = path.resolve(options.dataDir);
    const buildStarted = Date.now();
    const build = await ensureTemporalServerBuild(log, TEMPORAL_SERVER_VERSION);
    const binDir = ensurePostgres(log, options.postgresBinDir);
    const buildSeconds = build.builtNow ? (Date.now() - buildStarted) / 1000 : 0;
    const started = Date.now();
    mkdirSync(path.join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
    const previous = readClusterState(dataDir);
    const postgresRunning =
      previous !== undefined &&
      new PostgresInstance({ binDir, dataDir, port: previous.ports.postgres, log }).runningPid() !==
        undefined;
    const running = previous
      ? new TemporalServer(dataDir, previous.ports.frontend.grpc).runningServices()
      : [];
    if (previous && postgresRunning && running.length === TEMPORAL_SERVICES.length) {
      log(`already running on ${dataDir}`);
      const cluster = Cluster.create(dataDir, previous, build, binDir, options);
      const readiness = await cluster.waitUntilReady();
      const bringUpSeconds = (Date.now() - started) / 1000;
      return { cluster, figures: { buildSeconds, bringUpSeconds, alreadyRunning: true, readiness } };
    }
    if (previous && running.length > 0) {
      // Part of it died: stop the rest so every service starts with the same config.
      log(`stopping the Temporal services still running (${running.join(', ')}) to start all four together`);
      await new TemporalServer(dataDir, previous.ports.frontend.grpc).stop();
    }
    const state = await choosePorts(options, previous, postgresRunning);
    writeClusterState(dataDir, state);
    const cluster = Cluster.create(dataDir, state, build, binDir, options);
    if (options.stopOnExit) cluster.killOnExit();
    try {
      cluster.postgres.initialise();
      log(`starting PostgreSQL on 127.0.0.1:${state.ports.postgres} (data in ${cluster.postgres.pgData})`);
      await cluster.postgres.start();
      cluster.postgres.ensureTemporalRole();
      await applySchema(build, cluster.postgres, path.join(dataDir, 'logs', 'schema.log'), log);
      const readiness = await cluster.startTemporal();
      const bringUpSeconds = (Date.now() - started) / 1000;
      return { cluster, figures: { buildSeconds, bringUpSeconds, alreadyRunning: false, readiness } };
    } catch (err) {
      await cluster.stop().catch(() => undefined);
      throw err;
    }
  }

  private static create(
    dataDir: string,
    state: ClusterState,
    build: TemporalServerBuild,
    binDir: string,
    options: ClusterOptions,
  ): Cluster {
    return new Cluster(
      dataDir,
      state,
      build,
      new PostgresInstance({ binDir, dataDir, port: state.ports.postgres, log: options.log }),
      new TemporalServer(dataDir, state.ports.frontend.grpc),
      options.log,
      options.temporalLogLevel ?? 'warn',
    );
  }

  private temporalConfig(): TemporalConfigInput {
    const { ports } = this.state;
    return {
      services: {
        frontend: ports.frontend,
        history: ports.history,
        matching: ports.matching,
        worker: ports.worker,
      },
      frontendHttpPort: ports.frontendHttp,
      postgres: { port: ports.postgres, user: TEMPORAL_DB_USER, password: this.postgres.password },
      dynamicConfigFile: DYNAMIC_CONFIG_FILE,
      logLevel: this.temporalLogLevel,
    };
  }

  /** Starts the services that are not running and waits for the probe workflow. */
  async startTemporal(): Promise<ReadinessResult> {
    this.log(`starting Temporal ${this.build.version}: ${TEMPORAL_SERVICES.join(', ')} (one process each)`);
    await this.temporal.start(this.build, this.temporalConfig());
    return this.waitUntilReady();
  }

  /** Namespace, search attributes and the probe workflow; fails at once with its log when a service dies. */
  async waitUntilReady(): Promise<ReadinessResult> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const died = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        try {
          this.temporal.assertAlive();
        } catch (err) {
          abort.abort();
          reject(err);
        }
      }, 500);
    });
    const ready = prepareAndProbe(this.address, this.namespace, READY_TIMEOUT_MS, abort.signal);
    try {
      return await Promise.race([ready, died]);
    } finally {
      clearInterval(timer);
      abort.abort();
      await ready.catch(() => undefined); // its connection is closed before we go on
    }
  }

  /** Graceful: Temporal first (it drains), then PostgreSQL. */
  async stop(): Promise<void> {
    await this.temporal.stop();
    await this.postgres.stop();
    if (this.exitHandler) process.removeListener('exit', this.exitHandler);
    this.exitHandler = undefined;
  }

  /** SIGKILL to the Temporal services only; PostgreSQL keeps running. */
  async killTemporal(): Promise<void> {
    await this.temporal.kill();
  }

  /** Starts whatever is not running (PostgreSQL after a stop, Temporal after a kill or stop), on the same data. */
  async restart(): Promise<ReadinessResult> {
    if (this.temporal.runningServices().length > 0) await this.temporal.stop();
    await this.postgres.start();
    if (this.exitHandler === undefined) this.killOnExit();
    return this.startTemporal();
  }

  /** Tests: nothing this process started outlives it, however it ends. */
  private killOnExit(): void {
    this.exitHandler = (): void => {
      this.temporal.killNow();
      const pid = this.postgres.runningPid();
      // Immediate shutdown: PostgreSQL recovers from its WAL on the next start.
      if (pid !== undefined) process.kill(pid, 'SIGQUIT');
    };
    process.once('exit', this.exitHandler);
  }
}

/** `cluster:down`: stops what runs on this data folder (Temporal, then PostgreSQL); false when nothing ran. */
export async function stopClusterAt(
  dataDir: string,
  log: (line: string) => void,
  postgresBinDir?: string,
): Promise<boolean> {
  const state = readClusterState(dataDir);
  if (!state) return false;
  const temporal = new TemporalServer(dataDir, state.ports.frontend.grpc);
  const postgres = new PostgresInstance({
    binDir: findPostgresBinDir(postgresBinDir) ?? '',
    dataDir,
    port: state.ports.postgres,
    log,
  });
  const services = temporal.runningServices();
  if (services.length > 0) log(`stopping Temporal (${services.join(', ')})`);
  await temporal.stop();
  const pg = postgres.runningPid() !== undefined;
  if (pg) log('stopping PostgreSQL');
  await postgres.stop();
  return services.length > 0 || pg;
}
