/**
 * Patients' replies reaching the EHR, on the time-skipping server with real activities: signed, once
 * per reply through 503s, a cancel request taken back, and before the reply's acknowledgement text is out.
 * The rest of two-way SMS: twoWaySms.test.ts.
 */
import { verifySignature } from '../../src/activities/ehrCallback';
import { ehrEventSignal } from '../../src/shared/appointment';
import { envelope, event, HOUR } from '../helpers/appointmentHarness';
import { iso, sentKinds, SECRET, useTwoWaySms, type Activities } from '../helpers/twoWaySms';

jest.setTimeout(120_000);

const sms = useTwoWaySms();
const { suite, startEhr, world } = sms;

describe('two-way SMS', () => {
  test('"yes" confirms, acknowledges, and reaches the EHR once, signed; the EHR\'s own CONFIRMED texts nobody again', async () => {
    const ehr = await startEhr();
    try {
      await world(ehr.url, async (w) => {
        const t0 = await suite.env.currentTimeMs();
        const handle = await w.book('R1', t0 + 72 * HOUR);
        await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
        await w.reply(' yes ');
        const v = await w.until(
          handle,
          (x) => x.callbacks[0]?.status === 'DELIVERED' && sentKinds(x).includes('REPLY_CONFIRMED'),
        );
        expect(v.status).toBe('CONFIRMED');
        const received = await ehr.store.list();
        expect(received).toHaveLength(1);
        expect(received[0]?.body).toMatchObject({
          event_type: 'CONFIRM',
          appointment_id: 'R1',
          patient_id: 'P-R1',
          reply_text: ' yes ',
        });
        expect(
          verifySignature(
            JSON.stringify(received[0]?.body),
            String(received[0]?.headers['x-signature']),
            SECRET,
          ),
        ).toBe(true);

        await handle.signal(
          ehrEventSignal,
          envelope(
            event({
              appointmentId: 'R1',
              eventType: 'CONFIRMED',
              start: iso(t0 + 72 * HOUR),
              eventAt: iso(t0 + 60_000),
              patient: { id: 'P-R1', phone: sms.phone, language: 'en' },
            }),
          ),
        );
        const after = await w.until(handle, (x) => x.lastEventAt === iso(t0 + 60_000));
        expect(sentKinds(after)).toEqual(['BOOKED', 'REPLY_CONFIRMED']);
      });
    } finally {
      await ehr.close();
    }
  });

  test('an EHR failing 503 three times then 200 gets one logical delivery with one Idempotency-Key', async () => {
    const ehr = await startEhr(3);
    try {
      await world(ehr.url, async (w) => {
        const t0 = await suite.env.currentTimeMs();
        const handle = await w.book('R2', t0 + 72 * HOUR);
        await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
        await w.reply('2');
        await w.until(handle, (x) => x.status === 'CANCEL_REQUESTED');
        // Retry backoff is server time: let the time-skipping server move past 5 s + 10 s + 20 s.
        await suite.env.sleep(2 * 60_000);
        const v = await w.until(handle, (x) => x.callbacks[0]?.status === 'DELIVERED');
        expect(v.status).toBe('CANCEL_REQUESTED');
        expect(v.reminders.every((r) => r.status !== 'PENDING')).toBe(true);
        expect(ehr.requests).toHaveLength(4);
        expect(new Set(ehr.requests).size).toBe(1);
        const received = await ehr.store.list();
        expect(received.map((c) => c.body.event_type)).toEqual(['CANCEL']);
      });
    } finally {
      await ehr.close();
    }
  });

  test('"YES" after "2" takes the cancel request back: CONFIRMED, reminders resume, the EHR gets CANCEL then CONFIRM', async () => {
    const ehr = await startEhr();
    try {
      await world(ehr.url, async (w) => {
        const t0 = await suite.env.currentTimeMs();
        const handle = await w.book('R10', t0 + 72 * HOUR);
        await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
        await w.reply('2');
        await w.until(
          handle,
          (x) => x.status === 'CANCEL_REQUESTED' && x.callbacks[0]?.status === 'DELIVERED',
        );
        await w.reply('yes');
        const v = await w.until(
          handle,
          (x) =>
            x.status === 'CONFIRMED' &&
            sentKinds(x).includes('REPLY_CONFIRMED') &&
            x.callbacks.every((c) => c.status === 'DELIVERED'),
        );
        expect(v.reminders.filter((r) => r.status === 'PENDING')).toHaveLength(2);
        const received = await ehr.store.list();
        expect(received.map((c) => c.body.event_type)).toEqual(['CANCEL', 'CONFIRM']);
        // Never the "didn't understand" loop.
        expect(await w.texts()).not.toContainEqual(expect.stringMatching(/understand/i));
      });
    } finally {
      await ehr.close();
    }
  });

  test('the EHR hears of a reply while its acknowledgement text is still on its way (rules 3)', async () => {
    const ehr = await startEhr();
    let releaseAck: () => void = () => undefined;
    const ackReleased = new Promise<void>((resolve) => (releaseAck = resolve));
    const slowAck = (activities: Activities): Activities => ({
      ...activities,
      async sendText(request) {
        if (request.kind === 'REPLY_CONFIRMED') await ackReleased;
        return activities.sendText(request);
      },
    });
    try {
      await world(
        ehr.url,
        async (w) => {
          const t0 = await suite.env.currentTimeMs();
          const handle = await w.book('EHR1', t0 + 72 * HOUR);
          await w.until(handle, (v) => sentKinds(v).includes('BOOKED'));
          await w.phoneKnowsPrompted(1);
          await w.reply('yes');
          try {
            for (let i = 0; i < 200 && ehr.requests.length === 0; i++) {
              await new Promise((r) => setTimeout(r, 50));
            }
            expect(ehr.requests).toHaveLength(1);
            expect(await w.texts()).toHaveLength(1);
          } finally {
            releaseAck();
          }
          const v = await w.until(
            handle,
            (x) => x.callbacks[0]?.status === 'DELIVERED' && sentKinds(x).includes('REPLY_CONFIRMED'),
          );
          expect(v.status).toBe('CONFIRMED');
        },
        slowAck,
      );
    } finally {
      await ehr.close();
    }
  });
});
