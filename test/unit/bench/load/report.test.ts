import { temporal } from '@temporalio/proto';
import { countHistory } from '../../../../bench/load/history';
import { parseOptions } from '../../../../bench/load/options';
import { reminderOutcome } from '../../../../bench/load/reminderTexts';
import { evaluateTargets, formatTable } from '../../../../bench/load/report';

const EventType = temporal.api.enums.v1.EventType;

describe('bench report', () => {
  test('a table pads the first column right and the others left, with a rule under the header', () => {
    expect(
      formatTable(
        ['measure', 'service'],
        [
          ['events/s', '12.5'],
          ['p99 ms', '1,200'],
        ],
      ),
    ).toBe(['measure   service', '--------  -------', 'events/s     12.5', 'p99 ms      1,200'].join('\n'));
  });

  test('targets: ingest at 0.9× bare is met, a lifecycle of 281 events is not, unmeasured ones are n/a', () => {
    const targets = evaluateTargets({
      ingest: {
        service: { count: 10, concurrency: 1, seconds: 1, perSecond: 90, errors: 0, cpuSeconds: {} },
        baseline: { count: 10, concurrency: 1, seconds: 1, perSecond: 100, errors: 0, cpuSeconds: {} },
      },
      lifecycle: {
        service: {
          workflows: 2,
          events: 281,
          bytes: 69_305,
          activities: 24,
          localActivities: 0,
          signals: 11,
          updates: 5,
          workflowTasks: 43,
          timers: 26,
          seconds: 90,
          executions: [],
          steps: [],
        },
      },
    });
    const byName = new Map(targets.map((t) => [t.name, t.met]));
    expect(byName.get('ingest events/s vs bare signal-with-start')).toBe(true);
    expect(byName.get('lifecycle history events (all workflows)')).toBe(false);
    expect(byName.get('burst texted/s')).toBeUndefined();
    expect(byName.get('worker RSS at 10,000 open')).toBeUndefined();
  });

  test('history counts: activities include local-activity markers; signals, updates and workflow tasks by type', () => {
    const events: temporal.api.history.v1.IHistoryEvent[] = [
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
      EventType.EVENT_TYPE_TIMER_STARTED,
    ].map((eventType) => ({ eventType }));
    events.push({
      eventType: EventType.EVENT_TYPE_MARKER_RECORDED,
      markerRecordedEventAttributes: { markerName: 'core_local_activity' },
    });
    const counts = countHistory({ events });
    expect(counts).toMatchObject({
      events: 7,
      activities: 2,
      localActivities: 1,
      signals: 1,
      updates: 1,
      workflowTasks: 1,
      timers: 1,
    });
    expect(counts.bytes).toBe(temporal.api.history.v1.History.encode({ events }).finish().length);
  });

  test('reminder texts: the first later text with another body is the reminder; a repeated body is a duplicate', () => {
    const booked = { body: 'booked', createdMs: 1 };
    expect(reminderOutcome([booked, { body: 'reminder', createdMs: 5 }])).toEqual({
      reminderMs: 5,
      duplicates: 0,
      unexpected: 0,
    });
    expect(
      reminderOutcome([{ body: 'reminder', createdMs: 9 }, booked, { body: 'reminder', createdMs: 7 }]),
    ).toEqual({ reminderMs: 7, duplicates: 1, unexpected: 0 });
    expect(reminderOutcome([booked])).toEqual({ duplicates: 0, unexpected: 0 });
    expect(reminderOutcome([])).toEqual({ duplicates: 0, unexpected: 0 });
  });

  test('options: --quick sets small sizes, explicit flags win, --only keeps the fixed order', () => {
    const quick = parseOptions(['--quick', '--burst', '50', '--only', 'memory,lifecycle']);
    expect(quick).toMatchObject({ quick: true, burst: 50, reminders: 200, duration: 15, idle: [500, 2000] });
    expect(quick.only).toEqual(['lifecycle', 'memory']);
    expect(parseOptions(['--rates=5,10']).rates).toEqual([5, 10]);
    expect(parseOptions([]).burst).toBe(2000);
    expect(() => parseOptions(['--burst', '0'])).toThrow(/positive whole number/);
    expect(() => parseOptions(['--only', 'speed'])).toThrow(/unknown measure/);
    expect(() => parseOptions(['--fast'])).toThrow(/unknown option/);
  });
});
