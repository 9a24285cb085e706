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
 * pick up lines other processes appended). The line format is in messageLines.ts, the index in messageIndex.ts.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { countSegments } from '../domain/messages/segments';
import { MessageIndex } from './messageIndex';
import { SENT_STATUSES, type SANDBOX_MESSAGE_STATUSES } from './messageLines';

/** One of Twilio's message statuses (`SANDBOX_MESSAGE_STATUSES`). */
export type SandboxMessageStatus = (typeof SANDBOX_MESSAGE_STATUSES)[number];

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

/** `SM` + 32 lowercase hex characters. */
export function newMessageSid(): string {
  return `SM${randomBytes(16).toString('hex')}`;
}
