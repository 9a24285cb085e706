/**
 * The simulation page's HTML: what the last action did, the booking form (each error tied to its
 * field), and the simulated appointments, each with its status, reminders and texts and a button per
 * change. Names and numbers appear only here, to a signed-in operator.
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { resolveZone } from '../../../domain/time/zone';
import type { AppointmentView, RemindNowRefusal } from '../../../shared/appointment';
import { csrfField, html, type SafeHtml } from '../html';
import { errorAlert, fieldError } from '../pageParts';
import { CONSOLE_PATH, SIMULATION_PATH, VIRTUAL_PHONE_PATH } from '../paths';
import type { BookingForm, FieldErrors } from './bookingForm';
import type { Action } from './events';
import type { SimulatedRow } from './listing';

const NOTICES: Readonly<Record<string, string>> = {
  booked: 'Booked. The booking text is on its way.',
  rescheduled: 'Rescheduled one day later. The reschedule text is on its way.',
  canceled: 'Canceled. The cancellation text is on its way.',
  noshowed: 'Marked as a no-show.',
  'remind-FIRST': 'The first reminder is due now: the workflow sends it within seconds.',
  'remind-SECOND': 'The second reminder is due now: the workflow sends it within seconds.',
};

const REFUSALS: Readonly<Record<RemindNowRefusal, string>> = {
  NO_APPOINTMENT: 'the appointment has not been recorded yet; try again in a moment',
  CANCEL_REQUESTED: 'the patient asked to cancel, so reminders are stopped',
  CANCELED: 'the appointment is canceled',
  NOSHOWED: 'the appointment is marked as a no-show',
  COMPLETED: 'the appointment is over',
  OPTED_OUT: 'the patient opted out of texts',
  NO_PHONE: 'there is no number that can be texted',
  APPOINTMENT_PASSED: 'the appointment has already begun',
  NO_PENDING_REMINDER:
    'no reminder is left to send (both were sent, or were due before the booking: book further ahead)',
};

/** What the page says after an action redirected to `?done=…&reason=…`; undefined for anything else. */
export function noticeFor(done: string, reason: string): string | undefined {
  // Own keys only: `?done=constructor` must not reach the page through the prototype.
  let notice = Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined;
  if (done === 'remind-none' && Object.hasOwn(REFUSALS, reason)) {
    notice = `No reminder was sent: ${REFUSALS[reason as RemindNowRefusal]}.`;
  }
  return notice;
}

export interface SimulationPageView {
  csrfToken: string;
  form: BookingForm;
  errors: FieldErrors;
  error?: string | undefined;
  notice?: string | undefined;
  rows: readonly SimulatedRow[];
  /** Sandbox mode: each number links to its conversation on the virtual phone. */
  virtualPhone: boolean;
  timeZone: string;
}

export function simulationBody(page: SimulationPageView): SafeHtml {
  const { rows, csrfToken } = page;
  return html`${errorAlert(page.error)}
    ${page.notice ? html`<p class="notice" role="status">${page.notice}</p>` : ''}
    <p class="hint">
      Each booking and change goes through the same path as the EHR’s events (<code>POST /v1/ehr/events</code
      >), and real texts go to the number
      given${page.virtualPhone ? ' (in sandbox mode: the virtual phone)' : ''}.
    </p>
    ${bookingForm(csrfToken, page.form, page.errors, page.timeZone)}
    <h2 id="simulated">Simulated appointments</h2>
    ${
      rows.length === 0
        ? html`<p class="hint">None yet: book one above.</p>`
        : html`<ul class="sim-list" aria-labelledby="simulated">
            ${rows.map((row) => appointmentItem(row, csrfToken, page.virtualPhone))}
          </ul>`
    }
    <p><a href="${SIMULATION_PATH}">Refresh the list</a> · <a href="${CONSOLE_PATH}">Console</a></p>`;
}

function invalid(id: keyof BookingForm, errors: FieldErrors): SafeHtml | '' {
  return errors[id] ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';
}

