/**
 * `npm run replay`: replays workflow histories against the current workflow code, the check to run
 * before deploying a workflow change (README "Replaying workflows"). Histories come from the
 * configured Temporal (`--workflow-id`, `--query`) or from files downloaded from the Web UI (`--file`),
 * and are decoded through the payload codec when keys are configured. Prints one line per workflow,
 * `ok` or the non-determinism and the event where it diverged; exits 1 when any failed, 2 on bad use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type ReplayWorkerOptions,
} from '@temporalio/worker';
import type { AppConfig } from '../config';
import { HistoryJsonError, historyFromJson } from './historyJson';

export const REPLAY_USAGE = `Usage: npm run replay -- [--workflow-id ID]... [--query QUERY] [--file HISTORY.json]...

Replays workflow histories against the current workflow code (src/workflows) and prints, per
workflow, "ok" or the non-determinism and the history event where it diverged.

  --workflow-id ID   a workflow of the configured Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE);
                     repeatable; its latest run
  --query QUERY      every workflow a visibility query finds, e.g. 'AppointmentStatus = "CANCELED"'
                     or 'WorkflowType = "appointmentLifecycle" AND ExecutionStatus = "Running"'
  --limit N          at most N workflows from --query (default 1000)
  --file PATH        a history JSON file (the Web UI's Download, or temporal workflow show
                     --output json); repeatable; no Temporal connection needed
  --help             this text

Payloads are decoded with PAYLOAD_CODEC_KEYS(_FILE) when set. Exit code: 0 all replayed, 1 at least
one failed, 2 bad arguments or nothing to replay.`;

export interface ReplayRequest {
  workflowIds: string[];
  query?: string;
  limit: number;
  files: string[];
}

export type ParsedArgs = { ok: true; request: ReplayRequest } | { ok: false; help: boolean; error?: string };

export function parseReplayArgs(argv: readonly string[]): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'workflow-id': { type: 'string', multiple: true },
        query: { type: 'string' },
        limit: { type: 'string' },
        file: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { ok: false, help: false, error: (err as Error).message };
  }
  if (values.help) return { ok: false, help: true };
  const limit = values.limit === undefined ? 1000 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    return { ok: false, help: false, error: '--limit must be a whole number of at least 1' };
  }
  const request: ReplayRequest = {
    workflowIds: values['workflow-id'] ?? [],
    ...(values.query ? { query: values.query } : {}),
    limit,
    files: values.file ?? [],
  };
  if (request.workflowIds.length === 0 && !request.query && request.files.length === 0) {
    return { ok: false, help: false, error: 'nothing to replay: give --workflow-id, --query or --file' };
  }
  return { ok: true, request };
}

export interface ReplayOutcome {
  /** The workflow id, or the file it came from. */
  source: string;
  ok: boolean;
  /** Why it failed: the SDK's non-determinism message, or why the history could not be read. */
  error?: string;
  /** The history event id where replay diverged, when the SDK says. */
  eventId?: number;
}

interface NamedHistory {
  workflowId: string;
  history: History;
}

const WFT_STARTED = 6; // temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
const WFT_COMPLETED = 7; // EVENT_TYPE_WORKFLOW_TASK_COMPLETED

/**
 * The first event of the workflow task whose commands no longer match: the SDK's message says what
 * differs, not where, so replay ever longer prefixes (each ending at a task start, which replay
 * accepts as "in progress") and bisect for the first one that fails. Its commands follow the
 * task completed just before that start.
 */
export async function divergedAt(
  history: History,
  options: ReplayWorkerOptions,
  workflowId: string,
): Promise<number | undefined> {
  const events = history.events ?? [];
  const starts = events.flatMap((e, i) => (Number(e.eventType) === WFT_STARTED ? [i] : []));
  const fails = async (end: number): Promise<boolean> => {
    const prefix = { ...history, events: events.slice(0, end + 1) };
    const result = await Worker.runReplayHistory(options, prefix, workflowId).then(
      () => undefined,
      (err: unknown) => err,
    );
    return result !== undefined;
  };
  // Invariant: the prefix to starts[lo - 1] replays; the one to starts[hi] fails (hi = length: the whole).
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fails(starts[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  const failingEnd = hi < starts.length ? (starts[hi] as number) : events.length;
  for (let i = failingEnd - 1; i >= 0; i--) {
    if (Number(events[i]?.eventType) === WFT_COMPLETED)
      return Number(events[i + 1]?.eventId ?? events[i]?.eventId);
  }
  return undefined;
}

/** Replays every history; a history that cannot be fetched or read is a failed outcome, not a crash. */
export async function replayHistories(
  histories: AsyncIterable<NamedHistory | ReplayOutcome>,
  options: ReplayWorkerOptions,
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const readable: NamedHistory[] = [];
  for await (const item of histories) {
    if ('history' in item) readable.push(item);
    else outcomes.push(item);
  }
  if (readable.length === 0) return outcomes;
  for await (const result of Worker.runReplayHistories(options, readable)) {
    if (!result.error) {
      outcomes.push({ source: result.workflowId, ok: true });
      continue;
    }
    const message = `${result.error.name}: ${coreMessage(result.error.message)}`;
    const history = readable.find((h) => h.workflowId === result.workflowId)?.history;
    const eventId = history ? await divergedAt(history, options, result.workflowId) : undefined;
    outcomes.push({ source: result.workflowId, ok: false, error: message, ...(eventId ? { eventId } : {}) });
  }
  return outcomes;
}

/** The core's own sentence ("[TMPRL1100] Nondeterminism error: …") out of the SDK's wrapped message. */
export function coreMessage(message: string): string {
  return /message: "([^"]+)"/.exec(message)?.[1] ?? message;
}

