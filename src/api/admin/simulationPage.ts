/**
 * The console's simulation page (issue 13.4): book an appointment for a name and a number N minutes
 * or hours ahead, then reschedule it (+1 day), cancel it, mark it a no-show, or send its next
 * reminder now. Every booking and change is a canonical JSON event (parseCanonicalEvent) handed to
 * the same AppointmentGateway the EHR's POST /v1/ehr/events uses; "send the next reminder now" is
 * the workflow update `sendNextReminderNow`, so the reminder takes the real send path (daily cap,
 * opt-out). Only appointments whose id starts with `SIM-` can be changed here.
 *
 * The list shows the appointments booked from this page by this API process (names and numbers
 * are kept in memory only, never logged), plus, with `visibility`, every `SIM-` appointment Temporal
 * knows. Patient names and numbers appear only on this page, to a signed-in operator.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import express, { Router, type RequestHandler, type Response } from 'express';
import { DateTime } from 'luxon';
import { parseCanonicalEvent, type CanonicalEventBody } from '../../domain/events/canonicalEvent';
import { readTextablePhone } from '../../domain/phone/textablePhone';
import { resolveZone } from '../../domain/time/zone';
import {
  TemporalUnavailableError,
  UnknownAppointmentError,
  type SubmitResult,
} from '../../ingest/appointmentGateway';
import type { Logger } from '../../log';
import type {
  AppointmentView,
  IngestedEvent,
  RemindNowRefusal,
  RemindNowResult,
} from '../../shared/appointment';
import { html, layout, sendPage, type SafeHtml } from './html';
import type { OperatorLocals } from './operatorConsole';

export const SIMULATION_PATH = '/admin/simulation';
/** Appointment ids of simulated bookings start with this; nothing else can be changed from the page. */
export const SIMULATED_ID_PREFIX = 'SIM-';

/** What the page needs of AppointmentGateway (which has exactly these). */
export interface SimulationGateway {
  submit(event: IngestedEvent): Promise<SubmitResult>;
  view(appointmentId: string): Promise<AppointmentView | undefined>;
  sendNextReminderNow(appointmentId: string, requestId?: string): Promise<RemindNowResult | undefined>;
}

export interface SimulationDeps {
  gateway: SimulationGateway;
  /** The console's guard (OperatorConsole.requireOperator): session and CSRF token. */
  requireOperator: RequestHandler;
  /** DEFAULT_COUNTRY: reads national phone formats. */
  defaultCountry: string;
  /** DEFAULT_TIMEZONE (config.defaultTimezone): the clinic's zone for simulated appointments. */
  timeZone: string;
  /** Sandbox mode: each appointment links to its conversation on the virtual phone. */
  virtualPhone?: boolean;
  /** Lists `SIM-` appointments through Temporal visibility too (else only this process's bookings). */
  visibility?: Client;
  logger: Logger;
  now?: () => number;
}

/** The form's defaults, as the prototype's simulation page had them (fictional clinic and provider). */
export const SIMULATION_DEFAULTS = {
  amount: 24,
  unit: 'hours',
  location: 'Main clinic',
  providerFirstName: 'Jordan',
  providerLastName: 'Lee',
} as const;

const MINUTE_MS = 60_000;
/** Furthest ahead a simulated appointment may be: 60 days. */
const MAX_AHEAD_MINUTES = 60 * 24 * 60;
/** Bookings whose details this process keeps (for reschedules and the list); the oldest go first. */
const MAX_KEPT_BOOKINGS = 100;
const LISTED = 20;
const REQUEST_ID = /^[A-Za-z0-9_-]{16,64}$/;
const SIMULATED_ID = /^SIM-[A-Za-z0-9._:@-]{1,120}$/;
const ACTIONS = ['reschedule', 'cancel', 'no-show', 'remind-now'] as const;
type Action = (typeof ACTIONS)[number];

interface Booking {
  appointmentId: string;
  patientId: string;
  firstName: string;
  lastName?: string;
  phone: string;
  location?: string;
  providerFirstName?: string;
  providerLastName?: string;
}

