import { ConversationState, initialPhoneState } from '../../../../src/domain/phone/conversationState';
import type { LinkedAppointment } from '../../../../src/shared/phone';
import { FIRST_RULES } from '../../../../src/shared/rulesVersion';

const NOW = Date.parse('2026-12-01T15:00:00Z');
const HOUR = 3_600_000;
const MINUTE = 60_000;

function appointment(id: string, overrides: Partial<LinkedAppointment> = {}): LinkedAppointment {
  return {
    appointmentId: id,
    workflowId: `appointment-${id}`,
    status: 'BOOKED',
    start: new Date(NOW + 48 * HOUR).toISOString(),
    timeZone: 'America/Denver',
    language: 'en',
    prompted: true,
    maxRemindersPerDay: 2,
    ...overrides,
  };
}

let sid = 0;
const inbound = (body: string) => ({
  messageSid: `SM${++sid}`,
  body,
  receivedAt: new Date(NOW).toISOString(),
});

function phoneWith(...appointments: LinkedAppointment[]): ConversationState {
  const state = new ConversationState(initialPhoneState('+13035550123'));
  for (const a of appointments) state.link(a, NOW);
  return state;
}

describe('phone conversation: routing replies', () => {
  test('a YES with one open prompt goes to that appointment', () => {
    const state = phoneWith(appointment('A'));
    expect(state.receive(inbound(' yes '), NOW)).toEqual([
      expect.objectContaining({
        type: 'route',
        appointmentId: 'A',
        reply: expect.objectContaining({ kind: 'CONFIRM' }),
      }),
    ]);
  });

  test('a shared phone with two open prompts is asked which one, and the number picks it', () => {
    const state = phoneWith(
      appointment('A'),
      appointment('B', { start: new Date(NOW + 72 * HOUR).toISOString() }),
    );
    expect(state.receive(inbound('1'), NOW)).toEqual([
      expect.objectContaining({ type: 'text', kind: 'DISAMBIGUATE' }),
    ]);
    expect(state.choiceAppointments().map((a) => a.appointmentId)).toEqual(['A', 'B']);
    // "2" now means the second appointment, not "cancel".
    expect(state.receive(inbound('2'), NOW)).toEqual([
      expect.objectContaining({
        type: 'route',
        appointmentId: 'B',
        reply: expect.objectContaining({ kind: 'CONFIRM' }),
      }),
    ]);
    expect(state.data.awaitingChoice).toBeNull();
  });

  test('"yes" prefers the appointment still waiting for a confirmation', () => {
    const state = phoneWith(appointment('A', { status: 'CONFIRMED' }), appointment('B'));
    expect(state.receive(inbound('YES'), NOW)).toEqual([expect.objectContaining({ appointmentId: 'B' })]);
  });

  test('a cancel request with two open appointments asks which one', () => {
    const state = phoneWith(appointment('A', { status: 'CONFIRMED' }), appointment('B'));
    expect(state.receive(inbound('2'), NOW)).toEqual([expect.objectContaining({ kind: 'DISAMBIGUATE' })]);
    expect(state.data.awaitingChoice?.kind).toBe('CANCEL_REQUEST');
  });

  test('appointments never prompted, past or canceled take no replies', () => {
    const state = phoneWith(
      appointment('A', { prompted: false }),
      appointment('B', { start: new Date(NOW - HOUR).toISOString() }),
      appointment('C', { status: 'CANCELED' }),
    );
    expect(state.receive(inbound('yes'), NOW)).toEqual([
      expect.objectContaining({ type: 'text', kind: 'NOT_UNDERSTOOD' }),
    ]);
  });

  test('anything else gets the options; HELP gets help', () => {
    const state = phoneWith(appointment('A'));
    expect(state.receive(inbound('what time?'), NOW)).toEqual([
      expect.objectContaining({ kind: 'NOT_UNDERSTOOD' }),
    ]);
    expect(state.receive(inbound('help'), NOW)).toEqual([expect.objectContaining({ kind: 'HELP' })]);
  });

  test('a webhook delivered twice is read once', () => {
    const state = phoneWith(appointment('A'));
    const text = inbound('yes');
    expect(state.receive(text, NOW)).toHaveLength(1);
    expect(state.receive(text, NOW)).toEqual([]);
  });

  test('STOP tells every appointment on the number, even during a which-one question, and START undoes it', () => {
    const state = phoneWith(appointment('A'), appointment('B'));
    state.receive(inbound('yes'), NOW);
    const stop = state.receive(inbound('STOP'), NOW);
    expect(stop.map((a) => a.type === 'route' && [a.appointmentId, a.reply.kind])).toEqual([
      ['A', 'OPT_OUT'],
      ['B', 'OPT_OUT'],
    ]);
    expect(state.data.optedOut).toBe(true);
    expect(state.data.awaitingChoice).toBeNull();
    // Nothing but HELP is answered while opted out.
    expect(state.receive(inbound('hello'), NOW)).toEqual([]);
    const start = state.receive(inbound('start'), NOW);
    expect(start.every((a) => a.type === 'route' && a.reply.kind === 'OPT_IN')).toBe(true);
    expect(state.data.optedOut).toBe(false);
  });

  test('Spanish replies are read in the language of the appointment', () => {
    const state = phoneWith(appointment('A', { language: 'es' }));
    expect(state.receive(inbound('Sí'), NOW)).toEqual([
      expect.objectContaining({ reply: expect.objectContaining({ kind: 'CONFIRM' }) }),
    ]);
  });
});

