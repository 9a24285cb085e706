/**
 * The line format of the sandbox's `messages.jsonl` (described in messageStore.ts): Twilio's message statuses, the
 * three kinds of line, and how a status line folds into its message. Shared by the store and its index.
 */
import { z } from 'zod';
import type { SandboxMessage, SandboxMessageStatus } from './messageStore';

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

/** Statuses of a message that left for the handset (Twilio sets date_sent for these). */
export const SENT_STATUSES: ReadonlySet<SandboxMessageStatus> = new Set([
  'sent',
  'delivered',
  'undelivered',
  'read',
]);

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
export type StoreLine = z.infer<typeof storeLine>;

/** A JSON value read from the file as a line of the store, or undefined to skip it (foreign or invalid). */
export function parseStoreLine(value: unknown): StoreLine | undefined {
  const result = storeLine.safeParse(value);
  return result.success ? result.data : undefined;
}

/** The message after a status line: its new status, and `sentAt` once it reached a sent status. */
export function applyStatus(message: SandboxMessage, update: z.infer<typeof statusLine>): SandboxMessage {
  const reachedSent = SENT_STATUSES.has(update.status);
  return {
    ...message,
    status: update.status,
    updatedAt: update.at,
    ...(reachedSent && message.sentAt === undefined ? { sentAt: update.at } : {}),
    ...(update.errorCode === undefined ? {} : { errorCode: update.errorCode }),
  };
}
