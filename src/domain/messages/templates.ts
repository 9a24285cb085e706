/**
 * Message kinds, the placeholders templates may use, a tiny template language, and the default English and
 * Spanish texts.
 *
 * Template language (a small, dependency-free subset of Mustache):
 * - `{{name}}`                   the value, or nothing when absent;
 * - `{{#name}}...{{/name}}`      the inner text only when the value is present (non-empty);
 * - `{{^name}}...{{/name}}`      the inner text only when the value is absent;
 * - sections may nest; spaces inside the braces are allowed (`{{ name }}`).
 * Values are inserted verbatim (SMS is plain text, so no HTML escaping) and never re-interpreted as template syntax.
 * After rendering, spacing left over by absent values is tidied (see `tidyRenderedText`).
 *
 * Writing rules the default texts follow (and tests enforce):
 * - every text names the customer (the clinic) and says how to reach it: the callback phone when known, otherwise
 *   "contact our office";
 * - optional fields sit inside sections, so a missing provider/location/time never leaves "with  at ." artifacts;
 * - appointment actions are requested as "Reply 1 or YES to confirm, 2 to cancel". We NEVER ask for a bare CANCEL or
 *   STOP (or any other carrier opt-out keyword): carriers treat those as an opt-out and block all further texts.
 *   "Reply STOP to opt out" appears only in the HELP and OPTED_IN texts, where it is the required disclosure;
 * - texts are written in the GSM-7 alphabet (Spanish avoids á/í/ó/ú, keeps ñ/é/¿/¡ which GSM-7 has) so that, with
 *   realistic long values, each fits in 2 segments. Values containing non-GSM characters switch the message to
 *   UCS-2 and may need more segments; `renderMessage` reports the count.
 */

import { OUTBOUND_KINDS } from '../../shared/appointment';
import { OPT_OUT_KEYWORDS } from '../replies/parseReply';

/** Every text we send: the appointment's own (OUTBOUND_KINDS, one list), then those the phone conversation sends. */
export const MESSAGE_KINDS = [
  ...OUTBOUND_KINDS,
  'REMINDER_CONFIRMED',
  'HELP',
  'NOT_UNDERSTOOD',
  'OPTED_OUT',
  'OPTED_IN',
  'DISAMBIGUATE',
  'MEDIA_NOT_SUPPORTED',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const PLACEHOLDERS = [
  'customerName',
  'firstName',
  'provider',
  'location',
  'when',
  'callbackPhone',
  'choices',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Values for one rendering; absent or empty means "not known". */
export type TemplateValues = Partial<Record<Placeholder, string>>;

export type KindTemplates = Readonly<Record<MessageKind, string>>;

/**
 * Templates by language (lowercase BCP 47 primary subtag). English is complete and is the fallback for any kind a
 * language does not define; other languages may be partial.
 */
export interface TemplateCatalog {
  readonly en: KindTemplates;
  readonly [language: string]: Readonly<Partial<Record<MessageKind, string>>>;
}

export function isMessageKind(value: string): value is MessageKind {
  return (MESSAGE_KINDS as readonly string[]).includes(value);
}

export function isPlaceholder(value: string): value is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Template language
// ---------------------------------------------------------------------------------------------------------------

export type TemplateNode =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'value'; readonly name: string }
  | {
      readonly type: 'section';
      readonly name: string;
      readonly inverted: boolean;
      readonly children: readonly TemplateNode[];
    };

export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
}

