/**
 * Operator sessions, in memory: one API process holds them and a restart ends them all (the console
 * runs beside one API process; README "Operator console"). The store keeps only a hash of each session
 * id, so neither a heap dump nor a log line holds a usable cookie.
 */
import { randomToken, sha256 } from '../../http/security';

export interface SessionLimits {
  /** Ends a session this long after its last request (ADMIN_SESSION_IDLE_MINUTES). */
  idleMs: number;
  /** Ends a session this long after sign-in, however active (ADMIN_SESSION_MAX_HOURS). */
  maxMs: number;
}

export interface Session {
  readonly createdAt: number;
  lastSeenAt: number;
  /** The per-session token every form carries (CSRF). */
  readonly csrfToken: string;
  readonly client: string;
}

export type SessionEnd = 'idle' | 'absolute';

/** Pure: why a session has ended at `now`, or undefined while it lives. */
export function sessionEnd(session: Session, now: number, limits: SessionLimits): SessionEnd | undefined {
  if (now - session.createdAt >= limits.maxMs) return 'absolute';
  if (now - session.lastSeenAt >= limits.idleMs) return 'idle';
  return undefined;
}

export type SessionLookup =
  | { state: 'none' }
  | { state: 'ended'; why: SessionEnd; session: Session }
  | { state: 'live'; session: Session };

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(readonly limits: SessionLimits) {}

  /** A new session; the id goes into the cookie, only its hash stays here. */
  create(client: string, now: number): { id: string; session: Session } {
    this.prune(now);
    const id = randomToken();
    const session: Session = { createdAt: now, lastSeenAt: now, csrfToken: randomToken(), client };
    this.sessions.set(key(id), session);
    return { id, session };
  }

  /** Looks a cookie value up; an ended session is removed (and reported once as ended). */
  lookup(id: string | undefined, now: number): SessionLookup {
    if (!id) return { state: 'none' };
    const session = this.sessions.get(key(id));
    if (!session) return { state: 'none' };
    const why = sessionEnd(session, now, this.limits);
    if (why) {
      this.sessions.delete(key(id));
      return { state: 'ended', why, session };
    }
    return { state: 'live', session };
  }

  touch(session: Session, now: number): void {
    session.lastSeenAt = now;
  }

  destroy(id: string): void {
    this.sessions.delete(key(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private prune(now: number): void {
    for (const [k, session] of this.sessions) {
      if (sessionEnd(session, now, this.limits)) this.sessions.delete(k);
    }
  }
}

function key(id: string): string {
  return sha256(id).toString('hex');
}
