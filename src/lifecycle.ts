/**
 * Process hygiene shared by `npm start`, `npm run api` and `npm run worker` (README "Stopping, draining
 * and exit codes"): exit codes, listeners that fail with a message an operator can act on, and stop
 * signals.
 *
 * Every listener of ours opens through `listen`: a port in use, a port that needs privileges or an
 * address this machine does not have ends start-up with one line naming the setting to change, and
 * the process exits with EXIT_CODES.listen.
 */
import net from 'node:net';
import type { Logger } from './log';

export const EXIT_CODES = {
  /** Stopped by SIGINT/SIGTERM after a full drain. */
  stopped: 0,
  /** Start-up failed, something crashed, or a drain was cut short at its bound. */
  failed: 1,
  /** The configuration was refused (every problem is listed). */
  config: 2,
  /** A listener could not open: port in use, permission denied, address not on this machine. */
  listen: 3,
} as const;

export interface ListenTarget {
  /** What listens, for the message: "the API", "the HL7 MLLP listener". */
  readonly listener: string;
  readonly port: number;
  /** Undefined: every interface. */
  readonly host?: string;
  /** The settings that choose the port and the address, named in the message. */
  readonly portSetting: string;
  readonly hostSetting?: string;
}

export class ListenError extends Error {
  override readonly name = 'ListenError';
  /** The system error code (EADDRINUSE, EACCES, EADDRNOTAVAIL, …), when there is one. */
  readonly code: string | undefined;

  constructor(
    readonly target: ListenTarget,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    super(listenFailure(target, code, cause), { cause });
    this.code = code;
  }
}

function listenFailure(target: ListenTarget, code: string | undefined, cause: unknown): string {
  const where = `${target.host ?? 'every interface'} port ${target.port}`;
  const address = target.hostSetting
    ? `set ${target.hostSetting} to one of its addresses`
    : 'check the address';
  const reason =
    code === 'EADDRINUSE'
      ? `the port is already in use; stop what holds it or set ${target.portSetting} to a free port`
      : code === 'EACCES'
        ? `permission denied; ports below 1024 need privileges, set ${target.portSetting} to 1024 or above`
        : code === 'EADDRNOTAVAIL'
          ? `${target.host ?? 'the address'} is not an address of this machine; ${address}`
          : cause instanceof Error
            ? cause.message
            : String(cause);
  return `${target.listener} cannot listen on ${where} (${target.portSetting}${code ? `, ${code}` : ''}): ${reason}`;
}

/** Listens, or rejects with a ListenError; resolves with the bound port (useful with port 0). */
export function listen(server: net.Server, target: ListenTarget): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const failed = (err: Error): void => reject(new ListenError(target, err));
    server.once('error', failed);
    const listening = (): void => {
      server.off('error', failed);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : target.port);
    };
    if (target.host === undefined) server.listen(target.port, listening);
    else server.listen(target.port, target.host, listening);
  });
}

/**
 * Binds and lets go at once. Start-up checks every port before it starts anything slow or anything it
 * would then have to stop (a dev server, a workflow bundle), so a taken port fails in a second.
 */
export async function assertCanListen(targets: readonly ListenTarget[]): Promise<void> {
  for (const target of targets) {
    const probe = net.createServer();
    await listen(probe, target);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

/** A terminal's Ctrl-C reaches a process twice under `tsx` (directly, then relayed): that is one signal. */
const SAME_SIGNAL_WINDOW_MS = 1_000;

/**
 * SIGINT/SIGTERM call `stop` once. A second signal (a second Ctrl-C) ends the process at once with
 * EXIT_CODES.failed, without waiting for the drain.
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void, logger: Logger): void {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      stop(signal);
    } else if (Date.now() - firstAt > SAME_SIGNAL_WINDOW_MS) {
      logger.warn({ signal }, 'second signal: stopping without waiting for the drain');
      process.exit(EXIT_CODES.failed);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
