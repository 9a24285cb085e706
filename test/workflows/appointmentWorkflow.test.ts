/**
 * The appointment workflow on Temporal's time-skipping server, with real activities: texts go
 * through the real twilio SDK to the sandbox, snapshots to files.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import {
  appointmentViewQuery,
  type AppointmentEvent,
  type AppointmentPolicy,
  type AppointmentView,
} from '../../src/shared/appointment';
import type { appointmentLifecycle } from '../../src/workflows/appointment';
import {
  appointmentWorker,
  event,
  HOUR,
  MINUTE,
  testActivities,
  useTimeSkippingSuite,
  signalAppointment,
  untilView,
} from '../helpers/appointmentHarness';
import { uniqueTaskQueue } from '../helpers/temporal';
import type { FileSnapshotStore } from '../../src/activities/snapshots/fileStore';

jest.setTimeout(120_000);

const suite = useTimeSkippingSuite();

const iso = (ms: number): string => new Date(ms).toISOString();
const minuteAligned = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;

interface Scenario {
  handle: WorkflowHandle<typeof appointmentLifecycle>;
  worker: Worker;
  snapshots: FileSnapshotStore;
  t0: number;
  appointmentId: string;
  send(ev: AppointmentEvent, policy?: Partial<AppointmentPolicy>): Promise<void>;
  view(): Promise<AppointmentView>;
  /** Polls (real time) until the view satisfies the predicate. */
  until(predicate: (v: AppointmentView) => boolean): Promise<AppointmentView>;
  ev(overrides: Partial<AppointmentEvent> & Pick<AppointmentEvent, 'eventType' | 'start'>): AppointmentEvent;
}

type Activities = ReturnType<typeof testActivities>['activities'];

/** Runs `body` with a worker and an appointment workflow started by its first event. */
async function scenario(
  body: (s: Scenario) => Promise<void>,
  wrap: (activities: Activities) => Activities = (a) => a,
): Promise<void> {
  const taskQueue = uniqueTaskQueue('appt');
  const { activities, snapshots } = testActivities(suite.sandbox, { client: suite.env.client, taskQueue });
  const worker = await appointmentWorker(suite.env, suite.bundle, taskQueue, wrap(activities));
  const appointmentId = `A-${taskQueue}`;
  const t0 = await suite.env.currentTimeMs();
  let handle: WorkflowHandle<typeof appointmentLifecycle> | undefined;
  const s: Scenario = {
    get handle() {
      if (!handle) throw new Error('no event sent yet');
      return handle;
    },
    worker,
    snapshots,
    t0,
    appointmentId,
    async send(ev, policy) {
      handle = await signalAppointment(suite.env.client, taskQueue, ev, policy);
    },
    view: () => s.handle.query(appointmentViewQuery),
    until: (predicate) => untilView(s.handle, predicate),
    ev: (overrides) => event({ appointmentId, eventAt: iso(t0), ...overrides }),
  };
  await worker.runUntil(async () => {
    try {
      await body(s);
    } finally {
      // A workflow left waiting on timers with no worker would stall time skipping for the next test.
      if (handle) await handle.terminate('test finished').catch(() => undefined);
    }
  });
}

const sentKinds = (v: AppointmentView): string[] => v.messages.filter((m) => m.sid).map((m) => m.kind);
/** The first event has been applied and every text decided so far has been handed to Twilio. */
const settled = (v: AppointmentView): boolean =>
  v.lastEventAt !== '' && v.messages.every((m) => m.status !== 'PENDING');

