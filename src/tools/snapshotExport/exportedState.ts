/**
 * The parts of a snapshot's workflow state the export reads: the start that chooses it, and the
 * fields of a CSV row. Parsed, not trusted: a state of another shape has no start.
 */
import { z } from 'zod';
import type { AppointmentSnapshot } from '../../activities/snapshots/port';

/** The parts of the workflow state the export reads; the rest is passed through untouched. */
const stateSchema = z.object({
  details: z
    .object({
      start: z.string(),
      localStart: z.string().optional(),
      timeZone: z.string().optional(),
      location: z.string().optional(),
      patient: z
        .object({
          id: z.string().optional(),
          firstName: z.string().optional(),
          lastName: z.string().optional(),
          phone: z.string().optional(),
          language: z.string().optional(),
        })
        .optional(),
      provider: z.object({ id: z.string().optional() }).optional(),
    })
    .nullable()
    .optional(),
  optedOut: z.boolean().optional(),
  messages: z.array(z.unknown()).optional(),
});
export type ExportedState = z.infer<typeof stateSchema>;

/** The state's fields the export reads, or undefined when the state does not have their shape. */
export function stateOf(snapshot: AppointmentSnapshot): ExportedState | undefined {
  const parsed = stateSchema.safeParse(snapshot.state);
  return parsed.success ? parsed.data : undefined;
}
