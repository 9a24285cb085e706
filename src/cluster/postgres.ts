/**
 * The cluster profile's PostgreSQL: Debian's `postgresql` package (installed when absent, as root
 * with apt), run as a private instance in `<dataDir>/postgres` on 127.0.0.1 and a port of its own,
 * with its unix socket inside that folder. PostgreSQL refuses to run as root, so under root it runs
 * as the `postgres` user the package creates (the data folder is then made traversable for it).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { ensureDebianPackage } from '../temporal/debianPackage';
import { findOnPath, isExecutable, type ToolLog } from '../temporal/toolInstaller';
import { isAlive, readPidFile, startDaemon, stopProcess, tailOf, type Daemon } from './processes';
import { postgresBinDirSetting } from './settings';

/** Debian bookworm's `postgresql` (PostgreSQL 15); a newer one from a security update or release works too. */
export const POSTGRES_DEBIAN_PACKAGE = {
  name: 'postgresql',
  version: '15+248+deb12u1',
  binary: '/usr/lib/postgresql/15/bin/postgres',
  purpose: "the cluster profile's Temporal database",
};

/** Temporal's role; the databases are `temporal` and `temporal_visibility`, as in docker-compose.yml. */
export const TEMPORAL_DB_USER = 'temporal';
const SUPERUSER = 'postgres';
const REQUIRED = ['postgres', 'initdb', 'pg_isready', 'psql'];

export class PostgresError extends Error {
  override readonly name = 'PostgresError';
}

function hasAll(dir: string): boolean {
  return REQUIRED.every((exe) => isExecutable(path.join(dir, exe)));
}

/** Where PostgreSQL's server binaries are: `explicit` (CLUSTER_POSTGRES_BIN_DIR), Debian's newest, or PATH. */
export function findPostgresBinDir(explicit: string | undefined): string | undefined {
  if (explicit) {
    if (hasAll(explicit)) return path.resolve(explicit);
    throw new PostgresError(`CLUSTER_POSTGRES_BIN_DIR=${explicit} lacks one of ${REQUIRED.join(', ')}`);
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = path.join(debianRoot, version, 'bin');
      if (hasAll(dir)) return dir;
    }
  }
  const onPath = findOnPath('postgres');
  if (onPath) {
    const dir = path.dirname(realpathSync(onPath));
    if (hasAll(dir)) return dir;
  }
  return undefined;
}

/**
 * The binaries' folder, installing Debian's package first when none is found (root with apt only).
 * `binDir` is CLUSTER_POSTGRES_BIN_DIR; left out (the cluster tests' global setup), it is read from
 * the environment with the CLI's schema.
 */
export function ensurePostgres(log: ToolLog, binDir: string | undefined = postgresBinDirSetting()): string {
  const found = findPostgresBinDir(binDir);
  if (found) return found;
  ensureDebianPackage(POSTGRES_DEBIAN_PACKAGE, log);
  const installed = findPostgresBinDir(binDir);
  if (installed) return installed;
  throw new PostgresError(
    [
      'The cluster profile needs PostgreSQL 12 or newer (server binaries: postgres, initdb, pg_isready, psql).',
      'Install it (Debian/Ubuntu as root: apt-get install -y postgresql; the profile does this itself when run',
      'as root), or set CLUSTER_POSTGRES_BIN_DIR to the folder holding those binaries.',
    ].join('\n'),
  );
}

/** The user the server runs as: ourselves, or `postgres` when we are root. */
interface RunAs {
  uid?: number;
  gid?: number;
  name: string;
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return { name: 'the current user' };
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
    return { uid, gid, name: `the ${SUPERUSER} user` };
  } catch {
    throw new PostgresError(
      `Running as root, PostgreSQL must run as another user and there is no '${SUPERUSER}' user ` +
        `(Debian's postgresql package creates it): install the package, or run the profile as a normal user.`,
    );
  }
}

export interface PostgresOptions {
  binDir: string;
  /** `<dataDir>/postgres` holds the cluster; the password file and log live beside it. */
  dataDir: string;
  port: number;
  log: ToolLog;
}

export class PostgresInstance {
  readonly pgData: string;
  readonly logFile: string;
  private readonly passwordFile: string;
  private readonly user: RunAs;
  private daemon: Daemon | undefined;

  constructor(private readonly options: PostgresOptions) {
    this.pgData = path.join(options.dataDir, 'postgres');
    this.logFile = path.join(options.dataDir, 'logs', 'postgres.log');
    this.passwordFile = path.join(options.dataDir, 'postgres-password');
    this.user = runAs();
  }

  get port(): number {
    return this.options.port;
  }

  /** The `temporal` role's password (made at initialisation, kept owner-only in the data folder). */
  get password(): string {
    return readFileSync(this.passwordFile, 'utf8').trim();
  }

  /** The postmaster's pid when it is running on this data folder. */
  runningPid(): number | undefined {
    const pid = readPidFile(path.join(this.pgData, 'postmaster.pid'));
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  }

