import { sql, type Kysely } from 'kysely';

/**
 * Writes validated against what exists, and audited (issue 15, finding 4).
 * - The units known to the system are the units of the recorded formations (formations.unit,
 *   written in the round's own transaction): an index makes "is this unit known?" cheap.
 * - unit_ratings keeps who changed a rating last, when, and a revision number; every revision
 *   is also an audit row in the chain `unit:<unit>` (its idempotency key names the revision).
 * - consultation_comments keeps who sent a comment (a key for the client: the user or the IP)
 *   and a hash of its normalised text, so the same text from the same client on the same
 *   round and criteria version within the window is refused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('formations_unit').ifNotExists().on('formations').column('unit').execute();
  await db.schema
    .alterTable('unit_ratings')
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'timestamptz')
    .execute();
  await db.schema
    .alterTable('consultation_comments')
    .addColumn('client_key', 'text')
    .addColumn('body_hash', 'text')
    .execute();
  await db.schema
    .createIndex('consultation_comments_duplicate')
    .on('consultation_comments')
    .columns(['round_id', 'criteria_version', 'client_key', 'body_hash', 'created_at'])
    .execute();
  await sql`comment on column unit_ratings.revision is 'audit chain unit:<unit>, idempotency key rating:<year>:<revision>'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('consultation_comments_duplicate').execute();
  await db.schema.alterTable('consultation_comments').dropColumn('client_key').dropColumn('body_hash').execute();
  await db.schema
    .alterTable('unit_ratings')
    .dropColumn('revision')
    .dropColumn('updated_by')
    .dropColumn('updated_at')
    .execute();
  await db.schema.dropIndex('formations_unit').execute();
}
