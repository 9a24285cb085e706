/**
 * Pure: what the texts one phone received say about its first reminder, without knowing the
 * service's templates. The phone's first text is the booking text; the first later text with
 * another body is the reminder; any body received more than once is a duplicate.
 */

export interface ReceivedText {
  body: string;
  createdMs: number;
}

export interface ReminderOutcome {
  /** When the reminder text was created, if it came. */
  reminderMs?: number;
  /** Texts beyond the first of each body. */
  duplicates: number;
  /** Texts with yet another body (neither the booking text nor the reminder). */
  unexpected: number;
}

export function reminderOutcome(texts: readonly ReceivedText[]): ReminderOutcome {
  const sorted = [...texts].sort((a, b) => a.createdMs - b.createdMs);
  const booking = sorted[0];
  if (booking === undefined) return { duplicates: 0, unexpected: 0 };
  const reminder = sorted.find((text) => text.body !== booking.body);
  const bodies = new Map<string, number>();
  for (const text of sorted) bodies.set(text.body, (bodies.get(text.body) ?? 0) + 1);
  let duplicates = 0;
  for (const times of bodies.values()) duplicates += times - 1;
  return {
    ...(reminder === undefined ? {} : { reminderMs: reminder.createdMs }),
    duplicates,
    unexpected: Math.max(0, bodies.size - 2),
  };
}
