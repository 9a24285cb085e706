/**
 * The patient: the participant whose actor is a Patient. Its id goes back to the EHR with replies, its name and
 * language shape the texts, and its telecom holds the number we text. The Patient must be in the input (or
 * readable from the EHR): without it there is nobody to text.
 */
import type { AppointmentEvent } from '../../shared/appointment';
import { FIELD_LIMITS, hasControlCharacter, readLanguageTag } from '../events/ingestRules';
import { readTextablePhone, type PhoneReading } from '../phone/textablePhone';
import { readName } from './names';
import type { FhirProblem } from './problems';
import { actorType, resourceId, type Participant } from './references';
import { noteUnresolved, type Scope } from './scope';
import { parseAs, patientSchema, type PatientRead, type TelecomRead } from './shapes';

export function readPatient(
  participants: Participant[],
  path: string,
  scope: Scope,
): AppointmentEvent['patient'] | undefined {
  const { problems, context } = scope;
  const participant = participants.find((p) => actorType(p) === 'Patient');
  if (!participant) {
    problems.push({
      code: 'required',
      diagnostics: 'No participant of the Appointment is a Patient: the patient is the one we text',
      expression: `${path}.participant`,
    });
    return undefined;
  }
  if (!participant.resolved) {
    const problem: FhirProblem = {
      code: 'invalid',
      diagnostics:
        participant.reference === undefined
          ? 'The Patient participant needs a reference to the Patient resource (contained #id or a Bundle entry)'
          : 'The Patient reference resolves to no contained resource or Bundle entry: send the Patient with the Appointment (its phone is needed)',
      expression:
        participant.reference === undefined ? participant.actorPath : `${participant.actorPath}.reference`,
    };
    problems.push(problem);
    if (noteUnresolved(scope, participant.reference)) scope.referenceProblems.add(problem);
    return undefined;
  }
  const located = participant.resolved;
  const patient = parseAs(patientSchema, located, problems);
  if (!patient) return undefined;

  const id = resourceId(patient, located, participant.reference);
  const idProblem = id === undefined ? undefined : patientIdProblem(id);
  if (id === undefined) {
    problems.push({
      code: 'required',
      diagnostics: 'The Patient needs an id or an identifier value: it goes back to the EHR with the replies',
      expression: `${located.path}.id`,
    });
  } else if (idProblem !== undefined) {
    problems.push({ code: 'value', diagnostics: idProblem, expression: `${located.path}.id` });
  }
  const name = readName(patient.name, located.path, problems);
  // No number to text is not a problem: the appointment is recorded with the reason (issue 12).
  const phone = readPatientPhone(patient.telecom, context.defaultCountry);
  if (id === undefined || idProblem !== undefined || !name) return undefined;
  return {
    id,
    ...name.value,
    ...(phone.ok ? { phone: phone.phone } : { phoneProblem: phone.problem }),
    language: readLanguage(patient.communication) ?? 'en',
  };
}

/** The canonical patient id rule (ingestRules.ts), as a diagnostic that does not repeat the id. */
function patientIdProblem(id: string): string | undefined {
  if (id.length > FIELD_LIMITS.identifier) {
    return `The patient id must be at most ${FIELD_LIMITS.identifier} characters`;
  }
  if (hasControlCharacter(id)) return 'The patient id must not contain control characters';
  return undefined;
}

/**
 * The number we text: `system: sms`, or a phone with `use: mobile`, before other phones (a home phone only is
 * still tried: many landlines take texts, and Twilio's error says when not); then by `rank`, then in order.
 * `use: old` numbers are never texted.
 */
function readPatientPhone(telecom: TelecomRead[] | undefined, defaultCountry: string): PhoneReading {
  const candidates = (telecom ?? [])
    .map((contact, index) => ({ contact, index }))
    .filter(
      ({ contact }) => (contact.system === 'phone' || contact.system === 'sms') && contact.use !== 'old',
    )
    .filter(({ contact }) => contact.value?.trim())
    .sort(
      (a, b) =>
        textTier(a.contact) - textTier(b.contact) ||
        (a.contact.rank ?? Number.MAX_SAFE_INTEGER) - (b.contact.rank ?? Number.MAX_SAFE_INTEGER) ||
        a.index - b.index,
    );
  const readings = candidates.map(({ contact }) => readTextablePhone(contact.value, defaultCountry));
  // The first that can be texted; else why the best candidate cannot; NO_PHONE when there is none.
  return readings.find((r) => r.ok) ?? readings[0] ?? { ok: false, problem: 'NO_PHONE' };
}

function textTier(contact: TelecomRead): number {
  return contact.system === 'sms' || contact.use === 'mobile' ? 0 : 1;
}

/**
 * BCP 47 tag of the preferred communication language, else the first: a `urn:ietf:bcp:47` coding, any coding,
 * or the text ("Spanish" is understood). Unreadable languages fall back to English rather than stop the text.
 */
function readLanguage(communication: PatientRead['communication']): string | undefined {
  const list = communication ?? [];
  const ordered = [...list.filter((c) => c.preferred === true), ...list.filter((c) => c.preferred !== true)];
  for (const entry of ordered) {
    const codings = entry.language?.coding ?? [];
    const candidates = [
      ...codings.filter((c) => c.system === 'urn:ietf:bcp:47').map((c) => c.code),
      ...codings.map((c) => c.code),
      entry.language?.text,
    ];
    for (const candidate of candidates) {
      const reading = readLanguageTag(candidate ?? '', { names: true });
      if (reading.ok) return reading.tag;
    }
  }
  return undefined;
}