interface BookingForm {
  firstName: string;
  lastName: string;
  phone: string;
  amount: string;
  unit: string;
  location: string;
  providerFirstName: string;
  providerLastName: string;
}

type FieldErrors = Partial<Record<keyof BookingForm, string>>;

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

export function simulationRouter(deps: SimulationDeps): Router {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'admin-simulation' });
  const bookings = new Map<string, Booking>();
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  router.use(SIMULATION_PATH, form, deps.requireOperator);

  const keep = (booking: Booking): void => {
    bookings.delete(booking.appointmentId);
    bookings.set(booking.appointmentId, booking);
    while (bookings.size > MAX_KEPT_BOOKINGS) {
      const oldest = bookings.keys().next();
      if (oldest.done) break;
      bookings.delete(oldest.value);
    }
  };

  const render = async (
    res: Response,
    status: number,
    options: { form?: BookingForm; errors?: FieldErrors; error?: string; notice?: string } = {},
  ): Promise<void> => {
    const operator = res.locals.operator as OperatorLocals | undefined;
    if (!operator) {
      res.status(401).end();
      return;
    }
    const rows = await listRows();
    const body = html`${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
      ${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
      <p class="hint">
        Each booking and change goes through the same path as the EHR’s events (<code
          >POST /v1/ehr/events</code
        >), and real texts go to the number
        given${deps.virtualPhone ? ' (in sandbox mode: the virtual phone)' : ''}.
      </p>
      ${bookingForm(operator.csrfToken, options.form ?? defaultForm(), options.errors ?? {}, deps.timeZone)}
      <h2 id="simulated">Simulated appointments</h2>
      ${
        rows.length === 0
          ? html`<p class="hint">None yet: book one above.</p>`
          : html`<ul class="sim-list" aria-labelledby="simulated">
              ${rows.map((row) => appointmentItem(row, operator.csrfToken, deps.virtualPhone === true))}
            </ul>`
      }
      <p><a href="${SIMULATION_PATH}">Refresh the list</a> · <a href="/admin">Console</a></p>`;
    sendPage(res, status, layout({ title: 'Simulation', body, signedIn: { csrfToken: operator.csrfToken } }));
  };

  interface Row {
    appointmentId: string;
    booking?: Booking;
    view?: AppointmentView;
    unreadable?: boolean;
  }

  async function listRows(): Promise<Row[]> {
    const ids = [...bookings.keys()].reverse();
    if (deps.visibility) {
      try {
        for await (const workflow of deps.visibility.workflow.list({
          query: `AppointmentId STARTS_WITH "${SIMULATED_ID_PREFIX}"`,
          pageSize: LISTED,
        })) {
          const id = workflow.workflowId.replace(/^appointment-/, '');
          if (!ids.includes(id)) ids.push(id);
          if (ids.length >= LISTED * 2) break;
        }
      } catch (err) {
        log.warn({ outcome: 'visibility_failed', error: (err as Error).message }, 'simulation: list failed');
      }
    }
    return Promise.all(
      ids.slice(0, LISTED).map(async (appointmentId): Promise<Row> => {
        const booking = bookings.get(appointmentId);
        try {
          const view = await deps.gateway.view(appointmentId);
          return { appointmentId, ...(booking ? { booking } : {}), ...(view ? { view } : {}) };
        } catch {
          return { appointmentId, ...(booking ? { booking } : {}), unreadable: true };
        }
      }),
    );
  }

  router.get(SIMULATION_PATH, async (req, res) => {
    const done = typeof req.query.done === 'string' ? req.query.done : '';
    const reason = typeof req.query.reason === 'string' ? req.query.reason : '';
    // Own keys only: `?done=constructor` must not reach the page through the prototype.
    let notice = Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined;
    if (done === 'remind-none' && Object.hasOwn(REFUSALS, reason)) {
      notice = `No reminder was sent: ${REFUSALS[reason as RemindNowRefusal]}.`;
    }
    await render(res, 200, notice ? { notice } : {});
  });

  router.post(`${SIMULATION_PATH}/appointments`, async (req, res) => {
    const input = readForm(req.body);
    const errors: FieldErrors = {};
    if (!input.firstName) errors.firstName = 'Enter the patient’s first name.';
    else if (input.firstName.length > 100) errors.firstName = 'At most 100 characters.';
    if (input.lastName.length > 100) errors.lastName = 'At most 100 characters.';
    const phone = readTextablePhone(input.phone, deps.defaultCountry);
    if (!phone.ok) errors.phone = PHONE_PROBLEMS[phone.problem] ?? 'Enter a mobile number.';
    const minutes = minutesAhead(input.amount, input.unit);
    if (typeof minutes === 'string') errors.amount = minutes;
    if (input.location.length > 200) errors.location = 'At most 200 characters.';
    if (input.providerFirstName.length > 100) errors.providerFirstName = 'At most 100 characters.';
    if (input.providerLastName.length > 100) errors.providerLastName = 'At most 100 characters.';
    if (Object.keys(errors).length > 0 || typeof minutes === 'string' || !phone.ok) {
      await render(res, 400, {
        form: input,
        errors,
        error: 'Nothing was booked: correct the fields marked below.',
      });
      return;
    }
    const at = now();
    const stamp = `${at}-${randomBytes(3).toString('hex')}`;
    const appointmentId = `${SIMULATED_ID_PREFIX}${stamp}`;
    // At least a minute from now, on a whole minute: the reminder due N hours before is still ahead.
    const startMs = Math.ceil((at + minutes * MINUTE_MS + MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
    const booking: Booking = {
      appointmentId,
      patientId: `${SIMULATED_ID_PREFIX}P-${stamp}`,
      firstName: input.firstName,
      ...(input.lastName ? { lastName: input.lastName } : {}),
      phone: phone.phone,
      ...(input.location ? { location: input.location } : {}),
      ...(input.providerFirstName ? { providerFirstName: input.providerFirstName } : {}),
      ...(input.providerLastName ? { providerLastName: input.providerLastName } : {}),
    };
    const outcome = await submit(
      canonicalBody(booking, {
        type: 'BOOKED',
        eventId: `${appointmentId}-booked`,
        at,
        localStart: localWallClock(startMs, deps.timeZone),
        timeZone: deps.timeZone,
      }),
      at,
    );
    if (outcome !== 'ok') {
      await render(res, outcome.status, { form: input, error: outcome.message });
      return;
    }
    keep(booking);
    log.info({ appointmentId, action: 'book', outcome: 'submitted' }, 'simulation');
    res.redirect(303, `${SIMULATION_PATH}?done=booked#simulated`);
  });

  router.post(`${SIMULATION_PATH}/appointments/:id/:action`, async (req, res) => {
    const appointmentId = String(req.params.id);
    const action = String(req.params.action) as Action;
    if (!SIMULATED_ID.test(appointmentId) || !ACTIONS.includes(action)) {
      await render(res, 404, { error: 'No such simulated appointment or action. Nothing was changed.' });
      return;
    }
    const requestId = typeof req.body?.request === 'string' ? (req.body.request as string) : '';
    if (!REQUEST_ID.test(requestId)) {
      await render(res, 400, { error: 'That form was incomplete. Nothing was changed; try again.' });
      return;
    }
    if (action === 'remind-now') {
      let result: RemindNowResult | undefined;
      try {
        result = await deps.gateway.sendNextReminderNow(appointmentId, `remind-now-${requestId}`);
      } catch (err) {
        log.warn({ appointmentId, action, outcome: 'failed', error: describe(err) }, 'simulation');
        await render(res, err instanceof TemporalUnavailableError ? 503 : 502, {
          error: `The reminder could not be requested: ${describe(err)}`,
        });
        return;
      }
      if (!result) {
        await render(res, 404, { error: 'That appointment’s workflow has ended. Nothing was sent.' });
        return;
      }
      log.info(
        { appointmentId, action, outcome: 'reminder' in result ? result.reminder : result.none },
        'simulation',
      );
      res.redirect(
        303,
        'reminder' in result
          ? `${SIMULATION_PATH}?done=remind-${result.reminder}#simulated`
          : `${SIMULATION_PATH}?done=remind-none&reason=${result.none}#simulated`,
      );
      return;
    }
    const at = now();
    const booking = bookings.get(appointmentId) ?? { appointmentId, patientId: `${appointmentId}-P` };
    const eventId = `${appointmentId}-${action}-${requestId}`.slice(0, 128);
    let body: CanonicalEventBody;
    if (action === 'reschedule') {
      let view: AppointmentView | undefined;
      try {
        view = await deps.gateway.view(appointmentId);
      } catch (err) {
        await render(res, 503, { error: `The appointment could not be read: ${describe(err)}` });
        return;
      }
      const moved = view && DateTime.fromISO(view.localStart, { zone: view.timeZone }).plus({ days: 1 });
      if (!view || !moved?.isValid) {
        await render(res, 404, { error: 'That appointment is not known (yet). Nothing was changed.' });
        return;
      }
      body = canonicalBody(booking, {
        type: 'RESCHEDULED',
        eventId,
        at,
        localStart: moved.toFormat("yyyy-LL-dd'T'HH:mm:ss"),
        timeZone: view.timeZone,
      });
    } else {
      body = canonicalBody(booking, { type: action === 'cancel' ? 'CANCELED' : 'NOSHOWED', eventId, at });
    }
    const outcome = await submit(body, at);
    if (outcome !== 'ok') {
      await render(res, outcome.status, { error: outcome.message });
      return;
    }
    log.info({ appointmentId, action, outcome: 'submitted' }, 'simulation');
    const done = action === 'reschedule' ? 'rescheduled' : action === 'cancel' ? 'canceled' : 'noshowed';
    res.redirect(303, `${SIMULATION_PATH}?done=${done}#simulated`);
  });

  /** Parses the canonical body exactly as POST /v1/ehr/events does and hands it to the gateway. */
  async function submit(
    body: CanonicalEventBody,
    at: number,
  ): Promise<'ok' | { status: number; message: string }> {
    const parsed = parseCanonicalEvent(body, {
      defaultCountry: deps.defaultCountry,
      receivedAt: new Date(at).toISOString(),
    });
    if (!parsed.ok) {
      const problems = parsed.problems.map((p) => `${p.field} ${p.message}`).join('; ');
      return { status: 400, message: `Nothing was changed: the event was refused (${problems}).` };
    }
    try {
      await deps.gateway.submit(parsed.event);
      return 'ok';
    } catch (err) {
      log.warn(
        { appointmentId: parsed.event.appointmentId, outcome: 'not_submitted', error: describe(err) },
        'simulation',
      );
      if (err instanceof UnknownAppointmentError) {
        return { status: 404, message: 'That appointment is not known here. Nothing was changed.' };
      }
      return {
        status: err instanceof TemporalUnavailableError ? 503 : 502,
        message: `The event could not be handed to Temporal: ${describe(err)}`,
      };
    }
  }

  return router;
}

const PHONE_PROBLEMS: Readonly<Record<string, string>> = {
  NO_PHONE: 'Enter the patient’s mobile number.',
  INVALID_PHONE: 'That is not a valid phone number. Use E.164 (+13035550123) or a national number.',
  MASKED_PHONE: 'Enter the whole number, without hidden digits.',
  NOT_MOBILE: 'That number cannot take texts (a landline or toll-free number). Enter a mobile number.',
};

function readForm(body: unknown): BookingForm {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (name: string): string =>
    typeof fields[name] === 'string' ? (fields[name] as string).trim() : '';
  return {
    firstName: text('firstName'),
    lastName: text('lastName'),
    phone: text('phone'),
    amount: text('amount'),
    unit: text('unit'),
    location: text('location'),
    providerFirstName: text('providerFirstName'),
    providerLastName: text('providerLastName'),
  };
}

function defaultForm(): BookingForm {
  return {
    firstName: '',
    lastName: '',
    phone: '',
    amount: String(SIMULATION_DEFAULTS.amount),
    unit: SIMULATION_DEFAULTS.unit,
    location: SIMULATION_DEFAULTS.location,
    providerFirstName: SIMULATION_DEFAULTS.providerFirstName,
    providerLastName: SIMULATION_DEFAULTS.providerLastName,
  };
}

/** Minutes ahead, or what is wrong with the amount and unit. */
export function minutesAhead(amount: string, unit: string): number | string {
  if (unit !== 'minutes' && unit !== 'hours') return 'Choose minutes or hours.';
  if (!/^\d{1,6}$/.test(amount)) return 'Enter a whole number.';
  const minutes = Number(amount) * (unit === 'hours' ? 60 : 1);
  if (minutes < 1 || minutes > MAX_AHEAD_MINUTES) {
    return `Enter between 1 minute and ${MAX_AHEAD_MINUTES / 60} hours (60 days) ahead.`;
  }
  return minutes;
}

function localWallClock(ms: number, zone: string): string {
  const resolved = resolveZone(zone);
  return DateTime.fromMillis(ms, { zone: resolved ?? 'UTC' }).toFormat("yyyy-LL-dd'T'HH:mm:ss");
}

function canonicalBody(
  booking: Booking | { appointmentId: string; patientId: string },
  event: {
    type: 'BOOKED' | 'RESCHEDULED' | 'CANCELED' | 'NOSHOWED';
    eventId: string;
    at: number;
    localStart?: string;
    timeZone?: string;
  },
): CanonicalEventBody {
  const known = 'phone' in booking ? booking : undefined;
  return {
    event_type: event.type,
    event_id: event.eventId,
    event_datetime_utc: new Date(event.at).toISOString(),
    appointment_id: booking.appointmentId,
    ...(event.localStart && event.timeZone
      ? { appointment_datetime: event.localStart, appointment_timezone: event.timeZone }
      : {}),
    patient_id: booking.patientId,
    ...(known
      ? {
          patient_first_name: known.firstName,
          patient_last_name: known.lastName,
          patient_phone: known.phone,
          patient_language: 'en',
          appointment_location: known.location,
          ...(known.providerFirstName || known.providerLastName
            ? {
                provider_id: 'SIM-PROVIDER',
                provider_first_name: known.providerFirstName,
                provider_last_name: known.providerLastName,
              }
            : {}),
        }
      : {}),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fieldError(id: keyof BookingForm, errors: FieldErrors): SafeHtml | '' {
  const message = errors[id];
  return message ? html`<p class="error" id="${id}-error">${message}</p>` : '';
}

function invalid(id: keyof BookingForm, errors: FieldErrors): SafeHtml | '' {
  return errors[id] ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';
}

function bookingForm(csrf: string, form: BookingForm, errors: FieldErrors, timeZone: string): SafeHtml {
  const input = (id: keyof BookingForm, label: string, extra: SafeHtml | '' = '') =>
    html`<label for="${id}">${label}</label>${fieldError(id, errors)}
      <input id="${id}" name="${id}" type="text" value="${form[id]}" ${invalid(id, errors)}${extra} />`;
  return html`<form method="post" action="${SIMULATION_PATH}/appointments" aria-labelledby="book-heading">
    <h2 id="book-heading">Book an appointment</h2>
    <input type="hidden" name="csrf" value="${csrf}" />
    ${input('firstName', 'Patient’s first name', html` autocomplete="off" required maxlength="100"`)}
    ${input('lastName', 'Patient’s last name (optional)', html` autocomplete="off" maxlength="100"`)}
    <label for="phone">Patient’s mobile number</label>${fieldError('phone', errors)}
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
      ${fieldError('amount', errors)}
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

function appointmentItem(
  row: { appointmentId: string; booking?: Booking; view?: AppointmentView; unreadable?: boolean },
  csrf: string,
  virtualPhone: boolean,
): SafeHtml {
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
  const phoneLink = `/admin/phone?number=${encodeURIComponent(booking?.phone ?? '')}`;
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
      <input type="hidden" name="csrf" value="${csrf}" />
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
