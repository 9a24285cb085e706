/**
 * A person's first and last name from FHIR HumanNames, for patients and practitioners alike: people have
 * several (official, usual, old), and the text should use the one they go by.
 */
import { FIELD_LIMITS } from '../events/ingestRules';
import type { FhirProblem } from './problems';
import type { NameRead } from './shapes';

export interface PersonName {
  firstName?: string;
  lastName?: string;
}

/**
 * First and last name from the name the person goes by (`usual`), else the `official` one, else any current
 * one; a usual name without a family name borrows the official family name. Undefined when a name is too long
 * (reported).
 */
export function readName(
  list: NameRead[] | undefined,
  path: string,
  problems: FhirProblem[],
): { value: PersonName } | undefined {
  const current = (list ?? [])
    .map((name, index) => ({ name, index }))
    .filter(({ name }) => name.use !== 'old');
  const chosen =
    current.find(({ name }) => name.use === 'usual') ??
    current.find(({ name }) => name.use === 'official') ??
    current[0];
  if (!chosen) return { value: {} };
  const firstName = chosen.name.given
    ?.find((g): g is string => typeof g === 'string' && g.trim() !== '')
    ?.trim();
  let lastName = chosen.name.family?.trim() || undefined;
  let lastNameIndex = chosen.index;
  if (lastName === undefined) {
    const withFamily = current.find(({ name }) => name.family?.trim());
    lastName = withFamily?.name.family?.trim();
    lastNameIndex = withFamily?.index ?? chosen.index;
  }
  let ok = true;
  if (firstName !== undefined && firstName.length > FIELD_LIMITS.name) {
    ok = false;
    problems.push({
      code: 'value',
      diagnostics: `A given name must be at most ${FIELD_LIMITS.name} characters`,
      expression: `${path}.name[${chosen.index}].given`,
    });
  }
  if (lastName !== undefined && lastName.length > FIELD_LIMITS.name) {
    ok = false;
    problems.push({
      code: 'value',
      diagnostics: `A family name must be at most ${FIELD_LIMITS.name} characters`,
      expression: `${path}.name[${lastNameIndex}].family`,
    });
  }
  if (!ok) return undefined;
  return {
    value: {
      ...(firstName === undefined ? {} : { firstName }),
      ...(lastName === undefined ? {} : { lastName }),
    },
  };
}