describe('phone conversation: reminder allowance', () => {
  test('at most the daily cap per local day; the next day starts afresh', () => {
    const state = phoneWith(appointment('A'));
    const reserve = (key: string, day: string) =>
      state.reserve({ appointmentId: 'A', messageKey: key, localDay: day }, 2);
    expect(reserve('k1', '2026-12-01')).toEqual({ allowed: true });
    expect(reserve('k2', '2026-12-01')).toEqual({ allowed: true });
    expect(reserve('k3', '2026-12-01')).toEqual({ allowed: false, reason: 'DAILY_CAP' });
    expect(reserve('k4', '2026-12-02')).toEqual({ allowed: true });
  });

  test('a retried reservation gets the same answer and does not count twice', () => {
    const state = phoneWith(appointment('A'));
    const reserve = (key: string) =>
      state.reserve({ appointmentId: 'A', messageKey: key, localDay: '2026-12-01' }, 1);
    expect(reserve('k1')).toEqual({ allowed: true });
    expect(reserve('k1')).toEqual({ allowed: true });
    expect(reserve('k2')).toEqual({ allowed: false, reason: 'DAILY_CAP' });
  });

  test('an opted-out number gets no reminders', () => {
    const state = phoneWith(appointment('A'));
    state.receive(inbound('STOP'), NOW);
    expect(state.reserve({ appointmentId: 'A', messageKey: 'k', localDay: '2026-12-01' }, 2)).toEqual({
      allowed: false,
      reason: 'OPTED_OUT',
    });
  });

  test('appointments a week past are forgotten', () => {
    const state = phoneWith(
      appointment('old', { start: new Date(NOW - 8 * 24 * HOUR).toISOString() }),
      appointment('A'),
    );
    expect(state.data.appointments.map((a) => a.appointmentId)).toEqual(['A']);
  });
});

describe('phone conversation: a stale which-one question', () => {
  test('a reminder going out closes it, so "2" is read as a cancel request again', () => {
    const state = phoneWith(appointment('A'), appointment('B'));
    state.receive(inbound('yes'), NOW);
    expect(state.data.awaitingChoice).not.toBeNull();
    state.reserve({ appointmentId: 'A', messageKey: 'rem', localDay: '2026-12-01' }, 2);
    expect(state.data.awaitingChoice).toBeNull();
    expect(state.receive(inbound('2'), NOW)).toEqual([expect.objectContaining({ kind: 'DISAMBIGUATE' })]);
    expect(state.data.awaitingChoice?.kind).toBe('CANCEL_REQUEST');
  });

  test('a new booking text on the number closes it too', () => {
    const state = phoneWith(appointment('A'), appointment('B'));
    state.receive(inbound('yes'), NOW);
    state.link(appointment('C', { prompted: false }), NOW);
    expect(state.data.awaitingChoice).not.toBeNull();
    state.link(appointment('C'), NOW);
    expect(state.data.awaitingChoice).toBeNull();
  });
});

