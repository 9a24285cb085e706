/**
 * Turns a message kind plus appointment facts into the SMS body to send, and validates operator template overrides.
 *
 * Languages: a context's BCP 47 tag is reduced to its primary subtag (`es-MX` → `es`). Defaults exist for `en` and
 * `es`. Operators may override any kind in any language and may add languages (any 2-3 letter primary subtag, e.g.
 * `fr`) with only some kinds: a kind a language lacks is sent in English, and the result reports the language
 * actually used, so replies can be parsed accordingly.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { countSegments, type SmsEncoding } from './segments';
import {
  DEFAULT_TEMPLATES,
  MESSAGE_KINDS,
  PLACEHOLDERS,
  findOptOutKeywordPrompts,
  isMessageKind,
  isPlaceholder,
  parseTemplate,
  placeholdersOf,
  renderTemplate,
  type MessageKind,
  type TemplateCatalog,
  type TemplateValues,
} from './templates';

export interface RenderContext {
  /** BCP 47 tag; `es`, `es-MX`... select Spanish, anything else English (unless overrides add that language). */
  language?: string;
  /** The clinic/hospital name every text starts with. Required. */
  customerName: string;
  firstName?: string;
  provider?: string;
  location?: string;
  /** Appointment start as an ISO 8601 instant with offset or `Z`. */
  start?: string;
  /** IANA zone (luxon zone name) of the appointment; required when `start` is used. */
  zone?: string;
  callbackPhone?: string;
  /** Numbered list for DISAMBIGUATE; see `formatChoices`. */
  choices?: string;
}

export interface RenderedMessage {
  body: string;
  /** Language of the template actually used (`en` when the requested language lacks this kind). */
  language: string;
  encoding: SmsEncoding;
  segments: number;
}

export function renderMessage(
  kind: MessageKind,
  ctx: RenderContext,
  templates: TemplateCatalog = DEFAULT_TEMPLATES,
): RenderedMessage {
  const customerName = sanitizeValue(ctx.customerName);
  if (customerName === '') throw new RangeError('renderMessage: customerName is required');

  const requested = primaryLanguage(ctx.language);
  const requestedTemplate = templates[requested]?.[kind];
  const language = requestedTemplate === undefined ? 'en' : requested;
  const template = parseTemplate(requestedTemplate ?? templates.en[kind]);

  const values: TemplateValues = {
    customerName,
    firstName: personName(sanitizeValue(ctx.firstName)),
    provider: personName(sanitizeValue(ctx.provider)),
    location: sanitizeValue(ctx.location),
    callbackPhone: sanitizeValue(ctx.callbackPhone),
    choices: sanitizeValue(ctx.choices),
  };
  // Only format the time when the text shows it, so e.g. HELP never fails over a missing zone.
  if (ctx.start !== undefined && placeholdersOf(template).includes('when')) {
    if (ctx.zone === undefined)
      throw new RangeError('renderMessage: zone is required to show the appointment time');
    values.when = formatWhen(ctx.start, ctx.zone, language);
  }

  const body = renderTemplate(template, values);
  const { encoding, segments } = countSegments(body);
  return { body, language, encoding, segments };
}

/** Lowercase primary subtag of a BCP 47 tag (`es-MX` → `es`, `ES_us` → `es`); `en` when absent or malformed. */
/**
 * Many EHRs (HL7 feeds especially) send names in capitals; "Hi ANA" reads as shouting, so an
 * all-capitals name is shown in title case ("MCDONALD-O'NEIL" → "Mcdonald-O'Neil"). Mixed case is kept.
 */
