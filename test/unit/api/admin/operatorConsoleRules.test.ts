/** The operator console's pure rules: the attempt limiter's lock-out and a session's expiry. */
import { AttemptLimiter } from '../../../../src/api/admin/attemptLimiter';
import { escapeHtml, html } from '../../../../src/api/admin/html';
import { sessionEnd, SessionStore, type Session } from '../../../../src/api/admin/sessions';
import { sameSecret } from '../../../../src/http/security';

const MIN = 60_000;
const limits = { maxFailures: 5, lockMs: 15 * MIN };

describe('AttemptLimiter', () => {
  test('the fifth failure locks the client for 15 minutes; others are untouched', () => {
    const limiter = new AttemptLimiter(limits);
    const t0 = 1_000_000;
    for (let i = 1; i <= 4; i++) expect(limiter.fail('10.0.0.1', t0 + i)).toBe(false);
    expect(limiter.lockedFor('10.0.0.1', t0 + 4)).toBe(0);
    expect(limiter.fail('10.0.0.1', t0 + 5)).toBe(true);
    expect(limiter.lockedFor('10.0.0.1', t0 + 5)).toBe(15 * MIN);
    expect(limiter.lockedFor('10.0.0.1', t0 + 5 + 15 * MIN - 1)).toBe(1);
    expect(limiter.lockedFor('10.0.0.2', t0 + 5)).toBe(0);
    // The lock ends on time, and the count starts again from nothing.
    expect(limiter.lockedFor('10.0.0.1', t0 + 5 + 15 * MIN)).toBe(0);
    expect(limiter.fail('10.0.0.1', t0 + 16 * MIN)).toBe(false);
  });

  test('a success forgets the failures before it', () => {
    const limiter = new AttemptLimiter(limits);
    for (let i = 0; i < 4; i++) limiter.fail('c', i);
    limiter.succeed('c');
    for (let i = 0; i < 4; i++) expect(limiter.fail('c', 10 + i)).toBe(false);
  });

  test('failures older than the lock window are forgotten', () => {
    const limiter = new AttemptLimiter(limits);
    for (let i = 0; i < 4; i++) limiter.fail('c', i);
    expect(limiter.fail('c', 15 * MIN)).toBe(false);
  });

  test('lock() locks at once, whatever the count', () => {
    const limiter = new AttemptLimiter(limits);
    limiter.lock('c', 0);
    expect(limiter.lockedFor('c', 1)).toBe(15 * MIN - 1);
    expect(limiter.fail('c', 2)).toBe(true);
  });

  test('memory stays bounded under a flood of addresses', () => {
    const limiter = new AttemptLimiter(limits);
    for (let i = 0; i < 12_000; i++) limiter.fail(`client-${i}`, 0);
    expect((limiter as unknown as { entries: Map<string, unknown> }).entries.size).toBeLessThanOrEqual(
      10_000,
    );
  });
});

describe('session expiry', () => {
  const sessionLimits = { idleMs: 30 * MIN, maxMs: 8 * 60 * MIN };
  const session = (createdAt: number, lastSeenAt: number): Session => ({
    createdAt,
    lastSeenAt,
    csrfToken: 't',
    client: 'c',
  });

  test('idle: 30 minutes after the last request', () => {
    expect(sessionEnd(session(0, 0), 30 * MIN - 1, sessionLimits)).toBeUndefined();
    expect(sessionEnd(session(0, 0), 30 * MIN, sessionLimits)).toBe('idle');
    expect(sessionEnd(session(0, 20 * MIN), 49 * MIN, sessionLimits)).toBeUndefined();
  });

  test('absolute: 8 hours after sign-in, however active', () => {
    const active = session(0, 8 * 60 * MIN - 1);
    expect(sessionEnd(active, 8 * 60 * MIN - 1, sessionLimits)).toBeUndefined();
    expect(sessionEnd(active, 8 * 60 * MIN, sessionLimits)).toBe('absolute');
  });

  test('the store keeps only a hash of the id, touches, reports an ended session once, then forgets it', () => {
    const store = new SessionStore(sessionLimits);
    const { id, session: created } = store.create('c', 0);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(
      JSON.stringify([...(store as unknown as { sessions: Map<string, unknown> }).sessions.keys()]),
    ).not.toContain(id);
    expect(store.lookup(id, 29 * MIN)).toEqual({ state: 'live', session: created });
    store.touch(created, 29 * MIN);
    expect(store.lookup(id, 58 * MIN).state).toBe('live');
    expect(store.lookup(id, 88 * MIN)).toMatchObject({ state: 'ended', why: 'idle' });
    expect(store.lookup(id, 88 * MIN)).toEqual({ state: 'none' });
    expect(store.lookup('not-a-session', 0)).toEqual({ state: 'none' });
    expect(store.lookup(undefined, 0)).toEqual({ state: 'none' });
  });
});

describe('helpers', () => {
  test('sameSecret compares any lengths without throwing', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'x')).toBe(false);
  });

  test('html escapes interpolations but keeps nested html', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const name = '<script>alert(1)</script>';
    expect(html`<p>${name}${html`<b>${'&'}</b>`}${[html`<i>1</i>`, '<2>']}</p>`.value).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;<b>&amp;</b><i>1</i>&lt;2&gt;</p>',
    );
  });
});
