/**
 * Fault switches of the sandbox's emulations (Twilio, the EHR receiver): an operator or a fault test turns an outage
 * on for N seconds through a loopback-only route, and the emulation misbehaves the way the real service does when it
 * is down, rate-limited or slow. State is per process (the API's), and a switch turns itself off when its time is up,
 * so a test that dies mid-outage never leaves the sandbox broken.
 *
 * `GET <path>` → the current fault or `{"mode":null}`; `PUT <path>` `{"mode","seconds","retryAfterSeconds"?}` turns
 * one on (replacing any other); `DELETE <path>` turns it off. Each answer is the switch's state:
 * `{mode, until, remainingSeconds, retryAfterSeconds?, hits}`, `hits` counting the requests the fault changed.
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { loopbackOnly } from './loopbackOnly';

/** Longest outage one PUT can ask for: a forgotten switch must not break a sandbox for the rest of the day. */
export const MAX_FAULT_SECONDS = 3_600;

export interface ActiveFault<Mode extends string> {
  mode: Mode;
  /** Epoch milliseconds at which the switch turns itself off. */
  untilMs: number;
  /** For answers that carry a Retry-After header (503, 429), its value in seconds. */
  retryAfterSeconds?: number;
}

export interface FaultSwitchState<Mode extends string> {
  mode: Mode | null;
  until?: string;
  remainingSeconds?: number;
  retryAfterSeconds?: number;
  /** Requests this fault changed (answered with an error, dropped or held) since it was turned on. */
  hits: number;
}

export class FaultSwitch<Mode extends string> {
  private fault: ActiveFault<Mode> | undefined;
  private hitCount = 0;

  constructor(
    readonly modes: readonly [Mode, ...Mode[]],
    private readonly now: () => number = Date.now,
  ) {}

  /** Turns `mode` on for `seconds` (replacing any fault already on) and resets the hit count. */
  set(mode: Mode, seconds: number, retryAfterSeconds?: number): FaultSwitchState<Mode> {
    this.fault = {
      mode,
      untilMs: this.now() + seconds * 1_000,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
    this.hitCount = 0;
    return this.state();
  }

  clear(): FaultSwitchState<Mode> {
    this.fault = undefined;
    return this.state();
  }

  /** The fault in force now, if any. */
  active(): ActiveFault<Mode> | undefined {
    if (this.fault !== undefined && this.now() >= this.fault.untilMs) this.fault = undefined;
    return this.fault;
  }

  /** The fault in force now, counted as a hit: call it only when the fault is about to change the answer. */
  hit(): ActiveFault<Mode> | undefined {
    const fault = this.active();
    if (fault !== undefined) this.hitCount += 1;
    return fault;
  }

  state(): FaultSwitchState<Mode> {
    const fault = this.active();
    if (fault === undefined) return { mode: null, hits: this.hitCount };
    return {
      mode: fault.mode,
      until: new Date(fault.untilMs).toISOString(),
      remainingSeconds: Math.max(0, Math.ceil((fault.untilMs - this.now()) / 1_000)),
      ...(fault.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: fault.retryAfterSeconds }),
      hits: this.hitCount,
    };
  }
}

/** The control route of one switch, loopback-only (as every sandbox route): GET, PUT and DELETE on `path`. */
export function faultSwitchRouter<Mode extends string>(path: string, faults: FaultSwitch<Mode>): Router {
  const request = z
    .object({
      mode: z.enum(faults.modes),
      seconds: z.number().positive().max(MAX_FAULT_SECONDS),
      retryAfterSeconds: z.number().int().min(0).max(MAX_FAULT_SECONDS).optional(),
    })
    .strict();
  const router = express.Router();
  // Mounted under /v1/sandbox, which composition/sandbox.ts already keeps to loopback; checked here too so the switch stays
  // loopback-only wherever the emulation is mounted.
  router.use(path, loopbackOnly);
  router.get(path, (_req, res) => {
    res.json(faults.state());
  });
  router.put(path, express.json({ limit: '4kb' }), (req: Request, res: Response) => {
    const parsed = request.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({
        error: {
          code: 'invalid_fault',
          message: `mode must be one of ${faults.modes.join(', ')}; seconds a number in (0, ${MAX_FAULT_SECONDS}]`,
          details: parsed.error.issues.map((issue) => ({
            field: issue.path.map(String).join('.'),
            message: issue.message,
          })),
        },
      });
      return;
    }
    const { mode, seconds, retryAfterSeconds } = parsed.data;
    res.json(faults.set(mode, seconds, retryAfterSeconds));
  });
  router.delete(path, (_req, res) => {
    res.json(faults.clear());
  });
  return router;
}

/**
 * Never answers: the caller's own timeout ends the request (as when a reply is lost on the way back). The socket is
 * destroyed after `maxHoldMs` in case the caller has no timeout, so a held request never lives for ever.
 */
export function holdWithoutAnswer(res: Response, maxHoldMs: number): void {
  const timer = setTimeout(() => res.socket?.destroy(), maxHoldMs);
  timer.unref();
  res.once('close', () => clearTimeout(timer));
}

/** Drops the connection without an answer (a reset, as from an endpoint that went down mid-request). */
export function dropConnection(req: Request): void {
  req.socket.destroy();
}
