import os from 'node:os';

export { freePort } from '../../src/ports';

/** An IPv4 address of this machine that is not loopback, for tests of what answers only loopback. */
export function nonLoopbackAddress(): string {
  const address = Object.values(os.networkInterfaces())
    .flat()
    .find((info) => info !== undefined && !info.internal && info.family === 'IPv4');
  if (!address) throw new Error('this test needs a non-loopback IPv4 interface');
  return address.address;
}
