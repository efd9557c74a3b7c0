import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './connection';
import { type Role, type User } from './users';

/**
 * Server-side sessions for cookies (the codec login of the Temporal Web UI, the candidate portal).
 * The cookie carries a random session id; only its sha256 is stored, so a database dump yields no
 * usable session. A session ends at `expires_at` or when revoked (logout), whichever comes first.
 */
const hashSession = (sessionId: string): string => createHash('sha256').update(`session:${sessionId}`).digest('hex');

/** Session ids: 32 random bytes, base64url; anything else is never looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export async function createSession(
  db: Db,
  userId: string,
  opts: { ttlMs: number },
): Promise<{ sessionId: string; expiresAt: Date }> {
  if (!Number.isFinite(opts.ttlMs) || opts.ttlMs <= 0)
    throw new Error(`session ttlMs must be positive, got ${opts.ttlMs}`);
  const sessionId = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + opts.ttlMs);
  await db
    .insertInto('sessions')
    .values({ session_hash: hashSession(sessionId), user_id: userId, expires_at: expiresAt })
    .execute();
  return { sessionId, expiresAt };
}

/** The user of a live session (not expired, not revoked, user not disabled), else undefined. */
export async function findUserBySession(db: Db, sessionId: string): Promise<User | undefined> {
  if (!SESSION_ID.test(sessionId)) return undefined;
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.user_id', 'sessions.user_id')
    .select(['users.user_id', 'users.username', 'users.display_name', 'users.role', 'users.registration_no'])
    .where('sessions.session_hash', '=', hashSession(sessionId))
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', sql<Date>`now()`)
    .where('users.disabled', '=', false)
    .executeTakeFirst();
  return (
    row && {
      userId: String(row.user_id),
      username: row.username,
      displayName: row.display_name,
      role: row.role as Role,
      registrationNo: row.registration_no,
    }
  );
}

/** Ends a session (idempotent; an unknown id is a no-op). */
export async function revokeSession(db: Db, sessionId: string): Promise<void> {
  if (!SESSION_ID.test(sessionId)) return;
  await db
    .updateTable('sessions')
    .set({ revoked_at: sql<Date>`now()` })
    .where('session_hash', '=', hashSession(sessionId))
    .where('revoked_at', 'is', null)
    .execute();
}

/** Ends every session of a user (their tokens revoked by HR, or logout everywhere). */
export async function revokeUserSessions(db: Db, userId: string): Promise<number> {
  const r = await db
    .updateTable('sessions')
    .set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
