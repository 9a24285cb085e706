import { isLoopbackAddress } from '../../../src/sandbox/loopbackOnly';

describe('isLoopbackAddress', () => {
  test.each(['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])(
    '%s is this machine',
    (address) => {
      expect(isLoopbackAddress(address)).toBe(true);
    },
  );

  test.each([
    '192.0.2.2',
    '10.0.0.1',
    '::ffff:192.0.2.2',
    'fd00::2',
    '::',
    '::2',
    '1::1',
    '128.0.0.1',
    'localhost',
    '',
  ])('%s is not', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });

  test('no address (a closed socket) is not', () => {
    expect(isLoopbackAddress(undefined)).toBe(false);
  });
});