/** Matches one tag at the current position: `{{name}}`, `{{#name}}`, `{{^name}}` or `{{/name}}`. */
const TAG_AT_POSITION = /\{\{\s*([#^/]?)\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/y;

/** Parses a template; throws TemplateSyntaxError on malformed tags or unbalanced sections. */
export function parseTemplate(source: string): TemplateNode[] {
  type OpenSection = { name: string; inverted: boolean; children: TemplateNode[] };
  const root: TemplateNode[] = [];
  const openSections: OpenSection[] = [];
  const currentChildren = (): TemplateNode[] => openSections.at(-1)?.children ?? root;

  let position = 0;
  while (position < source.length) {
    const tagStart = source.indexOf('{{', position);
    if (tagStart === -1) {
      currentChildren().push({ type: 'text', text: source.slice(position) });
      break;
    }
    if (tagStart > position) currentChildren().push({ type: 'text', text: source.slice(position, tagStart) });

    TAG_AT_POSITION.lastIndex = tagStart;
    const tag = TAG_AT_POSITION.exec(source);
    if (!tag) {
      const excerpt = source.slice(tagStart, tagStart + 20);
      throw new TemplateSyntaxError(`malformed tag at offset ${tagStart}: "${excerpt}"`);
    }
    const [, sigil = '', name = ''] = tag;
    if (sigil === '#' || sigil === '^') {
      openSections.push({ name, inverted: sigil === '^', children: [] });
    } else if (sigil === '/') {
      const section = openSections.pop();
      if (!section) throw new TemplateSyntaxError(`{{/${name}}} closes a section that was never opened`);
      if (section.name !== name) {
        throw new TemplateSyntaxError(
          `{{/${name}}} closes section "${section.name}"; expected {{/${section.name}}}`,
        );
      }
      currentChildren().push({ type: 'section', ...section });
    } else {
      currentChildren().push({ type: 'value', name });
    }
    position = TAG_AT_POSITION.lastIndex;
  }

  const unclosed = openSections.at(-1);
  if (unclosed) throw new TemplateSyntaxError(`section "${unclosed.name}" is never closed`);
  return root;
}

/** Every placeholder name a parsed template refers to, in first-use order, without duplicates. */
export function placeholdersOf(nodes: readonly TemplateNode[]): string[] {
  const names = new Set<string>();
  const visit = (node: TemplateNode): void => {
    if (node.type === 'value') names.add(node.name);
    if (node.type === 'section') {
      names.add(node.name);
      node.children.forEach(visit);
    }
  };
  nodes.forEach(visit);
  return [...names];
}

/** Parses and renders a template; see `renderTemplate`. */
export function fillTemplate(source: string, values: TemplateValues): string {
  return renderTemplate(parseTemplate(source), values);
}

/**
 * Renders a parsed template with the given values, then tidies spacing. Values are used as given: sanitising them is
 * the caller's job (see `sanitizeValue` in render.ts). Unknown names render as absent.
 */
export function renderTemplate(nodes: readonly TemplateNode[], values: TemplateValues): string {
  const lookup = (name: string): string => (isPlaceholder(name) ? (values[name] ?? '') : '');
  const renderNodes = (children: readonly TemplateNode[]): string =>
    children
      .map((node) => {
        switch (node.type) {
          case 'text':
            return node.text;
          case 'value':
            return lookup(node.name);
          case 'section': {
            const present = lookup(node.name) !== '';
            return present !== node.inverted ? renderNodes(node.children) : '';
          }
        }
      })
      .join('');
  return tidyRenderedText(renderNodes(nodes));
}

/**
 * Safety net for spacing artifacts of absent values (mainly in operator-written templates): collapses runs of
 * spaces, drops spaces before `.` and `,`, turns an accidental `..` (a value ending in "St." before a sentence
 * end) into one `.` while keeping `...`, and trims each line. Space before `?`, `!`, `:` and `;` is kept because
 * French typography uses it.
 */
export function tidyRenderedText(text: string): string {
  return text
    .replace(/ {2,}/g, ' ')
    .replace(/ +([.,])/g, '$1')
    .replace(/(?<!\.)\.\.(?!\.)/g, '.')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

// ---------------------------------------------------------------------------------------------------------------
// Carrier keyword guard
// ---------------------------------------------------------------------------------------------------------------

/** Kinds whose job is to disclose how to opt out, so they may say "Reply STOP to opt out". */
const KINDS_ALLOWED_TO_MENTION_STOP: ReadonlySet<MessageKind> = new Set<MessageKind>(['HELP', 'OPTED_IN']);

const NOT_A_LETTER_BEFORE = '(?<![\\p{L}\\p{N}])';
const NOT_A_LETTER_AFTER = '(?![\\p{L}\\p{N}])';
const OPT_OUT_WORDS = OPT_OUT_KEYWORDS.map((word) => word.replace(' ', '[ -]?')).join('|');
/** An opt-out keyword written in capitals, the way texts tell patients what to send ("2 or CANCEL"). */
const CAPITALISED_OPT_OUT_KEYWORD = new RegExp(
  `${NOT_A_LETTER_BEFORE}(?:${OPT_OUT_WORDS})${NOT_A_LETTER_AFTER}`,
  'gu',
);
/** "reply cancel", "text STOP", "responda con CANCELAR"... in any case. */
const REPLY_WITH_OPT_OUT_KEYWORD = new RegExp(
  `${NOT_A_LETTER_BEFORE}(?:reply|text|send|respond|responda|responde|conteste|escriba|env[ií]e)` +
    `\\s+(?:with\\s+|con\\s+)?["'\u201c\u201d]?(?:${OPT_OUT_WORDS})${NOT_A_LETTER_AFTER}`,
  'giu',
);

/**
 * Phrases in a template that would ask the patient to send a carrier opt-out keyword (which would unsubscribe
 * them instead of acting on the appointment). HELP and OPTED_IN may mention STOP, as the opt-out disclosure.
 * Returns the offending phrases; empty when the template is fine.
 */
export function findOptOutKeywordPrompts(kind: MessageKind, template: string): string[] {
  const mayMentionStop = KINDS_ALLOWED_TO_MENTION_STOP.has(kind);
  const found = [
    ...template.matchAll(CAPITALISED_OPT_OUT_KEYWORD),
    ...template.matchAll(REPLY_WITH_OPT_OUT_KEYWORD),
  ]
    .map((match) => match[0])
    .filter((phrase) => !(mayMentionStop && /(?:^|\s)STOP$/.test(phrase)));
  return [...new Set(found)];
}

// ---------------------------------------------------------------------------------------------------------------
// Default texts. Shared fragments keep wording consistent; the composed strings are ordinary templates.
// ---------------------------------------------------------------------------------------------------------------

const EN = {
  greeting: 'Hi{{#firstName}} {{firstName}}{{/firstName}}',
  thanks: 'Thank you{{#firstName}}, {{firstName}}{{/firstName}}',
  details:
    '{{#provider}} with {{provider}}{{/provider}}{{#location}} at {{location}}{{/location}}{{#when}} on {{when}}{{/when}}',
  detailsWithoutWhen:
    '{{#provider}} with {{provider}}{{/provider}}{{#location}} at {{location}}{{/location}}',
  confirmOrCancel: 'Reply 1 or YES to confirm, 2 to cancel.',
  questions:
    '{{#callbackPhone}}Questions? Call {{callbackPhone}}.{{/callbackPhone}}' +
    '{{^callbackPhone}}Questions? Contact our office.{{/callbackPhone}}',
  reschedule:
    '{{#callbackPhone}}Call {{callbackPhone}} to reschedule.{{/callbackPhone}}' +
    '{{^callbackPhone}}Contact our office to reschedule.{{/callbackPhone}}',
  optOut: 'Reply STOP to opt out.',
  rates: 'Msg&data rates may apply.',
} as const;

const ENGLISH_TEMPLATES: KindTemplates = {
  BOOKED: `{{customerName}}: ${EN.greeting}, your appointment${EN.details} is booked. ${EN.confirmOrCancel} ${EN.questions}`,
  RESCHEDULED: `{{customerName}}: ${EN.greeting}, your appointment${EN.detailsWithoutWhen} has been rescheduled{{#when}} to {{when}}{{/when}}. ${EN.questions}`,
  MODIFIED: `{{customerName}}: ${EN.greeting}, your appointment${EN.detailsWithoutWhen} has been updated{{#when}} and is on {{when}}{{/when}}. ${EN.questions}`,
  CONFIRMED: `{{customerName}}: ${EN.greeting}, your appointment${EN.details} is confirmed. ${EN.questions}`,
  CANCELED: `{{customerName}}: ${EN.greeting}, your appointment${EN.details} has been canceled. ${EN.reschedule}`,
  NOSHOWED: `{{customerName}}: ${EN.greeting}, we missed you at your appointment${EN.details}. ${EN.reschedule}`,
  REMINDER: `{{customerName}}: ${EN.greeting}, this is a reminder of your appointment${EN.details}. ${EN.confirmOrCancel} ${EN.questions}`,
  // Once confirmed, the reminder stops asking for a confirmation.
  REMINDER_CONFIRMED: `{{customerName}}: ${EN.greeting}, this is a reminder of your confirmed appointment${EN.details}. ${EN.questions}`,
  REPLY_CONFIRMED: `{{customerName}}: ${EN.thanks}! Your appointment${EN.details} is confirmed. ${EN.questions}`,
  REPLY_CANCEL_REQUESTED: `{{customerName}}: ${EN.thanks}. We got your request to cancel your appointment${EN.details}. We will text you when it is canceled. ${EN.questions}`,
  HELP: `{{customerName}} appointment messages. ${EN.confirmOrCancel} ${EN.optOut} ${EN.questions} ${EN.rates}`,
  NOT_UNDERSTOOD: `{{customerName}}: Sorry, we did not understand your reply. ${EN.confirmOrCancel} ${EN.questions}`,
  OPTED_OUT: `{{customerName}}: You are unsubscribed and will get no more texts. Reply START to resubscribe. ${EN.questions}`,
  OPTED_IN: `{{customerName}}: You are subscribed to appointment texts. ${EN.optOut} Reply HELP for help. ${EN.questions} ${EN.rates}`,
  DISAMBIGUATE: `{{customerName}}: ${EN.greeting}, you have more than one upcoming appointment{{#choices}}: {{choices}}{{/choices}}. Reply with the number of the one you mean. ${EN.questions}`,
  // The webhook's own answer to a picture or other media without text (issue 12.6).
  MEDIA_NOT_SUPPORTED: `{{customerName}}: Sorry, we can only read text replies, not pictures or other media. Please reply with text. ${EN.questions}`,
};

// Spanish wording deliberately avoids á/í/ó/ú (not in GSM-7) so texts stay in the cheaper encoding.
const ES = {
  greeting: 'Hola{{#firstName}} {{firstName}}{{/firstName}}',
  thanks: 'Gracias{{#firstName}}, {{firstName}}{{/firstName}}',
  details:
    '{{#provider}} con {{provider}}{{/provider}}{{#location}} en {{location}}{{/location}}{{#when}} el {{when}}{{/when}}',
  detailsWithoutWhen: '{{#provider}} con {{provider}}{{/provider}}{{#location}} en {{location}}{{/location}}',
  confirmOrCancel: 'Responda 1 o SI para confirmar, 2 para cancelar.',
  questions:
    '{{#callbackPhone}}¿Preguntas? Llame al {{callbackPhone}}.{{/callbackPhone}}' +
    '{{^callbackPhone}}¿Preguntas? Llame a nuestra oficina.{{/callbackPhone}}',
  reschedule:
    '{{#callbackPhone}}Llame al {{callbackPhone}} para reprogramar.{{/callbackPhone}}' +
    '{{^callbackPhone}}Llame a nuestra oficina para reprogramar.{{/callbackPhone}}',
  optOut: 'Responda STOP para darse de baja.',
  rates: 'Pueden aplicar cargos por mensajes y datos.',
} as const;

const SPANISH_TEMPLATES: KindTemplates = {
  BOOKED: `{{customerName}}: ${ES.greeting}, su cita${ES.details} ha sido programada. ${ES.confirmOrCancel} ${ES.questions}`,
  RESCHEDULED: `{{customerName}}: ${ES.greeting}, su cita${ES.detailsWithoutWhen} ha sido reprogramada{{#when}} para el {{when}}{{/when}}. ${ES.questions}`,
  MODIFIED: `{{customerName}}: ${ES.greeting}, su cita${ES.detailsWithoutWhen} ha sido actualizada{{#when}} y es el {{when}}{{/when}}. ${ES.questions}`,
  CONFIRMED: `{{customerName}}: ${ES.greeting}, su cita${ES.details} ha sido confirmada. ${ES.questions}`,
  CANCELED: `{{customerName}}: ${ES.greeting}, su cita${ES.details} ha sido cancelada. ${ES.reschedule}`,
  NOSHOWED: `{{customerName}}: ${ES.greeting}, lamentamos no verle en su cita${ES.details}. ${ES.reschedule}`,
  REMINDER: `{{customerName}}: ${ES.greeting}, le recordamos su cita${ES.details}. ${ES.confirmOrCancel} ${ES.questions}`,
  REMINDER_CONFIRMED: `{{customerName}}: ${ES.greeting}, le recordamos su cita confirmada${ES.details}. ${ES.questions}`,
  REPLY_CONFIRMED: `{{customerName}}: ¡${ES.thanks}! Su cita${ES.details} ha sido confirmada. ${ES.questions}`,
  REPLY_CANCEL_REQUESTED: `{{customerName}}: ${ES.thanks}. Recibimos su solicitud de cancelar su cita${ES.details}. Le avisaremos cuando quede cancelada. ${ES.questions}`,
  HELP: `{{customerName}}: mensajes de citas. ${ES.confirmOrCancel} ${ES.optOut} ${ES.questions} ${ES.rates}`,
  NOT_UNDERSTOOD: `{{customerName}}: Lo sentimos, no entendimos su respuesta. ${ES.confirmOrCancel} ${ES.questions}`,
  OPTED_OUT: `{{customerName}}: Se ha dado de baja y ya no le enviaremos mensajes. Responda START para volver a suscribirse. ${ES.questions}`,
  OPTED_IN: `{{customerName}}: Se ha suscrito a mensajes de citas. ${ES.optOut} Responda AYUDA para ayuda. ${ES.questions} ${ES.rates}`,
  DISAMBIGUATE: `{{customerName}}: ${ES.greeting}, tiene varias citas pendientes{{#choices}}: {{choices}}{{/choices}}. Responda 1, 2, etc. para elegir la cita. ${ES.questions}`,
  MEDIA_NOT_SUPPORTED: `{{customerName}}: Lo sentimos, solo podemos leer respuestas de texto, no fotos ni otros archivos. Responda con texto. ${ES.questions}`,
};

export const DEFAULT_TEMPLATES: TemplateCatalog = { en: ENGLISH_TEMPLATES, es: SPANISH_TEMPLATES };
