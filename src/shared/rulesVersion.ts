/**
 * Which version of the behaviour rules a workflow run applies. A run keeps the version it started
 * with, so its history replays; new runs and continue-as-new take the newest. Bump it (and branch on
 * it) when a rule changes what a workflow decides; see the README's "Versioning workflow changes".
 *
 * 1: the first release.
 * 2: a cancel request can be taken back (the patient's YES, an EHR CONFIRMED or a BOOKED with the
 *    same start restore the appointment and its reminders); START never plans reminders for an
 *    appointment that is not booked or confirmed; a refused reminder or another appointment's
 *    reminder leaves an open which-one question open; a delivery report that overtakes its text's
 *    send is kept and applied, DELIVERED is final; a MODIFIED first event books (booking text) and a
 *    NOSHOWED first event texts nobody; a FHIR arrived/checked-in/fulfilled never prompts or reopens;
 *    a new phone number moves the appointment; the daily cap gives back reminders that did not go out.
 * 3: a reply on a shared number is read in the language of the last prompt (booking text or
 *    reminder) sent to it, not in the furthest appointment's; a phone conversation with nothing
 *    left to do ends, keeping its opt-out state in a phone record that the next one reads first;
 *    its answer texts go out in the background (a retrying one never holds back routing); an
 *    appointment's EHR callback starts before the texts its reply called for.
 */
export type RulesVersion = 1 | 2 | 3;

export const FIRST_RULES: RulesVersion = 1;
export const CURRENT_RULES: RulesVersion = 3;