describe('appointment workflow', () => {
  test('booking 3 days ahead texts at once, then reminds at 48 h and 24 h to the minute', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 72 * HOUR;
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }));
      let v = await s.until((x) => sentKinds(x).includes('BOOKED'));
      expect(v.status).toBe('BOOKED');
      expect(v.reminders.map((r) => [r.kind, r.sendAt, r.status])).toEqual([
        ['FIRST', iso(start - 48 * HOUR), 'PENDING'],
        ['SECOND', iso(start - 24 * HOUR), 'PENDING'],
      ]);

      await suite.env.sleep(start - 48 * HOUR - (await suite.env.currentTimeMs()) + MINUTE / 2);
      v = await s.until((x) => x.reminders[0]?.status === 'SENT');
      expect(v.reminders[1]?.status).toBe('PENDING');
      const first = v.messages.find((m) => m.kind === 'REMINDER');
      // Sent within seconds of its minute, never early.
      expect(Date.parse(first?.sentAt ?? '')).toBeGreaterThanOrEqual(start - 48 * HOUR);
      expect(Date.parse(first?.sentAt ?? '')).toBeLessThan(start - 48 * HOUR + MINUTE);

      await suite.env.sleep(24 * HOUR);
      v = await s.until((x) => x.reminders[1]?.status === 'SENT');
      expect(sentKinds(v)).toEqual(['BOOKED', 'REMINDER', 'REMINDER']);
      const bodies = (await suite.sandbox.store.list()).filter((m) =>
        v.messages.some((x) => x.sid === m.sid),
      );
      expect(bodies.map((m) => m.body)).toEqual([
        expect.stringContaining('is booked. Reply 1 or YES to confirm'),
        expect.stringContaining('this is a reminder'),
        expect.stringContaining('this is a reminder'),
      ]);
    });
  });

  test('a due time outside the outreach window moves to the next opening in the patient zone', async () => {
    await scenario(async (s) => {
      // 07:30 in Denver, 3+ days ahead; window 08:00-20:00: the 48 h reminder (07:30) moves to 08:00.
      const day = new Date(s.t0 + 4 * 24 * HOUR).toISOString().slice(0, 10);
      const start = Date.parse(`${day}T07:30:00-07:00`);
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start), timeZone: 'America/Denver' }), {
        windowStartMinutes: 8 * 60,
        windowFinishMinutes: 20 * 60,
      });
      const v = await s.until(settled);
      expect(v.reminders.map((r) => r.sendAt)).toEqual([
        iso(start - 48 * HOUR + 30 * MINUTE),
        iso(start - 24 * HOUR + 30 * MINUTE),
      ]);
      expect(v.start).toBe(`${day}T07:30:00.000-07:00`);
    });
  });

  test('SECOND=0000 plans a single reminder', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 72 * HOUR;
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }), { secondOffsetMinutes: 0 });
      const v = await s.until(settled);
      expect(v.reminders.map((r) => r.kind)).toEqual(['FIRST']);
    });
  });

  test('two reminders that land on the same instant become one text', async () => {
    await scenario(async (s) => {
      // Appointment at 09:00 UTC; window 0800-0900 the day before... both due times (48h, 24h before 09:00)
      // fall outside a 1-hour window that only opens at 08:00 on the appointment day: both move there.
      const day = new Date(s.t0 + 4 * 24 * HOUR).toISOString().slice(0, 10);
      const start = Date.parse(`${day}T08:30:00Z`);
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }), {
        firstOffsetMinutes: 10 * 60,
        secondOffsetMinutes: 9 * 60,
        windowStartMinutes: 8 * 60,
        windowFinishMinutes: 9 * 60,
      });
      let v = await s.until(settled);
      expect(v.reminders.map((r) => [r.kind, r.status, r.note])).toEqual([
        ['FIRST', 'PENDING', undefined],
        ['SECOND', 'SKIPPED', 'SAME_TIME_AS_FIRST'],
      ]);
      await suite.env.sleep(start - (await suite.env.currentTimeMs()) + MINUTE);
      v = await s.until((x) => x.reminders[0]?.status === 'SENT');
      expect(sentKinds(v)).toEqual(['BOOKED', 'REMINDER']);
    });
  });

  test('a late booking (30 h ahead) skips the 48 h reminder and sends the 24 h one', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 30 * HOUR;
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }));
      const v = await s.until(settled);
      expect(v.reminders.map((r) => [r.kind, r.status, r.note])).toEqual([
        ['FIRST', 'SKIPPED', 'DUE_BEFORE_BOOKING'],
        ['SECOND', 'PENDING', undefined],
      ]);
    });
  });

  test('a reschedule re-plans from scratch and texts the new time', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 72 * HOUR;
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }));
      await s.until(settled);
      await suite.env.sleep(25 * HOUR); // the 48 h reminder has gone out
      await s.until((x) => x.reminders[0]?.status === 'SENT');
      const later = start + 48 * HOUR;
      await s.send(s.ev({ eventType: 'RESCHEDULED', start: iso(later), eventAt: iso(s.t0 + 25 * HOUR) }));
      const v = await s.until((x) => sentKinds(x).includes('RESCHEDULED'));
      const pending = v.reminders.filter((r) => r.status === 'PENDING').map((r) => r.sendAt);
      expect(pending).toEqual([iso(later - 48 * HOUR), iso(later - 24 * HOUR)]);
      expect(v.status).toBe('BOOKED');
    });
  });

  test.each(['CANCELED', 'NOSHOWED'] as const)('%s stops every reminder', async (eventType) => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 72 * HOUR;
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }));
      await s.until(settled);
      await s.send(s.ev({ eventType, start: iso(start), eventAt: iso(s.t0 + MINUTE) }));
      let v = await s.until((x) => sentKinds(x).includes(eventType));
      expect(v.status).toBe(eventType);
      expect(v.reminders.every((r) => r.status === 'CANCELED')).toBe(true);
      await suite.env.sleep(73 * HOUR);
      v = await s.view();
      expect(sentKinds(v)).toEqual(['BOOKED', eventType]);
    });
  });

  test('a replayed event texts nobody twice and a stale event changes nothing', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 72 * HOUR;
      const booked = s.ev({ eventType: 'BOOKED', start: iso(start), eventAt: iso(s.t0 + 10 * MINUTE) });
      await s.send(booked);
      await s.send(booked);
      await s.until(settled);
      // An older cancellation arriving late must not cancel a newer booking.
      await s.send(s.ev({ eventType: 'CANCELED', start: iso(start), eventAt: iso(s.t0) }));
      const v = await s.until((x) => x.ignoredEvents.length === 1);
      expect(v.status).toBe('BOOKED');
      expect(sentKinds(v)).toEqual(['BOOKED']);
      expect(v.ignoredEvents[0]).toMatchObject({ eventType: 'CANCELED', reason: 'STALE' });
    });
  });

  test('an EHR confirmation stops the "please confirm" wording of later reminders', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 72 * HOUR;
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }));
      await s.send(s.ev({ eventType: 'CONFIRMED', start: iso(start), eventAt: iso(s.t0 + MINUTE) }));
      await s.until((x) => sentKinds(x).includes('CONFIRMED'));
      await suite.env.sleep(25 * HOUR);
      const v = await s.until((x) => x.reminders[0]?.status === 'SENT');
      const sid = v.messages.find((m) => m.kind === 'REMINDER')?.sid;
      const body = (await suite.sandbox.store.get(sid ?? ''))?.body ?? '';
      expect(body).toContain('confirmed appointment');
      expect(body).not.toContain('Reply 1');
    });
  });

  test('an invalid number is a permanent failure recorded on the appointment, not retried', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 72 * HOUR;
      await s.send(
        s.ev({
          eventType: 'BOOKED',
          start: iso(start),
          patient: { id: 'P9', phone: '+15005550001', language: 'en' },
        }),
      );
      const v = await s.until(settled);
      expect(v.messages[0]).toMatchObject({
        kind: 'BOOKED',
        status: 'FAILED',
        error: 'SmsPermanentFailure:21211',
      });
    });
  });

  test('stays open through retention for a late no-show, then completes and keeps a snapshot', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 2 * HOUR;
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }));
      await s.until(settled);
      await suite.env.sleep(2 * HOUR + 48 * HOUR);
      await s.send(s.ev({ eventType: 'NOSHOWED', start: iso(start), eventAt: iso(s.t0 + 50 * HOUR) }));
      await s.until((x) => sentKinds(x).includes('NOSHOWED'));
      const final = await s.handle.result();
      expect(final.status).toBe('NOSHOWED');
      const snapshot = await s.snapshots.readCurrent('valley', s.appointmentId);
      expect(snapshot?.status).toBe('NOSHOWED');
      expect((snapshot?.state as { version: number }).version).toBe(final.version);
      // One history object per snapshot version, contiguous, the last one being current.
      const history = await s.snapshots.listHistory('valley', s.appointmentId);
      expect(history.length).toBeGreaterThan(1);
      expect(history).toEqual(history.map((_, i) => i + 1));
      expect(snapshot?.version).toBe(history[history.length - 1]);
    });
  });

  test('an event that lands while the workflow writes its last snapshot is acted on by a new run, not dropped', async () => {
    // The final snapshot (status COMPLETED) waits until the test has sent an event.
    let reachedFinal: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (reachedFinal = resolve));
    let releaseFinal: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (releaseFinal = resolve));
    const holdFinalSnapshot = (activities: Activities): Activities => ({
      ...activities,
      async writeSnapshot(snapshot) {
        if (snapshot.status === 'COMPLETED') {
          reachedFinal();
          await released;
        }
        return activities.writeSnapshot(snapshot);
      },
    });
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 2 * HOUR;
      await s.send(s.ev({ eventType: 'BOOKED', start: iso(start) }));
      await s.until(settled);
      const firstRun = (await s.handle.describe()).runId;
      const skipping = suite.env.sleep(2 * HOUR + 73 * HOUR);
      await reached;
      // The clinic moves the visit while the workflow is finishing.
      const later = minuteAligned(await suite.env.currentTimeMs()) + 72 * HOUR;
      await s.send(
        s.ev({
          eventType: 'RESCHEDULED',
          start: iso(later),
          eventAt: iso(s.t0 + 75 * HOUR),
          eventId: 'moved',
        }),
      );
      // The write outlasts 80 % of the workflow task timeout (10 s): the task is completed by a
      // heartbeat and the next one hands the run the event while its last write is in flight.
      await new Promise((resolve) => setTimeout(resolve, 9_000));
      releaseFinal();
      await skipping;
      const v = await s.until((x) => sentKinds(x).includes('RESCHEDULED'));
      expect(v.status).toBe('BOOKED');
      expect(v.start).toBe(DateTime.fromMillis(later, { zone: v.timeZone }).toISO());
      expect(v.reminders.some((r) => r.status === 'PENDING')).toBe(true);
      const next = await s.handle.describe();
      expect(next.runId).not.toBe(firstRun);
      expect(next.status.name).toBe('RUNNING');
    }, holdFinalSnapshot);
  });

  test('an event after retention starts a new run seeded from the latest snapshot', async () => {
    await scenario(async (s) => {
      const start = minuteAligned(s.t0) + 2 * HOUR;
      const booked = s.ev({ eventType: 'BOOKED', start: iso(start) });
      await s.send(booked);
      await s.until(settled);
      await suite.env.sleep(2 * HOUR + 73 * HOUR);
      const first = await s.handle.result();
      expect(first.status).toBe('COMPLETED');

      // A late no-show, days after retention: a new run, which remembers the first.
      await s.send(s.ev({ eventType: 'NOSHOWED', start: iso(start), eventAt: iso(s.t0 + 76 * HOUR) }));
      let v = await s.until((x) => sentKinds(x).includes('NOSHOWED'));
      expect(sentKinds(v)).toEqual(['BOOKED', 'NOSHOWED']);
      // The EHR resending the original booking is still recognised as a duplicate.
      await s.send(booked);
      v = await s.until(settled);
      expect(v.status).toBe('NOSHOWED');
      expect(sentKinds(v)).toEqual(['BOOKED', 'NOSHOWED']);
    });
  });
});
