/** Times and workflow states as the appointments pages print them: `<time>` elements, plain words. */
import { DateTime } from 'luxon';
import { html, type SafeHtml } from '../html';

/** A search attribute's UTC instant, to the minute. */
export function utcText(iso: string | undefined): SafeHtml | string {
  if (!iso) return '—';
  const at = DateTime.fromISO(iso, { zone: 'UTC' });
  if (!at.isValid) return iso;
  return html`<time datetime="${at.toISO() ?? iso}">${at.toFormat('yyyy-LL-dd HH:mm')}</time>`;
}

/** An instant in the appointment's zone (UTC when it has none or an unknown one). */
export function zonedText(iso: string | null, zone: string): SafeHtml | string {
  if (!iso) return '—';
  const at = DateTime.fromISO(iso, { setZone: true });
  if (!at.isValid) return iso;
  const inZone = zone ? at.setZone(zone) : at.toUTC();
  const shown = inZone.isValid ? inZone : at.toUTC();
  return html`<time datetime="${at.toUTC().toISO() ?? iso}"
    >${shown.toFormat('yyyy-LL-dd HH:mm ZZZZ')}</time
  >`;
}

/** `CONTINUED_AS_NEW` → `Continued as new`. */
export function executionLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase().replace(/_/g, ' ');
}
