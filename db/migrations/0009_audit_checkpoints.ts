import { type Kysely, sql } from 'kysely';

/**
 * Signed checkpoints of the audit chains (config/audit-signing.ts), kept for listing and for the
 * "Jejak audit" block of announcements and reports. Verification does NOT trust this table: the
 * checkpoint it compares against is the one recorded in the Temporal history of the workflow that
 * anchored it (an attacker with database access could rewrite these rows as well).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('chain', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('signed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('audit_checkpoints_chain').on('audit_checkpoints').columns(['chain', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_checkpoints').execute();
}
