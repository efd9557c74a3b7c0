import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import type { Db } from './connection';
import { revokeUserSessions } from './sessions';

/**
 * Candidate accounts of the web portal (migration 0012). An account is NIK + e-mail + an
 * argon2id password hash, and points at the `users` row its sessions resolve to: its own
 * candidate user from sign-up, then — once the candidate registers through the portal — the
 * registration's candidate user (`linkRegistration`), so `findUserBySession` gives the User with
 * its registrationNo and the API's ownership checks apply unchanged.
 */

export interface Account {
  accountId: string;
  nik: string;
  email: string;
  emailConfirmed: boolean;
  userId: string;
}

export type AccountTokenPurpose = 'confirm' | 'reset';

/** Password length bounds (NIST SP 800-63B: at least 8; we ask 10; long passphrases welcome). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
export const CONFIRM_TTL_MS = 48 * 3_600_000;
export const RESET_TTL_MS = 3_600_000;

/** argon2id with the library's defaults (m = 19 MiB, t = 2, p = 1: OWASP's first recommendation). */
export const hashPassword = (password: string): Promise<string> => hash(password, { algorithm: Algorithm.Argon2id });

/** A fixed hash to verify against when the e-mail is unknown, so both paths take the same time. */
let dummyHash: Promise<string> | undefined;
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const h = passwordHash ?? (await dummyHash);
  const ok = await verify(h, password).catch(() => false);
  return ok && passwordHash !== undefined;
}

type Executor = Pick<Db, 'selectFrom' | 'insertInto' | 'updateTable'>;

const ACCOUNT_COLUMNS = ['account_id', 'nik', 'email', 'email_confirmed_at', 'user_id', 'password_hash'] as const;
type AccountRow = {
  account_id: string;
  nik: string;
  email: string;
  email_confirmed_at: Date | null;
  user_id: string;
  password_hash: string;
};
const toAccount = (r: AccountRow): Account => ({
  accountId: String(r.account_id),
  nik: r.nik,
  email: r.email,
  emailConfirmed: r.email_confirmed_at !== null,
  userId: String(r.user_id),
});

export const normaliseEmail = (email: string): string => email.trim();

/** The accounts that already hold this NIK or this e-mail (case-insensitive). */
export async function findConflicting(db: Executor, nik: string, email: string): Promise<Account[]> {
  const rows = await db
    .selectFrom('accounts')
    .select(ACCOUNT_COLUMNS)
    .where((eb) => eb.or([eb('nik', '=', nik), eb(sql`lower(email)`, '=', email.toLowerCase())]))
    .execute();
  return rows.map(toAccount);
}

/**
 * Removes the accounts holding this NIK or e-mail that were never confirmed within the
 * confirmation link's lifetime and never registered: a sign-up with somebody else's NIK (or
 * address) that nobody confirmed must not block the real owner for ever. Returns how many.
 */
export async function removeStaleUnconfirmed(trx: Db, nik: string, email: string): Promise<number> {
  const stale = await trx
    .selectFrom('accounts')
    .innerJoin('users', 'users.user_id', 'accounts.user_id')
    .select(['accounts.account_id', 'accounts.user_id'])
    .where((eb) => eb.or([eb('accounts.nik', '=', nik), eb(sql`lower(accounts.email)`, '=', email.toLowerCase())]))
    .where('accounts.email_confirmed_at', 'is', null)
    .where('users.registration_no', 'is', null)
    .where('accounts.created_at', '<', new Date(Date.now() - CONFIRM_TTL_MS))
    .execute();
  for (const a of stale) {
    await trx.deleteFrom('accounts').where('account_id', '=', a.account_id).execute();
    await trx.updateTable('users').set({ disabled: true }).where('user_id', '=', a.user_id).execute();
  }
  return stale.length;
}

/**
 * A new account with its own candidate user (no registration yet, no bearer token). Call inside
 * a transaction; a concurrent duplicate fails on the unique NIK / lower(e-mail) indexes (23505).
 */
export async function createAccount(
  trx: Executor,
  a: { nik: string; email: string; passwordHash: string },
): Promise<Account> {
  const user = await trx
    .insertInto('users')
    .values({
      username: `akun-${randomUUID()}`,
      display_name: 'Pelamar (akun portal)',
      role: 'candidate',
      registration_no: null,
    })
    .returning('user_id')
    .executeTakeFirstOrThrow();
  const row = await trx
    .insertInto('accounts')
    .values({ nik: a.nik, email: normaliseEmail(a.email), password_hash: a.passwordHash, user_id: user.user_id })
    .returning(ACCOUNT_COLUMNS)
    .executeTakeFirstOrThrow();
  return toAccount(row);
}