describe('phone conversation: appointments that announce themselves (lean lifecycle)', () => {
  const lean = (): ConversationState =>
    new ConversationState(initialPhoneState('+13035550123'), { assumeRepliesApplied: true });

  test('a lone appointment is linked and told nothing', () => {
    const state = lean();
    expect(state.announce(appointment('A'), NOW)).toEqual([]);
    expect(state.data.appointments.map((a) => a.appointmentId)).toEqual(['A']);
  });

  test('a new appointment on a number that said STOP is told OPT_OUT, once', () => {
    const state = lean();
    state.announce(appointment('A'), NOW);
    state.receive(inbound('STOP'), NOW);
    expect(state.announce(appointment('B', { status: 'CANCELED' }), NOW)).toEqual([
      {
        type: 'route',
        workflowId: 'appointment-B',
        appointmentId: 'B',
        reply: expect.objectContaining({ kind: 'OPT_OUT', messageSid: 'phone-optout-B' }),
      },
    ]);
    // A refresh of an appointment the number already knows brings no second OPT_OUT.
    expect(state.announce(appointment('B', { status: 'CANCELED', prompted: false }), NOW)).toEqual([]);
  });

  test('a second appointment that may still remind makes both shared, each told once', () => {
    const state = lean();
    state.announce(appointment('A'), NOW);
    expect(state.announce(appointment('B'), NOW)).toEqual([
      { type: 'shared', workflowId: 'appointment-A', appointmentId: 'A' },
      { type: 'shared', workflowId: 'appointment-B', appointmentId: 'B' },
    ]);
    expect(state.announce(appointment('B', { prompted: false }), NOW)).toEqual([]);
    expect(state.announce(appointment('C', { status: 'CONFIRMED' }), NOW)).toEqual([
      { type: 'shared', workflowId: 'appointment-C', appointmentId: 'C' },
    ]);
    expect(state.data.sharedNotified).toEqual(['A', 'B', 'C']);
  });

  test('appointments that can no longer remind (closed or past) do not make a number shared', () => {
    const state = lean();
    state.announce(appointment('A'), NOW);
    expect(state.announce(appointment('B', { status: 'CANCELED' }), NOW)).toEqual([]);
    expect(state.announce(appointment('C', { status: 'CANCEL_REQUESTED' }), NOW)).toEqual([]);
    expect(state.announce(appointment('D', { start: new Date(NOW - HOUR).toISOString() }), NOW)).toEqual([]);
  });

  test('a routed reply updates the status known here by the rule the appointment applies', () => {
    const state = lean();
    state.announce(appointment('A'), NOW);
    state.receive(inbound('yes'), NOW);
    expect(state.data.appointments[0]?.status).toBe('CONFIRMED');
    state.receive(inbound('2'), NOW);
    expect(state.data.appointments[0]?.status).toBe('CANCEL_REQUESTED');
  });

  test('runs started before the lean lifecycle keep the linked status until the appointment links again', () => {
    const state = phoneWith(appointment('A'));
    state.receive(inbound('yes'), NOW);
    expect(state.data.appointments[0]?.status).toBe('BOOKED');
  });
});

