import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connection';
import { createSession, findUserBySession, revokeSession } from '../../db/sessions';
import { createUser } from '../../db/users';
import { testDb } from '../helpers/temporal';

/** db/sessions.ts on the real PostgreSQL: a session id finds its user until it expires or is revoked. */
let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => {
  await db?.destroy();
});

const username = (p: string): string =>
  `${p}.${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 6)}`;

describe('db/sessions', () => {
  it('finds the user of a live session and stores only a hash of its id', async () => {
    const { user } = await createUser(db, { username: username('sess'), displayName: 'Sesi', role: 'auditor' });
    const s = await createSession(db, user.userId, { ttlMs: 3_600_000 });
    expect(s.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect((await findUserBySession(db, s.sessionId))?.username).toBe(user.username);
    const rows = await db.selectFrom('sessions').selectAll().where('user_id', '=', user.userId).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(s.sessionId);
    expect(await findUserBySession(db, 'x'.repeat(43))).toBeUndefined();
    expect(await findUserBySession(db, 'not a session id')).toBeUndefined();
  });

  it('refuses a revoked session and an expired one', async () => {
    const { user } = await createUser(db, { username: username('sess'), displayName: 'Sesi', role: 'hr' });
    const a = await createSession(db, user.userId, { ttlMs: 3_600_000 });
    const b = await createSession(db, user.userId, { ttlMs: 3_600_000 });
    await revokeSession(db, a.sessionId);
    expect(await findUserBySession(db, a.sessionId)).toBeUndefined();
    expect((await findUserBySession(db, b.sessionId))?.userId).toBe(user.userId); // one logout ends one session
    // Expiry is decided by the database clock: move the session's expiry into the past.
    await db
      .updateTable('sessions')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('user_id', '=', user.userId)
      .execute();
    expect(await findUserBySession(db, b.sessionId)).toBeUndefined();
    await expect(createSession(db, user.userId, { ttlMs: 0 })).rejects.toThrow(/ttlMs/);
  });

  it('refuses the session of a disabled user', async () => {
    const { user } = await createUser(db, { username: username('sess'), displayName: 'Sesi', role: 'candidate' });
    const s = await createSession(db, user.userId, { ttlMs: 3_600_000 });
    await db.updateTable('users').set({ disabled: true }).where('user_id', '=', user.userId).execute();
    expect(await findUserBySession(db, s.sessionId)).toBeUndefined();
  });
});
