/** The fault suite's arithmetic: each figure it asserts to be 0 does count what it names (so the suite can fail). */
import { callbackFigures, figures, statusFigures, textFigures } from './ledger';

const A = '+13035550001';
const B = '+13035550002';

describe('the fault ledger', () => {
  test('a phone short of a text is a loss; the same text twice is a duplicate; other phones are ignored', () => {
    const expected = new Map([
      [A, 2],
      [B, 1],
    ]);
    const texts = [
      { to: A, body: 'booked' },
      { to: A, body: 'booked' },
      { to: B, body: 'booked' },
      { to: B, body: 'reminder' },
      { to: '+13035550999', body: 'booked' },
    ];
    expect(textFigures(expected, texts)).toEqual({ textsLost: 1, textsDuplicated: 1, unexpected: 1 });
    expect(textFigures(expected, [])).toEqual({ textsLost: 3, textsDuplicated: 0, unexpected: 0 });
  });

  test('a text without a final report is stuck; a failed one is counted as failed; skipped texts are final', () => {
    const outcome = {
      appointmentId: 'A1',
      messages: [
        { kind: 'BOOKED', status: 'DELIVERED' },
        { kind: 'REMINDER', status: 'QUEUED', sid: 'SM1' },
        { kind: 'REMINDER', status: 'SKIPPED' },
        { kind: 'CONFIRMED', status: 'FAILED' },
      ],
      callbacks: [{ type: 'CONFIRM', status: 'PENDING' }],
    };
    expect(statusFigures([outcome])).toEqual({
      statusesStuck: 1,
      textsFailed: 1,
      callbacksUndelivered: 1,
      stuck: ['A1 REMINDER QUEUED SM1'],
    });
  });

  test('a reply the EHR never got is lost; one it got under two keys is delivered twice', () => {
    const expected = new Map([
      ['A1', 'CONFIRM'],
      ['A2', 'CONFIRM'],
    ]);
    const received = [
      { appointmentId: 'A1', eventType: 'CONFIRM' },
      { appointmentId: 'A1', eventType: 'CONFIRM' },
      { appointmentId: 'A1', eventType: 'CANCEL' },
      { appointmentId: 'OTHER', eventType: 'CONFIRM' },
    ];
    expect(callbackFigures(expected, received)).toEqual({
      callbacksLost: 1,
      callbacksTwice: 1,
      unexpected: 1,
    });
  });

  test('the five figures take the worse of what the phones and the appointments show', () => {
    const result = figures(
      { textsPerPhone: new Map([[A, 1]]), callbacks: new Map([['A1', 'CONFIRM']]) },
      [{ to: A, body: 'booked' }],
      [
        {
          appointmentId: 'A1',
          messages: [{ kind: 'BOOKED', status: 'FAILED' }],
          callbacks: [{ type: 'CONFIRM', status: 'REJECTED' }],
        },
      ],
      [{ appointmentId: 'A1', eventType: 'CONFIRM' }],
    );
    expect(result.figures).toEqual({
      textsLost: 1,
      textsDuplicated: 0,
      statusesStuck: 0,
      callbacksLost: 1,
      callbacksTwice: 0,
    });
  });
});
