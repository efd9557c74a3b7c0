import { createHash, randomBytes } from 'node:crypto';
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

/** Creates a user and returns the bearer token, shown once; only its hash is stored. */
export async function createUser(db: Db, u: { username: string; displayName: string; role: Role; registrationNo?: string | null }): Promise<{ user: User; token: string }> {
  const token = `asn_${randomBytes(32).toString('base64url')}`;
  const row = await db
    .insertInto('users')
    .values({ username: u.username, display_name: u.displayName, role: u.role, token_hash: hashToken(token), registration_no: u.registrationNo ?? null })
    .returning(['user_id', 'username', 'display_name', 'role', 'registration_no'])
    .executeTakeFirstOrThrow();
  return { token, user: { userId: String(row.user_id), username: row.username, displayName: row.display_name, role: row.role as Role, registrationNo: row.registration_no } };
}

export async function findUserByToken(db: Db, token: string): Promise<User | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['user_id', 'username', 'display_name', 'role', 'registration_no'])
    .where('token_hash', '=', hashToken(token))
    .where('disabled', '=', false)
    .executeTakeFirst();
  return row && { userId: String(row.user_id), username: row.username, displayName: row.display_name, role: row.role as Role, registrationNo: row.registration_no };
}