export async function* historiesOf(
  request: ReplayRequest,
  client: () => Promise<Client>,
): AsyncIterable<NamedHistory | ReplayOutcome> {
  for (const file of request.files) {
    try {
      yield { workflowId: path.basename(file), history: historyFromJson(readFileSync(file, 'utf8')) };
    } catch (err) {
      const reason =
        err instanceof HistoryJsonError
          ? err.message
          : `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      yield { source: path.basename(file), ok: false, error: reason };
    }
  }
  if (request.workflowIds.length === 0 && !request.query) return;
  const temporal = await client();
  for (const workflowId of request.workflowIds) {
    try {
      yield { workflowId, history: await temporal.workflow.getHandle(workflowId).fetchHistory() };
    } catch (err) {
      yield { source: workflowId, ok: false, error: `cannot be fetched: ${(err as Error).message}` };
    }
  }
  if (request.query) {
    let count = 0;
    for await (const found of temporal.workflow.list({ query: request.query }).intoHistories()) {
      if (count++ >= request.limit) break;
      // The SDK types it loosely (History | unknown): intoHistories fetches a History proto.
      if (found.history) yield { workflowId: found.workflowId, history: found.history as History };
      else yield { source: found.workflowId, ok: false, error: 'its history could not be fetched' };
    }
  }
}

export function formatOutcome(outcome: ReplayOutcome): string {
  if (outcome.ok) return `ok    ${outcome.source}`;
  const at = outcome.eventId === undefined ? '' : ` (diverged at event ${outcome.eventId})`;
  return `FAIL  ${outcome.source}${at}: ${outcome.error ?? 'unknown error'}`;
}

async function main(): Promise<number> {
  const parsed = parseReplayArgs(process.argv.slice(2));
  if (!parsed.ok) {
    if (parsed.error) console.error(`replay: ${parsed.error}\n`);
    console.log(REPLAY_USAGE);
    return parsed.help ? 0 : 2;
  }
  const [{ loadConfig }, { dataConverterOf }, { WORKFLOW_BUNDLER_OPTIONS }] = await Promise.all([
    import('../config'),
    import('../temporal/dataConverter'),
    import('../temporal/workflowBundle'),
  ]);
  const config: AppConfig = loadConfig({ embeddedDefault: true });
  // The outcome lines are the output: the SDK's own progress (bundling, worker states) only on trouble.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  let connection: { close(): Promise<void> } | undefined;
  const client = async (): Promise<Client> => {
    const [{ connectWithRetry, createClient }, { temporalConnectionOptions }] = await Promise.all([
      import('../temporal/connection'),
      import('../temporal/connectionOptions'),
    ]);
    const connected = await connectWithRetry(temporalConnectionOptions(config), { timeoutMs: 15_000 });
    connection = connected;
    return createClient(connected, config.env.TEMPORAL_NAMESPACE, dataConverterOf(config));
  };
  const bundlePath = config.env.WORKFLOW_BUNDLE_PATH;
  // Bundled once: a failed history is replayed again in parts to find where it diverged.
  const workflowBundle = bundlePath
    ? { codePath: bundlePath }
    : await bundleWorkflowCode({
        workflowsPath: require.resolve('../workflows'),
        ...WORKFLOW_BUNDLER_OPTIONS,
        logger: new DefaultLogger('WARN'),
      });
  const outcomes = await replayHistories(historiesOf(parsed.request, client), {
    workflowBundle,
    dataConverter: dataConverterOf(config),
  });
  await connection?.close();
  for (const outcome of outcomes) console.log(formatOutcome(outcome));
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(`\n${outcomes.length - failed} ok, ${failed} failed`);
  if (outcomes.length === 0) {
    console.error('replay: no workflow matched');
    return 2;
  }
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`replay: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
