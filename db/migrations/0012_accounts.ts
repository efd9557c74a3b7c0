import { type Kysely, sql } from 'kysely';

/**
 * Candidate accounts of the web portal: NIK + e-mail + an argon2id password hash. Each account
 * owns a `users` row (role candidate) that its sessions point at: at sign-up a row of its own
 * (no registration yet); once the candidate registers through the portal, `accounts.user_id`
 * moves to the registration's candidate user (db/accounts.ts `linkRegistration`), so a session
 * resolves to the User with that registrationNo.
 *
 * `account_tokens`: one-time links (e-mail confirmation, password reset); only the sha256 of the
 * token is stored, each has an expiry and is consumed once (`used_at`).
 *
 * `consultation_comments.formation_id` / `.criterion`: what a public comment is about (the
 * portal's consultation page comments on a formation or on one of its criteria); null = the round.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('account_id', 'bigserial', (c) => c.primaryKey())
    .addColumn('nik', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('email_confirmed_at', 'timestamptz')
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.user_id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('password_changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index accounts_email on accounts (lower(email))`.execute(db);
  await db.schema.createIndex('accounts_user').on('accounts').column('user_id').execute();

  await db.schema
    .createTable('account_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.account_id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('confirm','reset')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema
    .alterTable('consultation_comments')
    .addColumn('formation_id', 'text')
    .addColumn('criterion', 'text')
    .execute();

  await db.schema
    .createIndex('account_tokens_account')
    .on('account_tokens')
    .columns(['account_id', 'purpose'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('consultation_comments').dropColumn('criterion').dropColumn('formation_id').execute();
  await db.schema.dropTable('account_tokens').execute();
  await db.schema.dropTable('accounts').execute();
}