describe('phone conversation: a cancel request taken back, open questions kept (rules 2)', () => {
  test('"YES" on a number whose only open appointment has a cancel request confirms it, not "not understood"', () => {
    const state = phoneWith(appointment('A', { status: 'CANCEL_REQUESTED' }));
    expect(state.receive(inbound('yes'), NOW)).toEqual([
      expect.objectContaining({
        type: 'route',
        appointmentId: 'A',
        reply: expect.objectContaining({ kind: 'CONFIRM' }),
      }),
    ]);
  });

  test('"YES" still prefers an appointment waiting for its first answer over one with a cancel request', () => {
    const state = phoneWith(appointment('A', { status: 'CANCEL_REQUESTED' }), appointment('B'));
    expect(state.receive(inbound('yes'), NOW)).toEqual([expect.objectContaining({ appointmentId: 'B' })]);
  });

  test('runs on the first rules answer "not understood" as before (their histories replay)', () => {
    const state = new ConversationState(initialPhoneState('+13035550123'), { rules: FIRST_RULES });
    state.link(appointment('A', { status: 'CANCEL_REQUESTED' }), NOW);
    expect(state.receive(inbound('yes'), NOW)).toEqual([
      expect.objectContaining({ type: 'text', kind: 'NOT_UNDERSTOOD' }),
    ]);
  });

  /** A, B and C share the number; "yes" asked which of A and B (C is confirmed). */
  function askedWhichOne(): ConversationState {
    const state = phoneWith(
      appointment('A'),
      appointment('B', { start: new Date(NOW + 72 * HOUR).toISOString() }),
      appointment('C', { status: 'CONFIRMED', start: new Date(NOW + 96 * HOUR).toISOString() }),
    );
    expect(state.receive(inbound('yes'), NOW)).toEqual([expect.objectContaining({ kind: 'DISAMBIGUATE' })]);
    return state;
  }

  test('a reminder refused by the daily cap leaves the which-one question open', () => {
    const state = askedWhichOne();
    state.reserve({ appointmentId: 'A', messageKey: 'k0', localDay: '2026-12-01' }, 0);
    expect(state.data.awaitingChoice?.options).toEqual(['A', 'B']);
    expect(state.receive(inbound('2'), NOW)).toEqual([
      expect.objectContaining({ appointmentId: 'B', reply: expect.objectContaining({ kind: 'CONFIRM' }) }),
    ]);
  });

  test('a reminder refused because the number opted out leaves the which-one question open', () => {
    const state = askedWhichOne();
    state.data.optedOut = true;
    expect(state.reserve({ appointmentId: 'B', messageKey: 'k1', localDay: '2026-12-01' }, 2)).toEqual({
      allowed: false,
      reason: 'OPTED_OUT',
    });
    expect(state.data.awaitingChoice?.options).toEqual(['A', 'B']);
  });

  test("another appointment's reminder leaves the which-one question open; a listed one's closes it", () => {
    const state = askedWhichOne();
    state.reserve({ appointmentId: 'C', messageKey: 'kc', localDay: '2026-12-01' }, 2);
    expect(state.data.awaitingChoice?.options).toEqual(['A', 'B']);
    state.reserve({ appointmentId: 'A', messageKey: 'ka', localDay: '2026-12-01' }, 2);
    expect(state.data.awaitingChoice).toBeNull();
  });

  test('on the first rules any reservation closed the question', () => {
    const state = new ConversationState(initialPhoneState('+13035550123'), { rules: FIRST_RULES });
    state.link(appointment('A'), NOW);
    state.link(appointment('B', { start: new Date(NOW + 72 * HOUR).toISOString() }), NOW);
    state.receive(inbound('yes'), NOW);
    state.reserve({ appointmentId: 'A', messageKey: 'k0', localDay: '2026-12-01' }, 0);
    expect(state.data.awaitingChoice).toBeNull();
  });
});

describe('phone conversation: an appointment that moved to another number', () => {
  test('is forgotten: replies and STOP no longer reach it, and a question that listed it is closed', () => {
    const state = phoneWith(
      appointment('A'),
      appointment('B', { start: new Date(NOW + 72 * HOUR).toISOString() }),
    );
    expect(state.receive(inbound('yes'), NOW)).toEqual([expect.objectContaining({ kind: 'DISAMBIGUATE' })]);
    state.forget('B');
    expect(state.data.awaitingChoice).toBeNull();
    expect(state.receive(inbound('STOP'), NOW)).toEqual([expect.objectContaining({ appointmentId: 'A' })]);
    expect(state.data.appointments.map((a) => a.appointmentId)).toEqual(['A']);
  });
});

describe('phone conversation: the daily cap counts texts that went out', () => {
  test('a granted reminder that was dropped or failed is given back and frees its place', () => {
    const state = phoneWith(appointment('A'), appointment('B'));
    const reserve = (key: string) =>
      state.reserve({ appointmentId: 'A', messageKey: key, localDay: '2026-12-01' }, 1);
    expect(reserve('k1')).toEqual({ allowed: true });
    expect(reserve('k2')).toEqual({ allowed: false, reason: 'DAILY_CAP' });
    state.release('k1');
    expect(reserve('k3')).toEqual({ allowed: true });
    // Releasing twice, or a refused or unknown reservation, changes nothing.
    state.release('k1');
    state.release('k2');
    state.release('nope');
    expect(reserve('k4')).toEqual({ allowed: false, reason: 'DAILY_CAP' });
  });

  test('a cap of 0 sends no reminders at all', () => {
    const state = phoneWith(appointment('A'), appointment('B'));
    expect(state.reserve({ appointmentId: 'A', messageKey: 'k', localDay: '2026-12-01' }, 0)).toEqual({
      allowed: false,
      reason: 'DAILY_CAP',
    });
  });
});

