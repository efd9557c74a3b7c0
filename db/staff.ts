import { sql } from 'kysely';
import type { Db } from './connection';
import { revokeUserCredentials, type Role } from './users';

/**
 * Staff sign-in (migration 0015): HR, reviewers, supervisors and auditors are `users` rows with an
 * argon2id password hash (the same hashing as the candidate accounts, db/accounts.ts). HR (the
 * console's user page) or the CLI (`npm run user:create -- --password`) sets an initial password
 * that must be changed at the first sign-in.
 */
export const STAFF_ROLES = ['hr', 'reviewer', 'supervisor', 'auditor'] as const satisfies readonly Role[];
export type StaffRole = (typeof STAFF_ROLES)[number];
export const isStaffRole = (r: string): r is StaffRole => (STAFF_ROLES as readonly string[]).includes(r);

export interface StaffRow {
  userId: string;
  username: string;
  displayName: string;
  role: StaffRole;
  disabled: boolean;
  hasPassword: boolean;
  mustChange: boolean;
  openTasks: number;
  createdAt: string;
}

/** The staff user behind a username, with its hash, for the sign-in (candidates and disabled users: undefined). */
export async function findStaffLogin(
  db: Db,
  username: string,
): Promise<{ userId: string; passwordHash: string | null } | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['user_id', 'password_hash', 'role'])
    .where('username', '=', username)
    .where('disabled', '=', false)
    .where('role', '!=', 'candidate')
    .executeTakeFirst();
  return row && { userId: String(row.user_id), passwordHash: row.password_hash };
}

/** Whether a staff user must set their own password before anything else. */
export async function mustChangePassword(db: Db, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('password_must_change')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.password_must_change ?? false;
}

/**
 * Sets a staff password. `initial`: set by HR or the CLI, to be changed at the first sign-in; the
 * user's sessions end (whoever knew the old one is out). The user's own change keeps it final.
 */
export async function setStaffPassword(
  db: Db,
  userId: string,
  passwordHash: string,
  opts: { initial: boolean },
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, password_must_change: opts.initial, password_changed_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('role', '!=', 'candidate')
    .executeTakeFirstOrThrow();
  await db
    .updateTable('sessions')
    .set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function listStaff(db: Db): Promise<StaffRow[]> {
  const rows = await db
    .selectFrom('users')
    .leftJoin('tasks', (j) => j.onRef('tasks.reviewer', '=', 'users.username').on('tasks.status', '=', 'open'))
    .select([
      'users.user_id',
      'users.username',
      'users.display_name',
      'users.role',
      'users.disabled',
      'users.password_hash',
      'users.password_must_change',
      'users.created_at',
      (eb) => eb.fn.count<string>('tasks.task_id').as('open'),
    ])
    .where('users.role', '!=', 'candidate')
    .groupBy('users.user_id')
    .orderBy('users.role')
    .orderBy('users.username')
    .execute();
  return rows.map((r) => ({
    userId: String(r.user_id),
    username: r.username,
    displayName: r.display_name,
    role: r.role as StaffRole,
    disabled: r.disabled,
    hasPassword: r.password_hash !== null,
    mustChange: r.password_must_change,
    openTasks: Number(r.open),
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

export async function findStaff(db: Db, userId: string): Promise<StaffRow | undefined> {
  return (await listStaff(db)).find((s) => s.userId === userId);
}

/** Disables a staff user (every token and session revoked at once) or enables them again. */
export async function setStaffDisabled(db: Db, userId: string, disabled: boolean): Promise<void> {
  await db
    .updateTable('users')
    .set({ disabled })
    .where('user_id', '=', userId)
    .where('role', '!=', 'candidate')
    .executeTakeFirstOrThrow();
  if (disabled) await revokeUserCredentials(db, userId);
}
