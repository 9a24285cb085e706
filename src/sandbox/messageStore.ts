/**
 * The sandbox's "carrier": every message the built-in Twilio sandbox accepted (outbound) or a simulated patient sent
 * (inbound), persisted as JSON lines under DATA_DIR so messages survive restarts and every process sharing DATA_DIR
 * (API, worker, admin console) sees the same phone.
 *
 * File format (`messages.jsonl`), one JSON object a line, append-only:
 * - `{"type":"message", ...SandboxMessage}`  a new message;
 * - `{"type":"status","sid","status","at","errorCode"?}`  a later status change; reading folds them into the message.
 * The file is re-read on every read: simple and correct across processes, and sandbox files stay small.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { countSegments } from '../domain/messages/segments';

/** Twilio's message statuses (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values). */
export const SANDBOX_MESSAGE_STATUSES = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'receiving',
  'received',
  'read',
  'canceled',
] as const;
export type SandboxMessageStatus = (typeof SANDBOX_MESSAGE_STATUSES)[number];

/** Statuses of a message that left for the handset (Twilio sets date_sent for these). */
const SENT_STATUSES: ReadonlySet<SandboxMessageStatus> = new Set([
  'sent',
  'delivered',
  'undelivered',
  'read',
]);

export type SandboxMessageDirection = 'outbound-api' | 'inbound';

export interface SandboxMessage {
  /** `SM` + 32 hex, like Twilio's SMS sids. */
  sid: string;
  to: string;
  from: string;
  body: string;
  status: SandboxMessageStatus;
  /** ISO 8601 instant (UTC, milliseconds). */
  createdAt: string;
  /** ISO 8601 instant of the last status change (createdAt until one happens). */
  updatedAt: string;
  /** ISO 8601 instant the message reached `sent` (Twilio's date_sent); absent before. */
  sentAt?: string;
  messagingServiceSid?: string;
  statusCallback?: string;
  direction: SandboxMessageDirection;
  numSegments: number;
  errorCode?: number;
}

export interface NewSandboxMessage {
  to: string;
  from: string;
  body: string;
  direction: SandboxMessageDirection;
  /** Defaults to `queued` for outbound and `received` for inbound messages. */
  status?: SandboxMessageStatus;
  messagingServiceSid?: string;
  statusCallback?: string;
  errorCode?: number;
}

export interface SandboxMessageFilter {
  to?: string;
  from?: string;
  /** Only messages created at or after this instant. */
  createdAfter?: Date;
}

const statusSchema = z.enum(SANDBOX_MESSAGE_STATUSES);

const messageLine = z.object({
  type: z.literal('message'),
  sid: z.string(),
  to: z.string(),
  from: z.string(),
  body: z.string(),
  status: statusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  sentAt: z.string().optional(),
  messagingServiceSid: z.string().optional(),
  statusCallback: z.string().optional(),
  direction: z.enum(['outbound-api', 'inbound']),
  numSegments: z.number().int().nonnegative(),
  errorCode: z.number().int().optional(),
});

const statusLine = z.object({
  type: z.literal('status'),
  sid: z.string(),
  status: statusSchema,
  at: z.string(),
  errorCode: z.number().int().optional(),
});

const storeLine = z.discriminatedUnion('type', [messageLine, statusLine]);

/** Appends per file are chained so two writers in one process never interleave (across processes each line is one `O_APPEND` write). */
const appendQueues = new Map<string, Promise<void>>();

export const SANDBOX_MESSAGES_FILE = 'messages.jsonl';

export class SandboxMessageStore {
  readonly file: string;

  /** `directory` holds `messages.jsonl`; it is created on the first write. */
  constructor(readonly directory: string) {
    this.file = path.join(directory, SANDBOX_MESSAGES_FILE);
  }

  /** The store every process of one installation shares: `<dataDir>/sandbox/messages.jsonl`. */
  static inDataDir(dataDir: string): SandboxMessageStore {
    return new SandboxMessageStore(path.join(dataDir, 'sandbox'));
  }