describe('phone conversation: replies are read in the language of the last prompt (rules 3)', () => {
  // B, further ahead and already confirmed, leaves A the only appointment a "yes" can answer.
  const later = { start: new Date(NOW + 96 * HOUR).toISOString(), status: 'CONFIRMED' as const };

  test('a reply on a shared phone is read in the language of the last booking text, not the furthest appointment', () => {
    // B (English, further ahead) was booked first; A's Spanish booking text is the last prompt.
    const state = phoneWith(appointment('B', later), appointment('A', { language: 'es' }));
    expect(state.language()).toBe('es');
    expect(state.receive(inbound('Sí'), NOW)).toEqual([
      expect.objectContaining({ appointmentId: 'A', reply: expect.objectContaining({ kind: 'CONFIRM' }) }),
    ]);
  });

  test('a reminder granted on the number becomes the last prompt', () => {
    const state = phoneWith(appointment('A', { language: 'es' }), appointment('B', later));
    expect(state.language()).toBe('en');
    state.reserve({ appointmentId: 'A', messageKey: 'A:r1', localDay: '2026-12-02' }, 2);
    expect(state.language()).toBe('es');
  });

  test('a refused reminder was never sent, so it is not the last prompt', () => {
    const state = phoneWith(appointment('A', { language: 'es' }), appointment('B', later));
    state.reserve({ appointmentId: 'A', messageKey: 'A:r1', localDay: '2026-12-02' }, 0);
    expect(state.language()).toBe('en');
  });

  test('answers (help, not understood) go out in the language of the last prompt', () => {
    const state = phoneWith(appointment('B', later), appointment('A', { language: 'es' }));
    expect(state.receive(inbound('hola'), NOW)).toEqual([
      expect.objectContaining({ type: 'text', kind: 'NOT_UNDERSTOOD' }),
    ]);
    expect(state.language()).toBe('es');
  });

  test('an appointment linked again without a new prompt does not change the language', () => {
    const state = phoneWith(appointment('B', later), appointment('A', { language: 'es' }));
    state.link(appointment('B', { ...later, status: 'CANCEL_REQUESTED' }), NOW);
    expect(state.language()).toBe('es');
  });

  test('runs on rules 2 read replies in the furthest appointment’s language (their histories replay)', () => {
    const state = new ConversationState(initialPhoneState('+13035550123'), { rules: 2 });
    state.link(appointment('B', later), NOW);
    state.link(appointment('A', { language: 'es' }), NOW);
    expect(state.receive(inbound('Sí'), NOW)).toEqual([
      expect.objectContaining({ type: 'text', kind: 'NOT_UNDERSTOOD' }),
    ]);
  });
});

describe('phone conversation: it ends when it has nothing left to do (rules 3)', () => {
  const DAY = 24 * HOUR;

  test('a day after the last link, once every appointment open for replies has started', () => {
    const state = phoneWith(appointment('A', { start: new Date(NOW + 3 * DAY).toISOString() }));
    expect(state.idleAtMs()).toBe(NOW + 3 * DAY);
    expect(state.isIdle(NOW + 3 * DAY - 1)).toBe(false);
    expect(state.isIdle(NOW + 3 * DAY)).toBe(true);
  });

  test('a reply keeps it a day longer', () => {
    const state = phoneWith(appointment('A', { start: new Date(NOW + HOUR).toISOString() }));
    expect(state.idleAtMs()).toBe(NOW + DAY);
    state.receive(inbound('thanks'), NOW + 20 * HOUR);
    expect(state.idleAtMs()).toBe(NOW + 44 * HOUR);
  });

  test('cancelled, no-show and completed appointments hold nothing', () => {
    const far = new Date(NOW + 10 * DAY).toISOString();
    const state = phoneWith(
      appointment('A', { status: 'CANCELED', start: far }),
      appointment('B', { status: 'NOSHOWED', start: far }),
      appointment('C', { status: 'COMPLETED', start: far }),
    );
    expect(state.idleAtMs()).toBe(NOW + DAY);
  });

  test('a cancel request is still open for a "yes": it holds the conversation until its start', () => {
    const state = phoneWith(
      appointment('A', { status: 'CANCEL_REQUESTED', start: new Date(NOW + 5 * DAY).toISOString() }),
    );
    expect(state.idleAtMs()).toBe(NOW + 5 * DAY);
  });

  test('an open which-one question holds it until the question expires', () => {
    const soon = new Date(NOW + HOUR).toISOString();
    const state = phoneWith(appointment('A', { start: soon }), appointment('B', { start: soon }));
    state.receive(inbound('yes'), NOW + 30 * MINUTE);
    expect(state.data.awaitingChoice).not.toBeNull();
    expect(state.idleAtMs()).toBe(NOW + 30 * MINUTE + DAY);
  });

  test('a conversation that never saw anything is idle at once', () => {
    expect(new ConversationState(initialPhoneState('+13035550123')).isIdle(NOW)).toBe(true);
  });
});
