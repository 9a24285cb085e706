/**
 * The sandbox's "carrier": every message the built-in Twilio sandbox accepted (outbound) or a simulated patient sent
 * (inbound), persisted as JSON lines under DATA_DIR so messages survive restarts and every process sharing DATA_DIR
 * (API, worker, admin console) sees the same phone.
 *
 * File format (`messages.jsonl`), one JSON object a line, append-only:
 * - `{"type":"message", ...SandboxMessage}`  a new message;
 * - `{"type":"status","sid","status","at","errorCode"?}`  a later status change; reading folds them into the message;
 * - `{"type":"reported","sid","status","at"}`  the status callback for that status was delivered (answered 2xx), so
 *   the Twilio emulation knows, after a restart, which callbacks a stop of the API cut off (files written before
 *   this line existed load as before: their messages just have no `reportedStatus`).
 * The file is read once into an index (by sid, `to`, `from` and order added) that each append updates, so a text costs
 * the same at the millionth message as at the first (JsonLinesLog: one write per append, one stat per operation to
 * pick up lines other processes appended).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { countSegments } from '../domain/messages/segments';
import { indexPerFile, JsonLinesLog, type LogIndex } from './jsonLinesLog';

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

/** Twilio's directions: sent through the API, sent as a TwiML answer to an inbound text, received. */
export type SandboxMessageDirection = 'outbound-api' | 'outbound-reply' | 'inbound';

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
  /** The status whose status callback was last delivered; `status` differs from it while a callback is owed. */
  reportedStatus?: SandboxMessageStatus;
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
  direction: z.enum(['outbound-api', 'outbound-reply', 'inbound']),
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

const reportedLine = z.object({
  type: z.literal('reported'),
  sid: z.string(),
  status: statusSchema,
  at: z.string(),
});

const storeLine = z.discriminatedUnion('type', [messageLine, statusLine, reportedLine]);
type StoreLine = z.infer<typeof storeLine>;

export const SANDBOX_MESSAGES_FILE = 'messages.jsonl';

export class SandboxMessageStore {
  readonly file: string;
  private readonly index: MessageIndex;

  /** `directory` holds `messages.jsonl`; it is created on the first write. Stores on one directory share one index. */
  constructor(readonly directory: string) {
    this.file = path.join(directory, SANDBOX_MESSAGES_FILE);
    this.index = MessageIndex.forFile(this.file);
  }

  /** The store every process of one installation shares: `<dataDir>/sandbox/messages.jsonl`. */
  static inDataDir(dataDir: string): SandboxMessageStore {
    return new SandboxMessageStore(path.join(dataDir, 'sandbox'));
  }

  add(input: NewSandboxMessage): Promise<SandboxMessage> {
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
    const { log } = this.index;
    return log.run(async () => {
      await log.append({ type: 'message', ...message });
      return message;
    });
  }

  /** Messages matching the filter, oldest first (in the order they were added). */
  list(filter: SandboxMessageFilter = {}): Promise<SandboxMessage[]> {
    return this.index.log.run(() => this.index.list(filter));
  }

  /**
   * Messages matching the filter and `where`, newest first (Twilio's list order): `skip` of them are passed over, at
   * most `limit` returned, and `hasMore` tells whether any further one matches. Costs the messages it walks.
   */
  listNewestFirst(
    filter: SandboxMessageFilter,
    page: { skip: number; limit: number; where?: (message: SandboxMessage) => boolean },
  ): Promise<{ messages: SandboxMessage[]; hasMore: boolean }> {
    return this.index.log.run(() => this.index.listNewestFirst(filter, page));
  }

  get(sid: string): Promise<SandboxMessage | undefined> {
    return this.index.log.run(() => this.index.get(sid));
  }

  /** Records a status change; returns the updated message, or undefined (and writes nothing) for an unknown sid. */
  updateStatus(
    sid: string,
    status: SandboxMessageStatus,
    errorCode?: number,
  ): Promise<SandboxMessage | undefined> {
    const { log } = this.index;
    return log.run(async () => {
      if (this.index.get(sid) === undefined) return undefined;
      await log.append({
        type: 'status',
        sid,
        status,
        at: new Date().toISOString(),
        ...(errorCode === undefined ? {} : { errorCode }),
      });
      return this.index.get(sid);
    });
  }

  /**
   * Records that the status callback for `status` was delivered. It counts only while `status` is still the message's
   * status (a late report of an earlier status owes nothing). Writes nothing for an unknown sid.
   */
  markReported(sid: string, status: SandboxMessageStatus): Promise<SandboxMessage | undefined> {
    const { log } = this.index;
    return log.run(async () => {
      if (this.index.get(sid) === undefined) return undefined;
      await log.append({ type: 'reported', sid, status, at: new Date().toISOString() });
      return this.index.get(sid);
    });
  }
}

/** One index per file in this process, however many SandboxMessageStore objects open it. */
const indexes = new Map<string, MessageIndex>();

/**
 * The messages of one file in memory, by sid, by `to`, by `from` and in the order they were added.
 * Index cost: ~0.8 KB of heap per message with a 115-character body (bench:sandbox: +40 MB at 50k), mostly its strings.
 */
class MessageIndex implements LogIndex<StoreLine> {
  readonly log: JsonLinesLog<StoreLine>;
  private readonly bySid = new Map<string, Slot>();
  private readonly all = new MessageSequence();
  private readonly byTo = new Map<string, MessageSequence>();
  private readonly byFrom = new Map<string, MessageSequence>();

