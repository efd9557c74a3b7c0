import { type Kysely, sql } from 'kysely';

/**
 * Registrations survive an unreachable Temporal: the application is kept with
 * `workflow_started_at` null until its workflow is known to run (the client's retry with the same
 * Idempotency-Key, or the API's reconciler, starts it), instead of being deleted on an ambiguous
 * failure. The key is stored hashed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('applications').addColumn('idempotency_key_hash', 'text').execute();
  await db.schema.alterTable('applications').addColumn('workflow_started_at', 'timestamptz').execute();
  await db.schema
    .alterTable('applications')
    .addColumn('reuse_skd', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`update applications set workflow_started_at = registered_at`.execute(db);
  await db.schema
    .createIndex('applications_idempotency_key')
    .unique()
    .on('applications')
    .column('idempotency_key_hash')
    .execute();
  await sql`create index applications_workflow_pending on applications (registered_at) where workflow_started_at is null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('applications')
    .dropColumn('idempotency_key_hash')
    .dropColumn('workflow_started_at')
    .dropColumn('reuse_skd')
    .execute();
}
