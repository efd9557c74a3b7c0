import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { loadConfig } from '../config';
import type { Db } from './connection';

export const ROLES = ['hr', 'reviewer', 'supervisor', 'auditor', 'candidate'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  userId: string;
  username: string;
  displayName: string;
  role: Role;
  registrationNo: string | null;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A new bearer token: shown once, only its hash is stored. */
export const newToken = (): string => `asn_${randomBytes(32).toString('base64url')}`;

const HOUR_MS = 3_600_000;
/** The configured lifetime of staff tokens (ASN_TOKEN_TTL_HOURS). */
export const staffTokenTtlMs = (): number => loadConfig().tokenTtlHours * HOUR_MS;
/** The configured lifetime of the candidate token handed out at registration (ASN_CANDIDATE_TOKEN_TTL_HOURS). */
export const candidateTokenTtlMs = (): number => loadConfig().candidateTokenTtlHours * HOUR_MS;

const toUser = (row: {
  user_id: string;
  username: string;
  display_name: string;
  role: string;
  registration_no: string | null;
}): User => ({
  userId: String(row.user_id),
  username: row.username,
  displayName: row.display_name,
  role: row.role as Role,
  registrationNo: row.registration_no,
});

/** Issues a new token for an existing user, valid for `ttlMs` (default: the configured lifetime for the user's kind). */
export async function issueToken(
  db: Db,
  userId: string,
  opts: { ttlMs: number },
): Promise<{ token: string; expiresAt: Date }> {
  if (!Number.isFinite(opts.ttlMs) || opts.ttlMs <= 0)
    throw new Error(`token ttlMs must be positive, got ${opts.ttlMs}`);
  const token = newToken();
  const expiresAt = new Date(Date.now() + opts.ttlMs);
  await db
    .insertInto('api_tokens')
    .values({ token_hash: hashToken(token), user_id: userId, expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

/** Creates a user and returns a bearer token, shown once; only its hash is stored. */
export async function createUser(
  db: Db,
  u: { username: string; displayName: string; role: Role; registrationNo?: string | null },
  opts: { ttlMs?: number } = {},
): Promise<{ user: User; token: string; expiresAt: Date }> {
  const ttlMs = opts.ttlMs ?? (u.role === 'candidate' ? candidateTokenTtlMs() : staffTokenTtlMs());
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('users')
      .values({
        username: u.username,
        display_name: u.displayName,
        role: u.role,
        registration_no: u.registrationNo ?? null,
      })
      .returning(['user_id', 'username', 'display_name', 'role', 'registration_no'])
      .executeTakeFirstOrThrow();
    const { token, expiresAt } = await issueToken(trx, String(row.user_id), { ttlMs });
    return { token, expiresAt, user: toUser(row) };
  });
}

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['user_id', 'username', 'display_name', 'role', 'registration_no'])
    .where('username', '=', username)
    .executeTakeFirst();
  return row && toUser(row);
}

/** Why a presented token does not authenticate: never issued (or its user disabled), past its expiry, or revoked. */
export type TokenRejection = 'invalid' | 'expired' | 'revoked';

/** The user of a token, or why the token is refused. */
export async function authenticateToken(db: Db, token: string): Promise<{ user: User } | { rejected: TokenRejection }> {
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.user_id', 'api_tokens.user_id')
    .select([
      'users.user_id',
      'users.username',
      'users.display_name',
      'users.role',
      'users.registration_no',
      'users.disabled',
      'api_tokens.revoked_at',
      sql<boolean>`api_tokens.expires_at <= now()`.as('expired'),
    ])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.disabled) return { rejected: 'invalid' };
  if (row.revoked_at) return { rejected: 'revoked' };
  if (row.expired) return { rejected: 'expired' };
  return { user: toUser(row) };
}

/** The user of a live token (issued, not expired, not revoked, user not disabled). */
export async function findUserByToken(db: Db, token: string): Promise<User | undefined> {
  const r = await authenticateToken(db, token);
  return 'user' in r ? r.user : undefined;
}

/** Revokes one token (the caller's own, at logout). Returns whether a live token was revoked. */
export async function revokeToken(db: Db, token: string): Promise<boolean> {
  const r = await db
    .updateTable('api_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('token_hash', '=', hashToken(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Revokes every token and every session of a user (HR or an administrator, e.g. a leaked token or a leaver). */
export async function revokeUserCredentials(db: Db, userId: string): Promise<{ tokens: number; sessions: number }> {
  return db.transaction().execute(async (trx) => {
    const t = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: sql<Date>`now()` })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const s = await trx
      .updateTable('sessions')
      .set({ revoked_at: sql<Date>`now()` })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return { tokens: Number(t.numUpdatedRows), sessions: Number(s.numUpdatedRows) };
  });
}