  private constructor(file: string) {
    this.log = new JsonLinesLog(file, this);
  }

  static forFile(file: string): MessageIndex {
    return indexPerFile(indexes, file, (key) => new MessageIndex(key));
  }

  parse(value: unknown): StoreLine | undefined {
    const result = storeLine.safeParse(value);
    return result.success ? result.data : undefined;
  }

  apply(line: StoreLine): void {
    if (line.type === 'reported') {
      const slot = this.bySid.get(line.sid);
      if (slot !== undefined && slot.message.status === line.status) {
        slot.message = Object.freeze({ ...slot.message, reportedStatus: line.status });
      }
      return;
    }
    if (line.type === 'status') {
      const slot = this.bySid.get(line.sid);
      if (slot !== undefined) slot.message = Object.freeze(applyStatus(slot.message, line));
      return;
    }
    const { type: _type, ...fields } = line;
    const message = Object.freeze(fields);
    const known = this.bySid.get(message.sid);
    if (known !== undefined) {
      known.message = message; // a repeated sid (never written by us) replaces the message where it stands
      return;
    }
    const slot: Slot = { message, createdMs: Date.parse(message.createdAt) };
    this.bySid.set(message.sid, slot);
    this.all.push(slot);
    sequenceIn(this.byTo, message.to).push(slot);
    sequenceIn(this.byFrom, message.from).push(slot);
  }

  clear(): void {
    this.bySid.clear();
    this.all.clear();
    this.byTo.clear();
    this.byFrom.clear();
  }

  get(sid: string): SandboxMessage | undefined {
    return this.bySid.get(sid)?.message;
  }

  list(filter: SandboxMessageFilter): SandboxMessage[] {
    const sequence = this.sequenceFor(filter);
    if (sequence === undefined) return [];
    const after = filter.createdAfter?.getTime();
    const messages: SandboxMessage[] = [];
    const { slots } = sequence;
    for (let i = after === undefined ? 0 : sequence.firstCreatedAtOrAfter(after); i < slots.length; i++) {
      const slot = slots[i];
      if (slot !== undefined && matches(slot, filter, after)) messages.push(slot.message);
    }
    return messages;
  }

  listNewestFirst(
    filter: SandboxMessageFilter,
    page: { skip: number; limit: number; where?: (message: SandboxMessage) => boolean },
  ): { messages: SandboxMessage[]; hasMore: boolean } {
    const messages: SandboxMessage[] = [];
    const sequence = this.sequenceFor(filter);
    if (sequence === undefined) return { messages, hasMore: false };
    const after = filter.createdAfter?.getTime();
    const first = after === undefined ? 0 : sequence.firstCreatedAtOrAfter(after);
    let toSkip = page.skip;
    for (let i = sequence.slots.length - 1; i >= first; i--) {
      const slot = sequence.slots[i];
      if (slot === undefined || !matches(slot, filter, after)) continue;
      if (page.where !== undefined && !page.where(slot.message)) continue;
      if (toSkip > 0) {
        toSkip--;
      } else if (messages.length < page.limit) {
        messages.push(slot.message);
      } else {
        return { messages, hasMore: true };
      }
    }
    return { messages, hasMore: false };
  }

  /** The shortest sequence holding every match; undefined when nothing can match. */
  private sequenceFor(filter: SandboxMessageFilter): MessageSequence | undefined {
    const to = filter.to === undefined ? undefined : this.byTo.get(filter.to);
    const from = filter.from === undefined ? undefined : this.byFrom.get(filter.from);
    if ((filter.to !== undefined && to === undefined) || (filter.from !== undefined && from === undefined)) {
      return undefined;
    }
    if (to !== undefined && from !== undefined) return to.slots.length <= from.slots.length ? to : from;
    return to ?? from ?? this.all;
  }
}

/** A message in the index; status updates replace `message`, so every sequence holding the slot sees them. */
interface Slot {
  message: SandboxMessage;
  readonly createdMs: number;
}

/** Slots in the order they were added, searchable by creation time while that order is also time order. */
class MessageSequence {
  readonly slots: Slot[] = [];
  /** False once a message was added with an earlier createdAt than the one before (clock step, another process). */
  private timeOrdered = true;

  push(slot: Slot): void {
    const last = this.slots[this.slots.length - 1];
    if (Number.isNaN(slot.createdMs) || (last !== undefined && slot.createdMs < last.createdMs)) {
      this.timeOrdered = false;
    }
    this.slots.push(slot);
  }

  clear(): void {
    this.slots.length = 0;
    this.timeOrdered = true;
  }

  /** The first position that can hold a message created at or after `ms` (0 when the order is not time order). */
  firstCreatedAtOrAfter(ms: number): number {
    if (!this.timeOrdered) return 0;
    let low = 0;
    let high = this.slots.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const slot = this.slots[middle];
      if (slot !== undefined && slot.createdMs < ms) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function sequenceIn(map: Map<string, MessageSequence>, key: string): MessageSequence {
  let sequence = map.get(key);
  if (sequence === undefined) {
    sequence = new MessageSequence();
    map.set(key, sequence);
  }
  return sequence;
}

function matches(slot: Slot, filter: SandboxMessageFilter, after: number | undefined): boolean {
  const { message } = slot;
  return (
    (filter.to === undefined || message.to === filter.to) &&
    (filter.from === undefined || message.from === filter.from) &&
    (after === undefined || slot.createdMs >= after)
  );
}

/** `SM` + 32 lowercase hex characters. */
export function newMessageSid(): string {
  return `SM${randomBytes(16).toString('hex')}`;
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