  async add(input: NewSandboxMessage): Promise<SandboxMessage> {
    const now = new Date().toISOString();
    const status = input.status ?? (input.direction === 'inbound' ? 'received' : 'queued');
    const message: SandboxMessage = {
      sid: newMessageSid(),
      to: input.to,
      from: input.from,
      body: input.body,
      status,
      createdAt: now,
      updatedAt: now,
      ...(SENT_STATUSES.has(status) ? { sentAt: now } : {}),
      ...(input.messagingServiceSid === undefined ? {} : { messagingServiceSid: input.messagingServiceSid }),
      ...(input.statusCallback === undefined ? {} : { statusCallback: input.statusCallback }),
      direction: input.direction,
      numSegments: countSegments(input.body).segments,
      ...(input.errorCode === undefined ? {} : { errorCode: input.errorCode }),
    };
    await this.append({ type: 'message', ...message });
    return message;
  }

  /** Messages matching the filter, oldest first (in the order they were added). */
  async list(filter: SandboxMessageFilter = {}): Promise<SandboxMessage[]> {
    const after = filter.createdAfter?.getTime();
    return [...(await this.readAll()).values()].filter(
      (message) =>
        (filter.to === undefined || message.to === filter.to) &&
        (filter.from === undefined || message.from === filter.from) &&
        (after === undefined || Date.parse(message.createdAt) >= after),
    );
  }

  async get(sid: string): Promise<SandboxMessage | undefined> {
    return (await this.readAll()).get(sid);
  }

  /** Records a status change; returns the updated message, or undefined (and writes nothing) for an unknown sid. */
  async updateStatus(
    sid: string,
    status: SandboxMessageStatus,
    errorCode?: number,
  ): Promise<SandboxMessage | undefined> {
    const current = await this.get(sid);
    if (current === undefined) return undefined;
    const line: z.infer<typeof statusLine> = {
      type: 'status',
      sid,
      status,
      at: new Date().toISOString(),
      ...(errorCode === undefined ? {} : { errorCode }),
    };
    await this.append(line);
    return applyStatus(current, line);
  }

  private async readAll(): Promise<Map<string, SandboxMessage>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    const messages = new Map<string, SandboxMessage>();
    for (const raw of text.split('\n')) {
      const line = parseLine(raw);
      if (line === undefined) continue;
      if (line.type === 'message') {
        const { type: _type, ...message } = line;
        messages.set(message.sid, message);
      } else {
        const message = messages.get(line.sid);
        if (message !== undefined) messages.set(line.sid, applyStatus(message, line));
      }
    }
    return messages;
  }

  private append(line: z.infer<typeof storeLine>): Promise<void> {
    const previous = appendQueues.get(this.file) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        await mkdir(this.directory, { recursive: true });
        await appendFile(this.file, `${JSON.stringify(line)}\n`, 'utf8');
      });
    appendQueues.set(this.file, next);
    return next;
  }
}

/** `SM` + 32 lowercase hex characters. */
export function newMessageSid(): string {
  return `SM${randomBytes(16).toString('hex')}`;
}

/** A blank, torn (another process mid-write) or foreign line is skipped rather than failing every read. */
function parseLine(raw: string): z.infer<typeof storeLine> | undefined {
  if (raw.trim() === '') return undefined;
  try {
    const result = storeLine.safeParse(JSON.parse(raw));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

function applyStatus(message: SandboxMessage, update: z.infer<typeof statusLine>): SandboxMessage {
  const reachedSent = SENT_STATUSES.has(update.status);
  return {
    ...message,
    status: update.status,
    updatedAt: update.at,
    ...(reachedSent && message.sentAt === undefined ? { sentAt: update.at } : {}),
    ...(update.errorCode === undefined ? {} : { errorCode: update.errorCode }),
  };
}
