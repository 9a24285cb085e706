/**
 * The patient's replies (patientReplies.ts): confirm, cancel request (and taking it back),
 * opt-out by text, callbacks to the EHR, and prompts to a new number.
 */
import type { AppointmentState } from '../../../../src/domain/appointment/appointmentState';
import { FIRST_RULES, type RulesVersion } from '../../../../src/shared/rulesVersion';
import {
  HOUR_MS,
  NOW,
  START_MS,
  FIRST_SEND,
  SECOND_SEND,
  iso,
  envelope,
  fresh,
  bookedAndSent,
  pendingKinds,
  activeReminders,
  sendAll,
  reply,
} from './fixtures';

describe('AppointmentState: patient replies', () => {
  it('a confirm sets CONFIRMED, acknowledges once and queues one CONFIRM callback with a fixed body', () => {
    const state = bookedAndSent();
    expect(state.applyPatientReply(reply('CONFIRM'), NOW)).toBe(true);
    expect(state.applyPatientReply(reply('CONFIRM'), NOW)).toBe(false);
    expect(state.data.status).toBe('CONFIRMED');
    expect(pendingKinds(state)).toEqual(['REPLY_CONFIRMED']);
    expect(state.pendingCallbacks()).toEqual([
      expect.objectContaining({
        key: 'A1:SM-CONFIRM:CONFIRM',
        type: 'CONFIRM',
        patientId: 'P1',
        replyText: 'yes',
      }),
    ]);
    // The EHR's own confirmation afterwards texts nobody again.
    sendAll(state, NOW);
    state.applyEvent(envelope('CONFIRMED'), NOW);
    expect(state.pendingMessages()).toEqual([]);
  });

  it('a cancel request stops reminders, acknowledges and queues a CANCEL callback', () => {
    const state = bookedAndSent();
    state.applyPatientReply(reply('CANCEL_REQUEST'), NOW);
    expect(state.data.status).toBe('CANCEL_REQUESTED');
    expect(activeReminders(state)).toEqual([]);
    expect(pendingKinds(state)).toEqual(['REPLY_CANCEL_REQUESTED']);
    expect(state.pendingCallbacks().map((c) => c.type)).toEqual(['CANCEL']);
  });

  it('the workflow cannot finish while a callback is still on its way to the EHR', () => {
    const state = bookedAndSent();
    state.applyPatientReply(reply('CONFIRM'), NOW);
    sendAll(state, NOW);
    const late = START_MS + 100 * HOUR_MS;
    expect(state.isFinished(late)).toBe(false);
    state.recordCallbackDelivered('A1:SM-CONFIRM:CONFIRM', NOW);
    expect(state.isFinished(late)).toBe(true);
  });

  it('an opt-out by text stops reminders and later texts; opt-in re-plans', () => {
    const state = bookedAndSent();
    state.applyPatientReply(reply('OPT_OUT'), NOW);
    expect(state.data.optedOut).toBe(true);
    expect(activeReminders(state)).toEqual([]);
    state.applyPatientReply(reply('OPT_IN'), NOW);
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
  });

  it('delivery reports only move a text forward', () => {
    const state = bookedAndSent();
    const sid = state.data.messages[0]?.sid ?? '';
    expect(state.recordDelivery({ messageSid: sid, status: 'delivered' })).toBe(true);
    expect(state.recordDelivery({ messageSid: sid, status: 'sent' })).toBe(false);
    expect(state.data.messages[0]?.status).toBe('DELIVERED');
    // A report for a text not recorded (yet) changes no message; since rules 2 it is kept for later.
    expect(state.recordDelivery({ messageSid: 'SMunknown', status: 'delivered' })).toBe(true);
    expect(state.data.messages.map((m) => m.status)).toEqual(['DELIVERED']);
  });

  it('an undelivered report records the carrier error', () => {
    const state = bookedAndSent();
    const sid = state.data.messages[0]?.sid ?? '';
    state.recordDelivery({ messageSid: sid, status: 'undelivered', errorCode: 30003 });
    expect(state.view().messages[0]).toMatchObject({
      status: 'UNDELIVERED',
      error: 'SmsDeliveryFailure:30003',
    });
  });
});

