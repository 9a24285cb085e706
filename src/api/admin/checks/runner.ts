/**
 * How the configuration page's live checks run: all at once, each bounded by a short timeout, each
 * answering ok / warning / failed (or "sandbox" where sandbox mode stands in for the real thing) with
 * a one-line reason. A reason never carries a secret: every configured secret is scrubbed from it and
 * it is cut short; no check touches patient data.
 */
export type CheckOutcome = 'ok' | 'warning' | 'failed' | 'sandbox';

export interface CheckAnswer {
  readonly outcome: CheckOutcome;
  readonly reason: string;
}

export interface LiveCheckResult extends CheckAnswer {
  readonly name: string;
  /** How long it took, in milliseconds. */
  readonly ms: number;
}

export interface LiveCheck {
  readonly name: string;
  /** `signal` aborts when the check's timeout passes (for fetch; other clients are raced instead). */
  run(signal: AbortSignal): Promise<CheckAnswer>;
}

/** Each check's bound: the page waits for the slowest, so keep it short. */
export const LIVE_CHECK_TIMEOUT_MS = 4_000;
const MAX_REASON_CHARS = 240;

export interface RunOptions {
  timeoutMs?: number;
  /** Values never to show (tokens, keys, passwords): replaced by "[redacted]" in every reason. */
  secrets?: readonly string[];
}

/** Runs every check at once, each with its own timeout; never rejects. */
export function runLiveChecks(
  checks: readonly LiveCheck[],
  options: RunOptions = {},
): Promise<LiveCheckResult[]> {
  const timeoutMs = options.timeoutMs ?? LIVE_CHECK_TIMEOUT_MS;
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  return Promise.all(
    checks.map(async (check): Promise<LiveCheckResult> => {
      const started = Date.now();
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<CheckAnswer>((resolve) => {
        timer = setTimeout(() => {
          controller.abort();
          resolve({ outcome: 'failed', reason: `no answer within ${timeoutMs} ms` });
        }, timeoutMs);
      });
      let answer: CheckAnswer;
      try {
        answer = await Promise.race([check.run(controller.signal), timedOut]);
      } catch (err) {
        answer = { outcome: 'failed', reason: errorText(err) };
      } finally {
        clearTimeout(timer);
      }
      return {
        name: check.name,
        outcome: answer.outcome,
        reason: scrub(answer.reason, secrets),
        ms: Date.now() - started,
      };
    }),
  );
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out.length > MAX_REASON_CHARS ? `${out.slice(0, MAX_REASON_CHARS)}…` : out;
}

/** A short, secret-free description of an error: its code when it has one, else its first line. */
export function errorText(err: unknown): string {
  // Duck-typed: errors from fetch (undici) or gRPC may come from another realm than this module's Error.
  if (typeof err !== 'object' || err === null) return 'unknown error';
  const {
    message,
    name,
    code: ownCode,
    cause,
  } = err as {
    message?: unknown;
    name?: unknown;
    code?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  const code = typeof cause?.code === 'string' ? cause.code : ownCode;
  const first = (typeof message === 'string' ? (message.split('\n')[0] ?? '') : '').slice(0, 160);
  if (typeof code === 'string' && !first.includes(code)) return first ? `${first} (${code})` : code;
  return first || (typeof name === 'string' ? name : 'unknown error');
}