export function personName(value: string): string {
  if (value === '' || value !== value.toUpperCase() || value === value.toLowerCase()) return value;
  return value
    .toLowerCase()
    .replace(/(^|[\s\-'’.])(\p{L})/gu, (_m, sep: string, letter: string) => sep + letter.toUpperCase());
}

export function primaryLanguage(tag: string | undefined): string {
  const primary = (tag ?? '').trim().split(/[-_]/, 1)[0]?.toLowerCase() ?? '';
  return LANGUAGE_SUBTAG.test(primary) ? primary : 'en';
}

const LANGUAGE_SUBTAG = /^[a-z]{2,3}$/;

/**
 * Values come from the EHR and patients; an embedded newline or control character could break the text or
 * smuggle extra lines, so line breaks/tabs become spaces, other control and bidi-override characters are removed,
 * and whitespace (including no-break spaces, which are not GSM-7) collapses to single spaces.
 */
export function sanitizeValue(value: string | undefined): string {
  if (value === undefined) return '';
  return value
    .replace(/[\p{Zl}\p{Zp}\t\n\v\f\r\u0085]/gu, ' ')
    .replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

// ---------------------------------------------------------------------------------------------------------------
// Appointment time
// ---------------------------------------------------------------------------------------------------------------

/** Zone names luxon resolves to the host's zone; the host's zone is never the patient's, so they are refused. */
const HOST_ZONE_NAMES: ReadonlySet<string> = new Set(['local', 'system', 'default']);
/** An ISO instant must carry its offset; without one luxon would read it in some default zone. */
const ISO_OFFSET_SUFFIX = /T.*(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * The appointment start as patients read it, in the appointment's zone:
 * en "Tue, Dec 2 at 3:30 PM", es "mar 2 dic a las 15:30", other languages luxon's locale format.
 * No year: reminders concern the coming weeks. Spanish accents are dropped from the (abbreviated) names so the
 * text stays GSM-7 ("sáb" → "sab"). Throws RangeError on an invalid instant or zone.
 */
export function formatWhen(start: string, zone: string, language?: string): string {
  if (HOST_ZONE_NAMES.has(zone.trim().toLowerCase())) {
    throw new RangeError(
      `formatWhen: zone "${zone}" means the host's zone; pass the appointment's IANA zone`,
    );
  }
  if (!ISO_OFFSET_SUFFIX.test(start)) {
    throw new RangeError(`formatWhen: start "${start}" is not an ISO instant with an offset or Z`);
  }
  const instant = DateTime.fromISO(start, { zone: 'utc' });
  if (!instant.isValid) throw new RangeError(`formatWhen: start "${start}" is not a valid ISO instant`);
  const local = instant.setZone(zone);
  if (!local.isValid) throw new RangeError(`formatWhen: unknown zone "${zone}"`);

  const lang = primaryLanguage(language);
  switch (lang) {
    case 'en':
      return local.setLocale('en-US').toFormat("ccc, LLL d 'at' h:mm a");
    case 'es': {
      const article = local.hour === 1 ? "'a la'" : "'a las'";
      return stripSpanishAcuteAccents(local.setLocale('es').toFormat(`ccc d LLL ${article} H:mm`));
    }
    default:
      return local
        .setLocale(lang)
        .toLocaleString({
          weekday: 'short',
          month: 'short',
          day: 'numeric',
          hour: 'numeric',
          minute: '2-digit',
        })
        .replace(/[\u00a0\u202f\u2009]/g, ' ');
  }
}

function stripSpanishAcuteAccents(text: string): string {
  const plain: Readonly<Record<string, string>> = {
    á: 'a',
    í: 'i',
    ó: 'o',
    ú: 'u',
    Á: 'A',
    Í: 'I',
    Ó: 'O',
    Ú: 'U',
  };
  return text.replace(/[áíóúÁÍÓÚ]/g, (accented) => plain[accented] ?? accented);
}

export interface ChoiceItem {
  start: string;
  zone: string;
  provider?: string;
}

/**
 * The `{{choices}}` value for DISAMBIGUATE: "1) Tue, Dec 2 at 3:30 PM; 2) Wed, Dec 3 at 9:00 AM with Dr. Kim".
 * Numbered from 1 in the given order. On one line, since values cannot contain line breaks. Leave out the provider
 * when listing three or more appointments, to stay within 2 segments.
 */
export function formatChoices(items: readonly ChoiceItem[], language?: string): string {
  const lang = primaryLanguage(language);
  const withWord = lang === 'es' ? 'con' : 'with';
  return items
    .map((item, index) => {
      const provider = personName(sanitizeValue(item.provider));
      const when = formatWhen(item.start, item.zone, lang);
      return `${index + 1}) ${when}${provider === '' ? '' : ` ${withWord} ${provider}`}`;
    })
    .join('; ');
}

// ---------------------------------------------------------------------------------------------------------------
// Operator overrides
// ---------------------------------------------------------------------------------------------------------------

export type TemplateOverrides = Readonly<Record<string, Readonly<Partial<Record<MessageKind, string>>>>>;

export class TemplateOverridesError extends Error {
  override readonly name = 'TemplateOverridesError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid template overrides:\n- ${problems.join('\n- ')}`);
  }
}

const overridesShape = z.record(z.string(), z.record(z.string(), z.string()));

/**
 * Validates operator overrides shaped `{ "en": { "REMINDER": "..." }, "es": {...}, "fr": {...} }`.
 * Every problem is reported at once (TemplateOverridesError.problems): keys that are not lowercase 2-3 letter
 * language subtags, unknown kinds, empty texts, malformed template syntax, unknown placeholders, and texts that ask
 * the patient to send a carrier opt-out keyword such as CANCEL or STOP.
 */
export function parseTemplateOverrides(json: unknown): TemplateOverrides {
  const result = overridesShape.safeParse(json);
  if (!result.success) {
    throw new TemplateOverridesError(
      result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`),
    );
  }

  // Walk the input itself, not result.data: zod copies records by assignment, which turns a JSON "__proto__" key
  // into the copy's prototype, hiding it from validation.
  const problems: string[] = [];
  const overrides: Record<string, Partial<Record<MessageKind, string>>> = {};
  for (const [language, kindsInput] of ownEntries(json)) {
    if (!LANGUAGE_SUBTAG.test(language)) {
      problems.push(
        `"${language}": not a language; use a lowercase BCP 47 primary subtag such as "en", "es" or "fr"`,
      );
      continue;
    }
    const kinds: Partial<Record<MessageKind, string>> = {};
    const unknownKinds: string[] = [];
    for (const [kind, template] of ownEntries(kindsInput)) {
      if (!isMessageKind(kind)) {
        unknownKinds.push(kind);
      } else if (typeof template === 'string') {
        kinds[kind] = template;
        problems.push(
          ...templateProblems(kind, template).map((problem) => `${language}.${kind}: ${problem}`),
        );
      }
    }
    if (unknownKinds.length > 0) {
      problems.push(
        `${language}: unknown message kind(s) ${unknownKinds.join(', ')}; expected one of ${MESSAGE_KINDS.join(', ')}`,
      );
    }
    overrides[language] = kinds;
  }
  if (problems.length > 0) throw new TemplateOverridesError(problems);
  return overrides;
}

function ownEntries(value: unknown): [string, unknown][] {
  return typeof value === 'object' && value !== null ? Object.entries(value) : [];
}

function templateProblems(kind: MessageKind, template: string): string[] {
  if (template.trim() === '') return ['empty text'];
  let placeholders: string[];
  try {
    placeholders = placeholdersOf(parseTemplate(template));
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
  const problems: string[] = [];
  const unknown = placeholders.filter((name) => !isPlaceholder(name));
  if (unknown.length > 0) {
    problems.push(
      `unknown placeholder(s) ${unknown.map((name) => `{{${name}}}`).join(', ')}; ` +
        `allowed: ${PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ')}`,
    );
  }
  const optOutPrompts = findOptOutKeywordPrompts(kind, template);
  if (optOutPrompts.length > 0) {
    problems.push(
      `asks the patient to send a carrier opt-out keyword (${optOutPrompts.join(', ')}), which would unsubscribe ` +
        `them; ask for "1"/"2" instead`,
    );
  }
  return problems;
}

/** Defaults with overrides applied kind by kind; languages only in the overrides are added. Inputs are not changed. */
export function mergeTemplates(defaults: TemplateCatalog, overrides: TemplateOverrides): TemplateCatalog {
  const merged: Record<string, Partial<Record<MessageKind, string>>> = { ...defaults };
  for (const [language, kinds] of Object.entries(overrides)) {
    merged[language] = { ...merged[language], ...kinds };
  }
  return { ...merged, en: { ...defaults.en, ...overrides.en } };
}