function bookingForm(csrf: string, form: BookingForm, errors: FieldErrors, timeZone: string): SafeHtml {
  const input = (id: keyof BookingForm, label: string, extra: SafeHtml | '' = '') =>
    html`<label for="${id}">${label}</label>${fieldError(id, errors[id])}
      <input id="${id}" name="${id}" type="text" value="${form[id]}" ${invalid(id, errors)}${extra} />`;
  return html`<form method="post" action="${SIMULATION_PATH}/appointments" aria-labelledby="book-heading">
    <h2 id="book-heading">Book an appointment</h2>
    ${csrfField(csrf)}
    ${input('firstName', 'Patient’s first name', html` autocomplete="off" required maxlength="100"`)}
    ${input('lastName', 'Patient’s last name (optional)', html` autocomplete="off" maxlength="100"`)}
    <label for="phone">Patient’s mobile number</label>${fieldError('phone', errors.phone)}
    <input
      id="phone"
      name="phone"
      type="tel"
      value="${form.phone}"
      autocomplete="off"
      required
      aria-describedby="phone-hint${errors.phone ? ' phone-error' : ''}"
      ${errors.phone ? html` aria-invalid="true"` : ''}
    />
    <p class="hint" id="phone-hint">E.164 (+13035550123) or a national number.</p>
    <fieldset>
      <legend>When</legend>
      ${fieldError('amount', errors.amount)}
      <div class="inline-fields">
        <label for="amount">In</label>
        <input
          id="amount"
          name="amount"
          type="number"
          min="1"
          max="86400"
          step="1"
          inputmode="numeric"
          required
          value="${form.amount}"
          ${invalid('amount', errors)}
        />
        <label for="unit" class="visually-hidden">Unit</label>
        <select id="unit" name="unit">
          <option value="minutes" ${form.unit === 'minutes' ? html` selected` : ''}>minutes</option>
          <option value="hours" ${form.unit !== 'minutes' ? html` selected` : ''}>hours</option>
        </select>
      </div>
      <p class="hint">Times are in ${timeZone} (DEFAULT_TIMEZONE).</p>
      <p class="hint">
        Reminders due before the booking are skipped: book further ahead than the first reminder’s timing (48
        hours by default) to send both with “Send the next reminder now”.
      </p>
    </fieldset>
    ${input('location', 'Location', html` maxlength="200"`)}
    ${input('providerFirstName', 'Provider’s first name', html` maxlength="100"`)}
    ${input('providerLastName', 'Provider’s last name', html` maxlength="100"`)}
    <button type="submit">Book</button>
  </form>`;
}

function formatStart(view: AppointmentView): string {
  const start = DateTime.fromISO(view.start, { setZone: true });
  return start.isValid ? `${start.toFormat('ccc d LLL yyyy, HH:mm')} (${view.timeZone})` : view.start;
}

function formatInstant(iso: string | null, zone: string): string {
  if (!iso) return '—';
  const at = DateTime.fromISO(iso, { zone: resolveZone(zone) ?? 'UTC' });
  return at.isValid ? at.toFormat('d LLL, HH:mm') : iso;
}

function appointmentItem(row: SimulatedRow, csrf: string, virtualPhone: boolean): SafeHtml {
  const { appointmentId, booking, view } = row;
  const name = booking ? [booking.firstName, booking.lastName].filter(Boolean).join(' ') : '';
  const headingId = `sim-${appointmentId.replace(/[^A-Za-z0-9-]/g, '-')}`;
  const status = view ? view.status : row.unreadable ? 'could not be read' : 'not recorded yet';
  const reminders = (view?.reminders ?? []).map((r) => {
    const when = r.sendAt && view ? `, ${formatInstant(r.sendAt, view.timeZone)}` : '';
    return `${r.kind}: ${r.status}${when}${r.note ? ` (${r.note})` : ''}`;
  });
  const texts = (view?.messages ?? []).map((m) => `${m.kind}: ${m.status}${m.error ? ` (${m.error})` : ''}`);
  const list = (items: string[]): SafeHtml | string =>
    items.length === 0
      ? 'none'
      : html`<ul class="plain">
          ${items.map((item) => html`<li>${item}</li>`)}
        </ul>`;
  const phoneLink = `${VIRTUAL_PHONE_PATH}?number=${encodeURIComponent(booking?.phone ?? '')}`;
  const mobile = booking
    ? html`<dt>Mobile</dt>
        <dd>${virtualPhone ? html`<a href="${phoneLink}">${booking.phone}</a>` : booking.phone}</dd>`
    : '';
  const details = view
    ? html`<dt>Starts</dt>
        <dd>${formatStart(view)}</dd>
        <dt>Reminders</dt>
        <dd>${list(reminders)}</dd>
        <dt>Texts</dt>
        <dd>${list(texts)}</dd>`
    : '';
  const action = (path: Action, label: string) =>
    html`<form
      method="post"
      action="${SIMULATION_PATH}/appointments/${encodeURIComponent(appointmentId)}/${path}"
    >
      ${csrfField(csrf)}
      <input type="hidden" name="request" value="${randomBytes(12).toString('base64url')}" />
      <button type="submit" aria-describedby="${headingId}">${label}</button>
    </form>`;
  return html`<li class="sim-item">
    <h3 id="${headingId}">${name || appointmentId}</h3>
    <dl class="facts">
      <dt>Appointment id</dt>
      <dd><code>${appointmentId}</code></dd>
      ${mobile}
      <dt>Status</dt>
      <dd class="status">${status}</dd>
      ${details}
    </dl>
    <div class="actions">
      ${action('remind-now', 'Send the next reminder now')} ${action('reschedule', 'Reschedule +1 day')}
      ${action('cancel', 'Cancel')} ${action('no-show', 'Mark no-show')}
    </div>
  </li>`;
}