export async function findAccountByEmail(
  db: Executor,
  email: string,
): Promise<(Account & { passwordHash: string }) | undefined> {
  const row = await db
    .selectFrom('accounts')
    .select(ACCOUNT_COLUMNS)
    .where(sql`lower(email)`, '=', normaliseEmail(email).toLowerCase())
    .executeTakeFirst();
  return row && { ...toAccount(row), passwordHash: row.password_hash };
}

/** The account whose sessions resolve to this user (the session's User → its account). */
export async function findAccountByUser(db: Executor, userId: string): Promise<Account | undefined> {
  const row = await db.selectFrom('accounts').select(ACCOUNT_COLUMNS).where('user_id', '=', userId).executeTakeFirst();
  return row && toAccount(row);
}

const hashAccountToken = (token: string): string => createHash('sha256').update(`account-token:${token}`).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A one-time link token (shown once, in the e-mail; only its sha256 is stored). Earlier unused
 * tokens of the same purpose stop working: only the newest link is valid.
 */
export async function issueAccountToken(
  trx: Executor,
  accountId: string,
  purpose: AccountTokenPurpose,
  ttlMs: number,
): Promise<{ token: string; tokenHash: string; expiresAt: Date }> {
  await trx
    .updateTable('account_tokens')
    .set({ used_at: sql`now()` })
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMs);
  await trx
    .insertInto('account_tokens')
    .values({ token_hash: hashAccountToken(token), account_id: accountId, purpose, expires_at: expiresAt })
    .execute();
  return { token, tokenHash: hashAccountToken(token), expiresAt };
}

/** Whether a token is currently usable (for showing a form), without consuming it. */
export async function peekAccountToken(
  db: Executor,
  token: string,
  purpose: AccountTokenPurpose,
): Promise<string | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const row = await db
    .selectFrom('account_tokens')
    .select('account_id')
    .where('token_hash', '=', hashAccountToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row ? String(row.account_id) : undefined;
}

/** Consumes a token: one statement, so two requests with the same link cannot both succeed. */
export async function consumeAccountToken(
  trx: Executor,
  token: string,
  purpose: AccountTokenPurpose,
): Promise<string | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const row = await trx
    .updateTable('account_tokens')
    .set({ used_at: sql`now()` })
    .where('token_hash', '=', hashAccountToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('account_id')
    .executeTakeFirst();
  return row ? String(row.account_id) : undefined;
}

export async function confirmEmail(trx: Executor, accountId: string): Promise<void> {
  await trx
    .updateTable('accounts')
    .set({ email_confirmed_at: sql`coalesce(email_confirmed_at, now())` })
    .where('account_id', '=', accountId)
    .execute();
}

/**
 * A new password; every session of the account ends (someone who knew the old password is
 * logged out). A reset link proves the e-mail too, so it also confirms the address.
 */
export async function setPassword(
  db: Db,
  accountId: string,
  passwordHash: string,
  opts: { confirmsEmail: boolean },
): Promise<void> {
  const row = await db
    .updateTable('accounts')
    .set({
      password_hash: passwordHash,
      password_changed_at: sql`now()`,
      ...(opts.confirmsEmail ? { email_confirmed_at: sql`coalesce(email_confirmed_at, now())` } : {}),
    })
    .where('account_id', '=', accountId)
    .returning('user_id')
    .executeTakeFirstOrThrow();
  await revokeUserSessions(db, String(row.user_id));
}

/**
 * After a registration through the portal: the account's sessions now resolve to the
 * registration's candidate user (its registrationNo). Live sessions move with it, so the
 * candidate stays logged in. Call in the transaction that records the registration, or right
 * after it; idempotent.
 */
export async function linkRegistration(
  trx: Executor,
  accountId: string,
  registrationNo: string,
): Promise<{ userId: string }> {
  const account = await trx
    .selectFrom('accounts')
    .select(['user_id', 'nik'])
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  const app = await trx
    .selectFrom('applications')
    .select('nik')
    .where('registration_no', '=', registrationNo)
    .executeTakeFirst();
  if (!app || app.nik !== account.nik)
    throw new Error(`linkRegistration: registration ${registrationNo} is not the account's NIK`);
  const target = await trx
    .selectFrom('users')
    .select('user_id')
    .where('registration_no', '=', registrationNo)
    .where('role', '=', 'candidate')
    .orderBy('user_id')
    .executeTakeFirstOrThrow();
  const from = String(account.user_id);
  const to = String(target.user_id);
  if (from !== to) {
    await trx
      .updateTable('sessions')
      .set({ user_id: to })
      .where('user_id', '=', from)
      .where('revoked_at', 'is', null)
      .execute();
    await trx.updateTable('accounts').set({ user_id: to }).where('account_id', '=', accountId).execute();
  }
  return { userId: to };
}
