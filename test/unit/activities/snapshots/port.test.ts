/**
 * Object keys and appointment-id encoding (src/activities/snapshots/port.ts): the layout every snapshot
 * store shares, and ids that can never act as path syntax.
 */
import path from 'node:path';
import {
  InvalidSnapshotError,
  decodeAppointmentId,
  encodeAppointmentId,
  objectKey,
  parseHistoryFileName,
} from '../../../../src/activities/snapshots/port';

describe('objectKey and id encoding', () => {
  it('lays out current and history keys as in ARCHITECTURE §8, with zero-padded history versions', () => {
    expect(objectKey.current('clinic1', 'A123')).toBe('clinic1/appointments/A123.json');
    expect(objectKey.historyPrefix('clinic1', 'A123')).toBe('clinic1/history/A123/');
    expect(objectKey.history('clinic1', 'A123', 7)).toBe('clinic1/history/A123/0000000007.json');
    expect(objectKey.history('clinic1', 'A123', 12345678901)).toBe('clinic1/history/A123/12345678901.json');
  });

  it('orders zero-padded history names numerically even when sorted as text', () => {
    const names = [2, 10, 1, 100, 9].map((v) => path.posix.basename(objectKey.history('c', 'a', v)));
    expect([...names].sort().map((name) => parseHistoryFileName(name))).toEqual([1, 2, 9, 10, 100]);
  });

  it('reads back only canonical history file names', () => {
    expect(parseHistoryFileName('0000000042.json')).toBe(42);
    expect(parseHistoryFileName('42.json')).toBeUndefined();
    expect(parseHistoryFileName('0000000042.json.tmp')).toBeUndefined();
    expect(parseHistoryFileName('abc.json')).toBeUndefined();
  });

  it.each([
    '..',
    '.',
    '../../../x',
    'a/b',
    '/etc/passwd',
    'a\\b',
    '..\\..\\x',
    '%2e%2e',
    'a b',
    'é/ü',
    'x\u0000y',
    '~root',
  ])('encodes %j as one safe, reversible segment', (id) => {
    const encoded = encodeAppointmentId(id);
    expect(encoded).toMatch(/^[A-Za-z0-9_%-]+$/);
    expect(encoded).not.toMatch(/^\.+$/);
    expect(decodeAppointmentId(encoded)).toBe(id);
  });

  it('keeps distinct ids distinct (no two ids share a key)', () => {
    const ids = ['a/b', 'a%2Fb', 'a%252Fb', 'a.b', 'a%2Eb', 'A.B'];
    expect(new Set(ids.map(encodeAppointmentId)).size).toBe(ids.length);
  });

  it.each([
    ['an empty appointment id', () => objectKey.current('clinic1', '')],
    ['a lone surrogate in the id', () => objectKey.current('clinic1', 'a\ud800')],
    ['an over-long id', () => objectKey.current('clinic1', 'é'.repeat(40))],
    ['a customer code with path syntax', () => objectKey.current('../../../clinic', 'a')],
    ['an upper-case customer code', () => objectKey.current('Clinic', 'a')],
    ['a negative version', () => objectKey.history('clinic1', 'a', -1)],
    ['a fractional version', () => objectKey.history('clinic1', 'a', 1.5)],
    ['an unsafe integer version', () => objectKey.history('clinic1', 'a', 2 ** 53)],
  ])('rejects %s', (_label, build) => {
    expect(build).toThrow(InvalidSnapshotError);
  });
});
