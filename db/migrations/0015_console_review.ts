import { type Kysely, sql } from 'kysely';

/**
 * The staff console (issue 18): staff users sign in with a password (argon2id, like the candidate
 * accounts), HR sets an initial one that must be changed at the first sign-in; a task may carry a
 * note from the assignment (a sanggah that could not go to a second reviewer).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('password_hash', 'text')
    .addColumn('password_must_change', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('password_changed_at', 'timestamptz')
    .execute();
  await db.schema.alterTable('tasks').addColumn('note', 'text').execute();
  await sql`create index if not exists tasks_reviewer_all on tasks (reviewer)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists tasks_reviewer_all`.execute(db);
  await db.schema.alterTable('tasks').dropColumn('note').execute();
  await db.schema
    .alterTable('users')
    .dropColumn('password_hash')
    .dropColumn('password_must_change')
    .dropColumn('password_changed_at')
    .execute();
}
