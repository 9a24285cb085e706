/**
 * "Send the next reminder now" (issue 13.4) on the time-skipping server with real activities: the
 * update is recorded in the history, and the reminder text goes out through the usual send path at
 * once, not at its planned time.
 */
import { temporal } from '@temporalio/proto';
import { sendNextReminderNowUpdate } from '../../src/shared/appointment';
import {
  appointmentWorker,
  event,
  HOUR,
  MINUTE,
  signalAppointment,
  testActivities,
  untilView,
  useTimeSkippingSuite,
} from '../helpers/appointmentHarness';
import { uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(120_000);

const suite = useTimeSkippingSuite();
const iso = (ms: number): string => new Date(ms).toISOString();
const EventType = temporal.api.enums.v1.EventType;

test('the update makes the next pending reminder go out now, and is in the history', async () => {
  const taskQueue = uniqueTaskQueue('remind-now');
  const { activities } = testActivities(suite.sandbox, { client: suite.env.client, taskQueue });
  const worker = await appointmentWorker(suite.env, suite.bundle, taskQueue, activities);
  const appointmentId = `SIM-${taskQueue}`;
  const t0 = await suite.env.currentTimeMs();
  const start = Math.floor(t0 / MINUTE) * MINUTE + 72 * HOUR;
  const phone = '+13035550177';

  await worker.runUntil(async () => {
    const handle = await signalAppointment(
      suite.env.client,
      taskQueue,
      event({
        appointmentId,
        eventType: 'BOOKED',
        start: iso(start),
        eventAt: iso(t0),
        patient: { id: 'P-remind', firstName: 'Robin', phone, language: 'en' },
      }),
    );
    try {
      let view = await untilView(handle, (v) => v.messages.some((m) => m.kind === 'BOOKED' && m.sid));
      expect(view.reminders.map((r) => r.status)).toEqual(['PENDING', 'PENDING']);

      const before = await suite.env.currentTimeMs();
      const result = await handle.executeUpdate(sendNextReminderNowUpdate, { updateId: 'remind-1' });
      expect(result).toEqual({ reminder: 'FIRST', sendAt: expect.any(String) });
      if (!('reminder' in result)) throw new Error('no reminder');
      // Due at the update, two days before its planned time.
      expect(Date.parse(result.sendAt)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(result.sendAt)).toBeLessThan(start - 47 * HOUR);

      view = await untilView(handle, (v) => v.reminders[0]?.status === 'SENT');
      expect(view.reminders[1]?.status).toBe('PENDING');
      const reminder = view.messages.find((m) => m.kind === 'REMINDER');
      expect(Date.parse(reminder?.sentAt ?? '')).toBeLessThan(Date.parse(result.sendAt) + MINUTE);
      const texts = (await suite.sandbox.store.list({ to: phone })).map((m) => m.body);
      expect(texts).toEqual([
        expect.stringContaining('is booked. Reply 1 or YES to confirm'),
        expect.stringContaining('this is a reminder'),
      ]);

      // The same update id again is the same update: no second reminder.
      expect(await handle.executeUpdate(sendNextReminderNowUpdate, { updateId: 'remind-1' })).toEqual(result);

      const history = await handle.fetchHistory();
      const updates = (history.events ?? []).filter(
        (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
      );
      expect(updates).toHaveLength(1);
      expect(updates[0]?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name).toBe(
        'sendNextReminderNow',
      );
      expect(
        (history.events ?? []).some(
          (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        ),
      ).toBe(true);
      expect((await suite.sandbox.store.list({ to: phone })).length).toBe(2);

      // Each text's activity carries a summary the Web UI shows (issue 14.4), not patient data.
      const summaries = (history.events ?? []).flatMap((e) => {
        const data =
          e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED ? e.userMetadata?.summary?.data : undefined;
        return data ? [JSON.parse(Buffer.from(data).toString('utf8')) as string] : [];
      });
      expect(summaries).toEqual(expect.arrayContaining(['booking text', 'first reminder']));
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
});

test('without a pending reminder the update says so and nothing is sent', async () => {
  const taskQueue = uniqueTaskQueue('remind-none');
  const { activities } = testActivities(suite.sandbox, { client: suite.env.client, taskQueue });
  const worker = await appointmentWorker(suite.env, suite.bundle, taskQueue, activities);
  const t0 = await suite.env.currentTimeMs();
  const phone = '+13035550178';
  await worker.runUntil(async () => {
    // 10 hours ahead: both reminders were due before the booking.
    const handle = await signalAppointment(
      suite.env.client,
      taskQueue,
      event({
        appointmentId: `SIM-${taskQueue}`,
        eventType: 'BOOKED',
        start: iso(Math.floor(t0 / MINUTE) * MINUTE + 10 * HOUR),
        eventAt: iso(t0),
        patient: { id: 'P-none', firstName: 'Sam', phone, language: 'en' },
      }),
    );
    try {
      await untilView(handle, (v) => v.messages.some((m) => m.kind === 'BOOKED' && m.sid));
      expect(await handle.executeUpdate(sendNextReminderNowUpdate)).toEqual({ none: 'NO_PENDING_REMINDER' });
      expect((await suite.sandbox.store.list({ to: phone })).length).toBe(1);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
});
