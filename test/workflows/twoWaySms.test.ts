/**
 * Patients' replies, on the time-skipping server with real activities: the phone conversation
 * workflow routes them, the appointment workflow acknowledges them; reminders per number per day,
 * conversations that end, delivery reports. Replies reaching the EHR: twoWaySmsEhrCallbacks.test.ts.
 */
import { phoneWorkflowId } from '../../src/ingest/phoneIds';
import { phoneStateQuery } from '../../src/workflows/phoneQueries';
import { appointmentViewQuery, ehrEventSignal } from '../../src/shared/appointment';
import { envelope, event, HOUR, signalAppointment } from '../helpers/appointmentHarness';
import { iso, sentKinds, useTwoWaySms, type Activities } from '../helpers/twoWaySms';

jest.setTimeout(120_000);

const sms = useTwoWaySms();
const { suite, world, untilPhone } = sms;

describe('two-way SMS', () => {
  test('a new number on MODIFIED moves the appointment: the old number forgets it, the new one knows it unprompted', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      const handle = await w.book('R11', t0 + 72 * HOUR);
      await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
      await w.phoneKnowsPrompted(1);
      const newPhone = sms.phone.replace('+1303', '+1720');
      await handle.signal(
        ehrEventSignal,
        envelope(
          event({
            appointmentId: 'R11',
            eventType: 'MODIFIED',
            start: iso(t0 + 72 * HOUR),
            eventAt: iso(t0 + 60_000),
            patient: { id: 'P-R11', firstName: 'Ana', phone: newPhone, language: 'en' },
          }),
        ),
      );
      await w.until(handle, (v) => sentKinds(v).includes('MODIFIED'));
      const phoneState = (phone: string) =>
        suite.env.client.workflow.getHandle(phoneWorkflowId(phone, 'valley')).query(phoneStateQuery);
      const known = async (phone: string) => (await phoneState(phone)).appointments.map((a) => a.prompted);
      for (let i = 0; i < 200 && (await known(sms.phone)).length > 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await known(sms.phone)).toEqual([]);
      expect(await known(newPhone)).toEqual([false]);
      // The old number's "2" and STOP no longer touch it.
      await w.reply('2');
      await w.reply('STOP');
      await suite.env.sleep(60_000);
      const v = await w.until(handle, (x) => x.status === 'BOOKED');
      expect(v.optedOut).toBe(false);
      expect(v.callbacks).toEqual([]);
    });
  });

  test('STOP, then a due reminder sends nothing', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      const handle = await w.book('R3', t0 + 72 * HOUR);
      await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
      await w.reply('STOP');
      await w.until(handle, (v) => v.optedOut);
      await suite.env.sleep(50 * HOUR);
      const v = await handle.query(appointmentViewQuery);
      expect(sentKinds(v)).toEqual(['BOOKED']);
      expect(v.reminders.map((r) => r.status)).toEqual(['CANCELED', 'CANCELED']);
      expect(await w.texts()).toHaveLength(1);
    });
  });

  test('a shared phone with two open prompts gets a which-one question, and the number picks the appointment', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      const first = await w.book('R4a', t0 + 72 * HOUR);
      const second = await w.book('R4b', t0 + 96 * HOUR, {
        provider: { firstName: 'Lee', lastName: 'Wong' },
      });
      await w.until(first, (v) => sentKinds(v).includes('BOOKED'));
      await w.until(second, (v) => sentKinds(v).includes('BOOKED'));
      // Let both appointments tell the phone they prompted the patient.
      await w.phoneKnowsPrompted(2);
      await w.reply('yes');
      let texts: string[] = [];
      for (let i = 0; i < 100 && !texts.some((t) => t.includes('more than one upcoming appointment')); i++) {
        texts = await w.texts();
        await new Promise((r) => setTimeout(r, 50));
      }
      const question = texts.find((t) => t.includes('more than one upcoming appointment')) ?? '';
      expect(question).toMatch(/1\) .*2\) .* with Lee Wong/);
      await w.reply('2');
      // The acknowledgement goes out just after the status changes: wait for both.
      const v = await w.until(
        second,
        (x) => x.status === 'CONFIRMED' && sentKinds(x).includes('REPLY_CONFIRMED'),
      );
      expect(v.callbacks.map((c) => c.type)).toEqual(['CONFIRM']);
      expect((await first.query(appointmentViewQuery)).status).toBe('BOOKED');
    });
  });

  test('at most MAX_REMINDERS_PER_PHONE_PER_DAY reminders per number per local day; booking texts are not capped', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      const start = t0 + 72 * HOUR;
      // Three children, one phone, three appointments at the same hour: three reminders due together.
      const handles = [await w.book('C1', start), await w.book('C2', start), await w.book('C3', start)];
      for (const handle of handles) await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
      await suite.env.sleep(24 * HOUR + 60_000);
      const views = await Promise.all(
        handles.map((handle) =>
          w.until(handle, (v) => ['SENT', 'SUPPRESSED', 'FAILED'].includes(v.reminders[0]?.status ?? '')),
        ),
      );
      const firstReminders = views.map((v) => [v.reminders[0]?.status, v.reminders[0]?.note]);
      expect(firstReminders.filter(([status]) => status === 'SENT')).toHaveLength(2);
      expect(firstReminders.filter(([status]) => status === 'SUPPRESSED')).toEqual([
        ['SUPPRESSED', 'DAILY_CAP'],
      ]);
      expect(views.every((v) => sentKinds(v).includes('BOOKED'))).toBe(true);
    });
  });

  test('a STOP said before a new appointment existed keeps its reminders from going out', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      const first = await w.book('S1', t0 + 72 * HOUR);
      await w.until(first, (v) => sentKinds(v).includes('BOOKED'));
      await w.reply('STOP');
      await w.until(first, (v) => v.optedOut);
      // A sibling booked afterwards learns of the STOP from the number's conversation.
      const second = await w.book('S2', t0 + 96 * HOUR);
      const v = await w.until(second, (x) => x.optedOut);
      expect(v.reminders.every((r) => r.status !== 'PENDING')).toBe(true);
      await suite.env.sleep(50 * HOUR);
      const after = await second.query(appointmentViewQuery);
      expect(sentKinds(after).filter((k) => k === 'REMINDER')).toEqual([]);
    });
  });

  test('a reply is routed while an earlier answer text is still on its way (rules 3)', async () => {
    let releaseHelp: () => void = () => undefined;
    const helpReleased = new Promise<void>((resolve) => (releaseHelp = resolve));
    // The HELP answer is slow (Twilio timing out, say) until the test lets it go.
    const slowHelp = (activities: Activities): Activities => ({
      ...activities,
      async sendSms(request) {
        if (request.kind === 'HELP') await helpReleased;
        return activities.sendSms(request);
      },
    });
    await world(
      'http://127.0.0.1:9/unused',
      async (w) => {
        const t0 = await suite.env.currentTimeMs();
        const handle = await w.book('SLOW1', t0 + 72 * HOUR);
        await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
        await w.phoneKnowsPrompted(1);
        await w.reply('HELP');
        await w.reply('yes');
        try {
          const v = await w.until(handle, (x) => x.status === 'CONFIRMED');
          expect(v.callbacks.map((c) => c.type)).toEqual(['CONFIRM']);
          expect((await w.texts()).some((t) => t.includes('appointment messages'))).toBe(false);
        } finally {
          // Also on failure: the worker cannot shut down while the text is held.
          releaseHelp();
        }
        for (let i = 0; i < 200 && !(await w.texts()).some((t) => t.includes('appointment messages')); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        expect((await w.texts()).filter((t) => t.includes('appointment messages'))).toHaveLength(1);
      },
      slowHelp,
    );
  });

  test('a conversation ends when it has nothing left to do, and the next one on the number keeps its STOP', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      const first = await w.book('END1', t0 + 30 * HOUR);
      await w.until(first, (v) => sentKinds(v).includes('BOOKED'));
      await w.reply('STOP');
      await w.until(first, (v) => v.optedOut);
      const phone = suite.env.client.workflow.getHandle(phoneWorkflowId(sms.phone, 'valley'));
      const firstRun = (await phone.describe()).runId;
      // A day after the last reply, but the appointment is still ahead: the conversation stays.
      await suite.env.sleep(26 * HOUR);
      expect((await phone.describe()).status.name).toBe('RUNNING');
      // A day after the appointment's start nothing is left: it ends.
      await suite.env.sleep(30 * HOUR);
      await untilPhone(phone, 'COMPLETED');
      // A new appointment on the number starts a new conversation, which knows the STOP.
      const now = await suite.env.currentTimeMs();
      const second = await w.book('END2', now + 72 * HOUR);
      const v = await w.until(second, (x) => x.optedOut);
      expect(v.reminders.every((r) => r.status !== 'PENDING')).toBe(true);
      const next = await phone.describe();
      expect(next.runId).not.toBe(firstRun);
      expect(next.status.name).toBe('RUNNING');
    });
  });

  test('a number that never said STOP ends its conversation without a record; a reply starts a fresh one', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      const handle = await w.book('END3', t0 + 2 * HOUR);
      await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
      const phone = suite.env.client.workflow.getHandle(phoneWorkflowId(sms.phone, 'valley'));
      await suite.env.sleep(27 * HOUR);
      await untilPhone(phone, 'COMPLETED');
      await w.reply('HELP');
      await untilPhone(phone, 'RUNNING');
      const state = await phone.query(phoneStateQuery);
      expect(state.optedOut).toBe(false);
      expect(state.recordKept).toBeUndefined();
    });
  });

  test('one appointment alone on its number gets at most the daily allowance of reminders', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      // First reminder 3 h and second 2 h before the visit: the same local day (UTC), whatever the time the
      // test runs (a visit 12 h ahead put them either side of midnight between 14:00 and 15:00 UTC); the
      // allowance is one.
      const start = Math.ceil(t0 / (24 * HOUR)) * 24 * HOUR + 15 * HOUR;
      const handle = await signalAppointment(
        suite.env.client,
        w.taskQueue,
        event({
          appointmentId: 'D1',
          eventType: 'BOOKED',
          start: iso(start),
          eventAt: iso(t0),
          patient: { id: 'P-D1', phone: sms.phone, language: 'en' },
        }),
        { firstOffsetMinutes: 180, secondOffsetMinutes: 120, maxRemindersPerPhonePerDay: 1 },
      );
      await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
      await suite.env.sleep(start - 2 * HOUR + 60_000 - (await suite.env.currentTimeMs()));
      const v = await w.until(handle, (x) => x.reminders.every((r) => r.status !== 'PENDING'));
      expect(v.reminders.map((r) => [r.status, r.note])).toEqual([
        ['SENT', undefined],
        ['SUPPRESSED', 'DAILY_CAP'],
      ]);
    });
  });

  test('only a final delivery report reaches the appointment, and it adds no work to its history', async () => {
    await world('http://127.0.0.1:9/unused', async (w) => {
      const t0 = await suite.env.currentTimeMs();
      const handle = await w.book('DR1', t0 + 72 * HOUR);
      const booked = await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
      const sid = booked.messages[0]?.sid ?? '';
      const settledLength = async (): Promise<number> => {
        let length = -1;
        for (let i = 0; i < 100; i++) {
          const next = (await handle.fetchHistory()).events?.length ?? 0;
          if (next === length) return length;
          length = next;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('history never settled');
      };
      const before = await settledLength();
      expect(
        await w.conversations.deliverStatus({ messageSid: sid, status: 'sent', appointmentId: 'DR1' }),
      ).toBe(false);
      expect(
        await w.conversations.deliverStatus({ messageSid: sid, status: 'delivered', appointmentId: 'DR1' }),
      ).toBe(true);
      // Counted before any query: the time-skipping server answers a query with a workflow task of its own.
      const after = await settledLength();
      // The signal and one workflow task (scheduled, started, completed): no command, no snapshot.
      expect(after - before).toBe(4);
      const v = await handle.query(appointmentViewQuery);
      expect(v.messages[0]).toMatchObject({ sid, status: 'DELIVERED' });
    });
  });
});
