import { type Kysely, sql } from 'kysely';

/**
 * Credentials that expire and can be revoked, server-side sessions for cookies, and idempotency
 * records bound to a caller and a request fingerprint.
 *
 * - `api_tokens`: bearer tokens (only their sha256 is stored), each with an expiry and an optional
 *   revocation; a user may hold several. The tokens in `users.token_hash` move here (expiring 720 h
 *   after the migration) and the column goes.
 * - `sessions`: cookie sessions (the codec login, the candidate portal); the cookie carries a random
 *   session id, its sha256 is stored.
 * - `idempotency_records`: one row per (caller scope, key hash); the fingerprint is the sha256 of
 *   method, route, params and canonical body. `outcome` keeps what a replay may answer (never a
 *   credential).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();
  await sql`insert into api_tokens (token_hash, user_id, created_at, expires_at) select token_hash, user_id, created_at, now() + interval '720 hours' from users`.execute(
    db,
  );
  await db.schema.alterTable('users').dropColumn('token_hash').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('session_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('idempotency_records')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('outcome', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_records_pkey', ['scope', 'key_hash'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_records').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.alterTable('users').addColumn('token_hash', 'text').execute();
  await sql`update users u set token_hash = (select t.token_hash from api_tokens t where t.user_id = u.user_id and t.revoked_at is null order by t.created_at desc limit 1)`.execute(
    db,
  );
  await db.schema.dropTable('api_tokens').execute();
}
