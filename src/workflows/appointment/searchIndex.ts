/**
 * The appointment's search attributes (no PHI: ids, status, times). Upserts only the attributes
 * that changed, so the history carries one small event per change an operator can filter on.
 */
import {
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
  type SearchAttributes,
} from '@temporalio/workflow';
import { currentDetailsOf } from '../../domain/appointment/currentDetails';
import type { AppointmentState } from '../../domain/appointment/appointmentState';
import { SEARCH_ATTRIBUTES } from '../../shared/temporal';

export class SearchIndex {
  /** Attribute name → JSON of its value as last set; starts with what the run was started with. */
  private readonly indexed = new Map<string, string>();

  constructor(private readonly enabled: boolean) {
    for (const key of Object.values(SEARCH_ATTRIBUTES)) {
      const value = workflowInfo().typedSearchAttributes.get(key);
      if (value !== undefined) this.indexed.set(key.name, JSON.stringify([value]));
    }
  }

  sync(state: AppointmentState): void {
    const { details, policy, status } = state.data;
    const next = state.nextReminderAtMs();
    // The Web UI's "current details" (user metadata): no command, so it changes no history.
    setCurrentDetails(currentDetailsOf(state.data, next));
    if (!details || !this.enabled) return;
    const wanted: Array<[string, SearchAttributes[string]]> = [
      [SEARCH_ATTRIBUTES.appointmentStatus.name, [status]],
      [SEARCH_ATTRIBUTES.appointmentStart.name, [new Date(details.start)]],
      [SEARCH_ATTRIBUTES.nextReminderAt.name, next === undefined ? [] : [new Date(next)]],
      // The API sets these two at start; the map above keeps them from being upserted again.
      [SEARCH_ATTRIBUTES.appointmentId.name, [state.data.appointmentId]],
      [SEARCH_ATTRIBUTES.customerCode.name, policy ? [policy.customerCode] : []],
    ];
    // Only once a number has been missing: runs that always had one (all before it existed) upsert nothing new.
    const reason =
      details.patient.phone === undefined ? (details.patient.phoneProblem ?? 'NO_PHONE') : undefined;
    const reasonName = SEARCH_ATTRIBUTES.untextableReason.name;
    if (reason !== undefined || this.indexed.has(reasonName))
      wanted.push([reasonName, reason ? [reason] : []]);
    const changed: SearchAttributes = {};
    for (const [name, value] of wanted) {
      const key = JSON.stringify(value);
      if (this.indexed.get(name) === key) continue;
      this.indexed.set(name, key);
      changed[name] = value;
    }
    if (Object.keys(changed).length > 0) upsertSearchAttributes(changed);
  }
}
