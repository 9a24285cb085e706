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
 * knows. This module is the routes; simulation/ has the form, the events, the list and the HTML.
 */
import type { Client } from '@temporalio/client';
import { Router, type RequestHandler, type Response } from 'express';
import { DateTime } from 'luxon';
import type { CanonicalEventBody } from '../../domain/events/canonicalEvent';
import { TemporalUnavailableError } from '../../ingest/appointmentGateway';
import type { Logger } from '../../log';
import type { AppointmentView, RemindNowResult } from '../../shared/appointment';
import { sendPage } from './html';
import { consoleForms, operatorOf, operatorLayout } from './pageParts';
import { SIMULATION_PATH } from './paths';
import {
  checkBooking,
  defaultForm,
  readForm,
  type BookingForm,
  type FieldErrors,
} from './simulation/bookingForm';
import {
  ACTIONS,
  canonicalBody,
  describe,
  localWallClock,
  newBooking,
  submitEvent,
  type Action,
  type SimulationGateway,
} from './simulation/events';
import { listSimulated } from './simulation/listing';
import { RecentBookings } from './simulation/recentBookings';
import { noticeFor, simulationBody } from './simulation/view';

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

const REQUEST_ID = /^[A-Za-z0-9_-]{16,64}$/;
const SIMULATED_ID = /^SIM-[A-Za-z0-9._:@-]{1,120}$/;

export function simulationRouter(deps: SimulationDeps): Router {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'admin-simulation' });
  const bookings = new RecentBookings();
  const events = { gateway: deps.gateway, defaultCountry: deps.defaultCountry, log };
  const router = Router();
  router.use(SIMULATION_PATH, consoleForms(), deps.requireOperator);

  const render = async (
    res: Response,
    status: number,
    options: { form?: BookingForm; errors?: FieldErrors; error?: string; notice?: string } = {},
  ): Promise<void> => {
    const operator = operatorOf(res);
    if (!operator) {
      res.status(401).end();
      return;
    }
    const rows = await listSimulated({ bookings, gateway: deps.gateway, visibility: deps.visibility, log });
    const body = simulationBody({
      csrfToken: operator.csrfToken,
      form: options.form ?? defaultForm(),
      errors: options.errors ?? {},
      error: options.error,
      notice: options.notice,
      rows,
      virtualPhone: deps.virtualPhone === true,
      timeZone: deps.timeZone,
    });
    sendPage(res, status, operatorLayout(res, 'Simulation', body));
  };

  router.get(SIMULATION_PATH, async (req, res) => {
    const done = typeof req.query.done === 'string' ? req.query.done : '';
    const reason = typeof req.query.reason === 'string' ? req.query.reason : '';
    const notice = noticeFor(done, reason);
    await render(res, 200, notice ? { notice } : {});
  });

  router.post(`${SIMULATION_PATH}/appointments`, async (req, res) => {
    const input = readForm(req.body);
    const checked = checkBooking(input, deps.defaultCountry);
    if (!checked.ok) {
      await render(res, 400, {
        form: input,
        errors: checked.errors,
        error: 'Nothing was booked: correct the fields marked below.',
      });
      return;
    }
    const at = now();
    const { booking, startMs } = newBooking(input, checked.phone, checked.minutes, at);
    const { appointmentId } = booking;
    const outcome = await submitEvent(
      events,
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
    bookings.keep(booking);
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
    const outcome = await submitEvent(events, body, at);
    if (outcome !== 'ok') {
      await render(res, outcome.status, { error: outcome.message });
      return;
    }
    log.info({ appointmentId, action, outcome: 'submitted' }, 'simulation');
    const done = action === 'reschedule' ? 'rescheduled' : action === 'cancel' ? 'canceled' : 'noshowed';
    res.redirect(303, `${SIMULATION_PATH}?done=${done}#simulated`);
  });

  return router;
}
