/**
 * The in-memory index behind the SandboxMessageStore (messageStore.ts): the lines of `messages.jsonl` folded into
 * messages, by sid, `to` and `from`, and the queries the store answers from it (filters, pages, newest first).
 */
import { indexPerFile, JsonLinesLog, type LogIndex } from './jsonLinesLog';
import { applyStatus, parseStoreLine, type StoreLine } from './messageLines';
import type { SandboxMessage, SandboxMessageFilter } from './messageStore';

/** One index per file in this process, however many SandboxMessageStore objects open it. */
const indexes = new Map<string, MessageIndex>();

/**
 * The messages of one file in memory, by sid, by `to`, by `from` and in the order they were added.
 * Index cost: ~0.8 KB of heap per message with a 115-character body (bench:sandbox: +40 MB at 50k), mostly its strings.
 */
export class MessageIndex implements LogIndex<StoreLine> {
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
    return parseStoreLine(value);
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