describe('AppointmentState: a cancel request the clinic or the patient takes back (rules 2)', () => {
  /** Booked, texted, then the patient replied "2". */
  function cancelRequested(rules?: RulesVersion): AppointmentState {
    const state = fresh(rules);
    state.applyEvent(envelope('BOOKED', { eventId: 'book-1' }), NOW);
    sendAll(state, NOW);
    state.applyPatientReply(reply('CANCEL_REQUEST'), NOW);
    sendAll(state, NOW);
    expect(state.data.status).toBe('CANCEL_REQUESTED');
    expect(activeReminders(state)).toEqual([]);
    return state;
  }

  it('an EHR CONFIRMED after "2" restores CONFIRMED with its remaining reminders', () => {
    const state = cancelRequested();
    state.applyEvent(envelope('CONFIRMED'), NOW + HOUR_MS);
    expect(state.data.status).toBe('CONFIRMED');
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
    expect(pendingKinds(state)).toEqual(['CONFIRMED']);
  });

  it('a BOOKED with the same start after "2" restores BOOKED with its remaining reminders, without a text', () => {
    const state = cancelRequested();
    // The first reminder's time has passed by then: only the second is planned again.
    const later = Date.parse(FIRST_SEND) + HOUR_MS;
    state.applyEvent(envelope('BOOKED'), later);
    expect(state.data.status).toBe('BOOKED');
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([SECOND_SEND]);
    expect(pendingKinds(state)).toEqual([]);
  });

  it('a RESCHEDULED with the same start after "2" restores BOOKED with its reminders', () => {
    const state = cancelRequested();
    state.applyEvent(envelope('RESCHEDULED'), NOW + HOUR_MS);
    expect(state.data.status).toBe('BOOKED');
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
  });

  it('"YES" after "2" confirms: reminders resume, the EHR gets CONFIRM after CANCEL, the patient an acknowledgement', () => {
    const state = cancelRequested();
    expect(state.applyPatientReply(reply('CONFIRM'), NOW + HOUR_MS)).toBe(true);
    expect(state.data.status).toBe('CONFIRMED');
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
    expect(state.pendingCallbacks().map((c) => c.type)).toEqual(['CANCEL', 'CONFIRM']);
    expect(pendingKinds(state)).toEqual(['REPLY_CONFIRMED']);
  });

  it('START after "2" plans no reminders (reply or EHR OPTED-IN)', () => {
    const byReply = cancelRequested();
    byReply.applyPatientReply(reply('OPT_OUT'), NOW);
    byReply.applyPatientReply(reply('OPT_IN'), NOW);
    expect(byReply.data.optedOut).toBe(false);
    expect(activeReminders(byReply)).toEqual([]);

    const byEvent = cancelRequested();
    byEvent.applyEvent(envelope('OPTED-OUT'), NOW);
    byEvent.applyEvent(envelope('OPTED-IN'), NOW);
    expect(byEvent.data.optedOut).toBe(false);
    expect(byEvent.data.status).toBe('CANCEL_REQUESTED');
    expect(activeReminders(byEvent)).toEqual([]);
  });

  it.each(['CANCELED', 'NOSHOWED'] as const)('START after %s plans no reminders', (closing) => {
    const state = bookedAndSent();
    state.applyEvent(envelope(closing), NOW);
    state.applyPatientReply(reply('OPT_OUT'), NOW);
    state.applyPatientReply(reply('OPT_IN'), NOW);
    state.applyEvent(envelope('OPTED-OUT'), NOW);
    state.applyEvent(envelope('OPTED-IN'), NOW);
    expect(activeReminders(state)).toEqual([]);
    expect(state.data.status).toBe(closing);
  });

  it('runs on the first rules keep the old behaviour (their histories replay)', () => {
    const state = cancelRequested(FIRST_RULES);
    state.applyPatientReply(reply('CONFIRM'), NOW);
    expect(state.data.status).toBe('CANCEL_REQUESTED');
    state.applyEvent(envelope('BOOKED'), NOW);
    expect(state.data.status).toBe('CANCEL_REQUESTED');
    expect(activeReminders(state)).toEqual([]);
  });
});

describe('AppointmentState: a new phone number moves the appointment (rules 2)', () => {
  it("the new number is not prompted until a prompt reaches it, and the old number's STOP does not bind it", () => {
    const state = bookedAndSent();
    expect(state.prompted()).toBe(true);
    state.applyPatientReply(
      { kind: 'OPT_OUT', messageSid: 'SMstop', replyText: 'STOP', receivedAt: iso(NOW) },
      NOW,
    );
    expect(activeReminders(state)).toEqual([]);
    state.applyEvent(envelope('MODIFIED', { phone: '+13035550999' }), NOW + HOUR_MS);
    expect(state.prompted()).toBe(false);
    expect(state.data.optedOut).toBe(false);
    expect(activeReminders(state).map((r) => r.sendAt)).toEqual([FIRST_SEND, SECOND_SEND]);
    // The "updated" text reaches the new number; only a booking text or reminder makes it prompted.
    sendAll(state, NOW + HOUR_MS);
    expect(state.data.messages.at(-1)).toMatchObject({ kind: 'MODIFIED', to: '+13035550999' });
    expect(state.prompted()).toBe(false);
  });

  it('on the first rules a prompt to any number counted and an opt-out stayed', () => {
    const state = fresh(FIRST_RULES);
    state.applyEvent(envelope('BOOKED'), NOW);
    sendAll(state, NOW);
    state.applyPatientReply(
      { kind: 'OPT_OUT', messageSid: 'SMstop', replyText: 'STOP', receivedAt: iso(NOW) },
      NOW,
    );
    state.applyEvent(envelope('MODIFIED', { phone: '+13035550999' }), NOW + HOUR_MS);
    expect(state.prompted()).toBe(true);
    expect(state.data.optedOut).toBe(true);
  });
});
