/** Twilio's webhook connection overrides as the sandbox reads them from a StatusCallback URL's fragment. */
import { connectionOverrides } from '../../../src/sandbox/twilioStatusCallbacks';

const URL = 'https://clinic.example.org/v1/twilio/status?appointmentId=A1';

describe('sandbox connectionOverrides', () => {
  test('the fragment is cut off the URL that is requested and signed; the query stays as it was', () => {
    expect(connectionOverrides(`${URL}#rc=5&rp=all`).url).toBe(URL);
    expect(connectionOverrides(URL).url).toBe(URL);
  });

  test('without overrides Twilio’s defaults apply: one retry, only when it cannot connect', () => {
    const overrides = connectionOverrides(URL);
    expect(overrides.retries).toBe(1);
    expect([...overrides.policy]).toEqual(['ct']);
    expect(overrides.totalTimeMs).toBe(15_000);
  });

  test('rc is capped at 5, rp=all names every class, a list names its members, unknown entries are ignored', () => {
    const all = connectionOverrides(`${URL}#rc=9&rp=all`);
    expect(all.retries).toBe(5);
    expect([...all.policy].sort()).toEqual(['4xx', '5xx', 'ct', 'rt']);

    const some = connectionOverrides(`${URL}#rc=3&rp=ct,rt,5xx,bogus&ct=1000&e=dublin`);
    expect(some.retries).toBe(3);
    expect([...some.policy].sort()).toEqual(['5xx', 'ct', 'rt']);
    expect(connectionOverrides(`${URL}#rc=0&rp=all`).retries).toBe(0);
  });

  test('tt bounds the total time within Twilio’s 100-15000 ms', () => {
    expect(connectionOverrides(`${URL}#tt=2000`).totalTimeMs).toBe(2000);
    expect(connectionOverrides(`${URL}#tt=60000`).totalTimeMs).toBe(15_000);
    expect(connectionOverrides(`${URL}#tt=5`).totalTimeMs).toBe(100);
  });
});