  /** initdb (owner-only folder, trust on the socket only, passwords on TCP), once per data folder. */
  initialise(): void {
    const { log } = this.options;
    this.makeReachable();
    if (!existsSync(path.join(this.pgData, 'PG_VERSION'))) {
      // No PG_VERSION: nothing yet, or an initdb that did not finish (it refuses a non-empty folder).
      rmSync(this.pgData, { recursive: true, force: true });
      mkdirSync(this.pgData, { recursive: true, mode: 0o700 });
      if (this.user.uid !== undefined && this.user.gid !== undefined) {
        chownSync(this.pgData, this.user.uid, this.user.gid);
      }
      log(`initialising PostgreSQL in ${this.pgData} (as ${this.user.name})`);
      this.runAsOwner('initdb', [
        '-D',
        this.pgData,
        '-U',
        SUPERUSER,
        '-E',
        'UTF8',
        '--no-locale',
        // The socket is inside the owner-only data folder; TCP (Temporal) needs the role's password.
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
      ]);
    }
    // A lost password file costs nothing: ensureTemporalRole sets the role's password on every start.
    if (!existsSync(this.passwordFile)) {
      writeFileSync(this.passwordFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
    }
  }

  /** Starts the server unless it already runs on this folder; resolves when it accepts connections. */
  async start(): Promise<void> {
    if (this.runningPid() !== undefined) return;
    this.makeReachable();
    const args = [
      '-D',
      this.pgData,
      '-p',
      String(this.options.port),
      '-k',
      this.pgData,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_permissions=0700',
      // One pool per Temporal process (4) per store (2): the default 100 is too few under load.
      '-c',
      'max_connections=300',
      '-c',
      'logging_collector=off',
    ];
    this.daemon = startDaemon('postgres', path.join(this.options.binDir, 'postgres'), args, {
      cwd: this.options.dataDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
      logFile: this.logFile,
      ...(this.user.uid === undefined ? {} : { uid: this.user.uid, gid: this.user.gid }),
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!this.daemon.running()) {
        throw new PostgresError(
          `PostgreSQL exited at start-up\n--- ${this.logFile}\n${tailOf(this.logFile)}`,
        );
      }
      if (this.ready()) return;
      if (Date.now() > deadline) {
        throw new PostgresError(`PostgreSQL did not accept connections within 60 s\n${tailOf(this.logFile)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Fast shutdown (SIGINT: open transactions are rolled back, data is safe). */
  async stop(): Promise<void> {
    const pid = this.runningPid();
    if (pid === undefined) return;
    await stopProcess(pid, { signal: 'SIGINT', graceMs: 30_000, escalation: 'SIGQUIT' });
  }

  /** Runs SQL as the superuser over the socket; returns the unaligned, tuples-only output. */
  sql(statement: string, database = 'postgres'): string {
    return execFileSync(
      path.join(this.options.binDir, 'psql'),
      [
        '-X',
        '-q',
        '-t',
        '-A',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        this.pgData,
        '-p',
        String(this.options.port),
        '-U',
        SUPERUSER,
        '-d',
        database,
        '-c',
        statement,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    ).trim();
  }

  /** The `temporal` role (may create databases, as temporal-sql-tool's create needs); its password is re-set each start. */
  ensureTemporalRole(): void {
    const password = this.password;
    if (!/^[0-9a-f]+$/.test(password)) throw new PostgresError(`${this.passwordFile} is not a hex password`);
    const exists = this.sql(`SELECT 1 FROM pg_roles WHERE rolname = '${TEMPORAL_DB_USER}'`) === '1';
    const verb = exists ? 'ALTER' : 'CREATE';
    this.sql(`${verb} ROLE ${TEMPORAL_DB_USER} LOGIN CREATEDB PASSWORD '${password}'`);
  }

  databaseExists(name: string): boolean {
    if (!/^[a-z_]+$/.test(name)) throw new PostgresError(`unexpected database name ${name}`);
    return this.sql(`SELECT 1 FROM pg_database WHERE datname = '${name}'`) === '1';
  }

  /** The server's version line, e.g. "PostgreSQL 15.18". */
  version(): string {
    return this.sql('SHOW server_version').split(' ')[0] ?? 'unknown';
  }

  private ready(): boolean {
    try {
      execFileSync(
        path.join(this.options.binDir, 'pg_isready'),
        ['-q', '-h', this.pgData, '-p', String(this.options.port)],
        {
          stdio: 'ignore',
        },
      );
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Under root the server runs as `postgres`, which must reach `<dataDir>/postgres`: the data
   * folder gets search (x) permission for others, nothing more (its files stay owner-only).
   */
  private makeReachable(): void {
    if (this.user.uid === undefined) return;
    mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(this.options.dataDir, 0o711);
    if (!spawnSyncAs(this.user, 'test', ['-x', this.options.dataDir])) {
      const closed = closedAncestor(this.user, this.options.dataDir);
      throw new PostgresError(
        `PostgreSQL runs as ${this.user.name}, which cannot reach ${this.options.dataDir}: ${closed ?? 'a parent folder'} ` +
          `is closed to other users. Give it search permission (chmod o+x ${closed ?? '<folder>'}) or choose a data ` +
          `folder elsewhere (CLUSTER_DATA_DIR), e.g. /var/tmp/cluster.`,
      );
    }
  }

  private runAsOwner(executable: string, args: string[]): void {
    const file = path.join(this.options.binDir, executable);
    try {
      execFileSync(file, args, {
        cwd: this.options.dataDir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(this.user.uid === undefined ? {} : { uid: this.user.uid, gid: this.user.gid }),
      });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
      throw new PostgresError(`${executable} failed: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
    }
  }
}

function spawnSyncAs(user: RunAs, command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, {
      stdio: 'ignore',
      cwd: '/',
      ...(user.uid === undefined ? {} : { uid: user.uid, gid: user.gid }),
    });
    return true;
  } catch {
    return false;
  }
}

/** The first folder from the root down that the user cannot search, if any. */
function closedAncestor(user: RunAs, dir: string): string | undefined {
  let current = path.parse(dir).root;
  for (const part of path.relative(current, dir).split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    if (!spawnSyncAs(user, 'test', ['-x', current])) return current;
  }
  return undefined;
}
