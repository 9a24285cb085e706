/**
 * Twilio's delivery reports (deliveryReports.ts): never lost, never moving a text back.
 */
import { FIRST_RULES } from '../../../../src/shared/rulesVersion';
import { NOW, envelope, fresh, booked, bookedAndSent } from './fixtures';

describe('AppointmentState: delivery reports are never lost (rules 2)', () => {
  it('a report that arrives before the send is recorded is kept and applied when it is', () => {
    const state = booked();
    const [text] = state.pendingMessages();
    expect(state.recordDelivery({ messageSid: 'SMearly', status: 'delivered' })).toBe(true);
    expect(state.data.messages[0]?.status).toBe('PENDING');
    state.recordSent(text?.key ?? '', { sid: 'SMearly', status: 'queued' }, NOW);
    expect(state.data.messages[0]?.status).toBe('DELIVERED');
    expect(state.data.earlyDeliveries).toEqual([]);
  });

  it('an early report keeps its most advanced status, and the kept ones are bounded', () => {
    const state = booked();
    state.recordDelivery({ messageSid: 'SMx', status: 'delivered' });
    expect(state.recordDelivery({ messageSid: 'SMx', status: 'sent' })).toBe(false);
    for (let i = 0; i < 30; i++) state.recordDelivery({ messageSid: `SM${i}`, status: 'sent' });
    expect(state.data.earlyDeliveries).toHaveLength(20);
  });

  it('DELIVERED is final against a late UNDELIVERED or FAILED of the same text', () => {
    for (const late of ['undelivered', 'failed']) {
      const state = bookedAndSent();
      const sid = state.data.messages[0]?.sid ?? '';
      state.recordDelivery({ messageSid: sid, status: 'delivered' });
      expect(state.recordDelivery({ messageSid: sid, status: late, errorCode: 30003 })).toBe(false);
      expect(state.view().messages[0]).toEqual(expect.objectContaining({ status: 'DELIVERED' }));
      expect(state.view().messages[0]?.error).toBeUndefined();
    }
  });

  it('UNDELIVERED then DELIVERED ends DELIVERED, without the earlier error', () => {
    const state = bookedAndSent();
    const sid = state.data.messages[0]?.sid ?? '';
    state.recordDelivery({ messageSid: sid, status: 'undelivered', errorCode: 30003 });
    expect(state.recordDelivery({ messageSid: sid, status: 'delivered' })).toBe(true);
    expect(state.view().messages[0]?.status).toBe('DELIVERED');
    expect(state.view().messages[0]?.error).toBeUndefined();
  });

  it('runs on the first rules drop an early report (their histories replay)', () => {
    const state = fresh(FIRST_RULES);
    state.applyEvent(envelope('BOOKED'), NOW);
    expect(state.recordDelivery({ messageSid: 'SMearly', status: 'delivered' })).toBe(false);
    expect(state.data.earlyDeliveries).toBeUndefined();
  });
});
