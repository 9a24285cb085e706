/**
 * `npm run bench`: throughput of the pure rules on the hot path of every event and text. Numbers
 * are for comparison between commits on the same machine, not pass/fail thresholds.
 */
import { performance } from 'node:perf_hooks';
import { AppointmentState } from '../src/domain/appointment/appointmentState';
import { initialStateData } from '../src/domain/appointment/stateData';
import { parseCanonicalEvent } from '../src/domain/events/canonicalEvent';
import { renderMessage } from '../src/domain/messages/render';
import { planReminders } from '../src/domain/reminders/planReminders';
import type { EventEnvelope } from '../src/shared/appointment';

function bench(name: string, iterations: number, body: (i: number) => void): void {
  for (let i = 0; i < Math.min(1000, iterations); i++) body(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) body(i);
  const ms = performance.now() - started;
  const perSecond = Math.round((iterations / ms) * 1000);
  console.log(
    `${name.padEnd(44)} ${perSecond.toLocaleString('en-US').padStart(12)} ops/s  (${((ms / iterations) * 1000).toFixed(1)} µs/op)`,
  );
}

const base = Date.parse('2026-12-01T15:00:00Z');
const policy = {
  firstOffsetMinutes: 2880,
  secondOffsetMinutes: 1440,
  windowStartMinutes: 480,
  windowFinishMinutes: 1200,
};
const zones = ['America/New_York', 'America/Denver', 'Europe/London', 'Australia/Lord_Howe', 'UTC-7'];

bench('planReminders (window 08-20, 5 zones)', 50_000, (i) => {
  planReminders({
    start: new Date(base + (i % 500) * 3_600_000).toISOString(),
    zone: zones[i % zones.length] as string,
    plannedAt: new Date(base - 3_600_000).toISOString(),
    policy,
  });
});

const body = {
  event_type: 'BOOKED',
  event_id: 'evt-1',
  appointment_id: 'A100',
  appointment_datetime: '2026-12-04T09:30:00',
  appointment_timezone: 'America/Denver',
  patient_id: 'P1',
  patient_first_name: 'Ana',
  patient_phone: '(303) 555-0123',
  provider_last_name: 'Smith',
};
bench('parseCanonicalEvent', 20_000, () => {
  parseCanonicalEvent(body, { defaultCountry: 'US', receivedAt: '2026-12-01T15:00:00.000Z' });
});

bench('renderMessage REMINDER (en)', 50_000, () => {
  renderMessage('REMINDER', {
    customerName: 'Valley Clinic',
    firstName: 'Ana',
    provider: 'Dr. Jo Smith',
    location: 'Main St',
    start: '2026-12-04T16:30:00.000Z',
    zone: 'America/Denver',
    callbackPhone: '+13035550100',
  });
});

const parsed = parseCanonicalEvent(body, { defaultCountry: 'US', receivedAt: '2026-12-01T15:00:00.000Z' });
if (!parsed.ok) throw new Error('bench event invalid');
bench('AppointmentState.applyEvent (book + replan)', 20_000, (i) => {
  const state = new AppointmentState(initialStateData('A100'));
  const envelope: EventEnvelope = {
    event: { ...parsed.event, eventId: `e${i}` },
    policy: { ...policy, retentionHours: 72, customerCode: 'clinic' },
  };
  state.applyEvent(envelope, base);
});

const used = process.memoryUsage();
console.log(`heap used ${(used.heapUsed / 1e6).toFixed(1)} MB, rss ${(used.rss / 1e6).toFixed(1)} MB`);
