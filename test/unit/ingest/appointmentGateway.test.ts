import { RECENT_EVENTS_CAPACITY, RecentlyAcceptedEvents } from '../../../src/ingest/appointmentGateway';

describe('the memory of recently accepted events (replays answered without Temporal)', () => {
  test('knows a (workflow, event) pair once remembered, and only that pair', () => {
    const recent = new RecentlyAcceptedEvents(10);
    recent.remember('appointment-A1', 'E1');
    expect(recent.has('appointment-A1', 'E1')).toBe(true);
    expect(recent.has('appointment-A1', 'E2')).toBe(false);
    expect(recent.has('appointment-A2', 'E1')).toBe(false);
    // The separator keeps ids from running into each other.
    recent.remember('appointment-A', '1E1');
    expect(recent.has('appointment-A1', 'E1')).toBe(true);
    expect(recent.has('appointment-A1E', '1')).toBe(false);
  });

  test('stays within its capacity, forgetting the least recently used pair first', () => {
    const recent = new RecentlyAcceptedEvents(3);
    recent.remember('w', 'e1');
    recent.remember('w', 'e2');
    recent.remember('w', 'e3');
    // A hit counts as a use: e1 becomes the newest, e2 the oldest.
    expect(recent.has('w', 'e1')).toBe(true);
    recent.remember('w', 'e4');
    expect(recent.size).toBe(3);
    expect(recent.has('w', 'e2')).toBe(false);
    expect(['e1', 'e3', 'e4'].every((e) => recent.has('w', e))).toBe(true);
    // Remembering a known pair again does not grow it.
    recent.remember('w', 'e4');
    expect(recent.size).toBe(3);
  });

  test('a full default-size memory holds its documented number of pairs, whatever the ids length', () => {
    const recent = new RecentlyAcceptedEvents();
    const long = 'x'.repeat(128);
    for (let i = 0; i < RECENT_EVENTS_CAPACITY + 10; i++)
      recent.remember(`appointment-${long}${i}`, `${long}${i}`);
    expect(recent.size).toBe(RECENT_EVENTS_CAPACITY);
    expect(recent.has(`appointment-${long}9`, `${long}9`)).toBe(false);
    expect(
      recent.has(`appointment-${long}${RECENT_EVENTS_CAPACITY + 9}`, `${long}${RECENT_EVENTS_CAPACITY + 9}`),
    ).toBe(true);
  });

  test('refuses a capacity that is not a positive whole number', () => {
    expect(() => new RecentlyAcceptedEvents(0)).toThrow(RangeError);
    expect(() => new RecentlyAcceptedEvents(1.5)).toThrow(RangeError);
  });
});
