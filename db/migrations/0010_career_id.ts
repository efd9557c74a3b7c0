import { type Kysely, sql } from 'kysely';

/**
 * A career's opaque id (its workflow id is `career/<career_id>`): a NIP carries the birth date
 * and the sex, so it must not name a workflow. Generated once at the appointment and stored with
 * it (a retried appointment starts the same workflow); the career row copies it from the
 * workflow that opens it, so the API resolves `/careers/<nip>` to the workflow.
 *
 * Careers started before this migration run as `career/<nip>` and a workflow id cannot be
 * renamed: their rows (and appointments already made) get their NIP as career id, so they stay
 * reachable until they end.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('appointments')
    .addColumn('career_id', 'text', (c) => c.unique())
    .execute();
  await db.schema
    .alterTable('careers')
    .addColumn('career_id', 'text', (c) => c.unique())
    .execute();
  await sql`update appointments set career_id = nip where nip is not null`.execute(db);
  await sql`update careers set career_id = nip`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('careers').dropColumn('career_id').execute();
  await db.schema.alterTable('appointments').dropColumn('career_id').execute();
}
