import { type Kysely, sql } from 'kysely';

/**
 * HR's moderation of the public consultation (issue 18). A comment stays stored when hidden: the
 * row keeps who hid it, when, the standard reason (`hidden_reason_code`) and HR's words; a restore
 * clears them. HR's official response to a comment is shown under it on the public page. Every
 * action bumps `moderation_rev` and is an audit row in the round's chain (idempotency key
 * `comment:<comment_id>:<rev>`), so the history of each comment survives restores and edits.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('consultation_comments')
    .addColumn('hidden_at', 'timestamptz')
    .addColumn('hidden_by', 'text')
    .addColumn('hidden_reason_code', 'text')
    .addColumn('hidden_reason', 'text')
    .addColumn('response', 'text')
    .addColumn('response_by', 'text')
    .addColumn('response_at', 'timestamptz')
    .addColumn('moderation_rev', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`alter table consultation_comments add constraint consultation_comments_hidden
    check ((hidden_at is null) = (hidden_by is null) and (hidden_at is null) = (hidden_reason_code is null))`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table consultation_comments drop constraint consultation_comments_hidden`.execute(db);
  await db.schema
    .alterTable('consultation_comments')
    .dropColumn('hidden_at')
    .dropColumn('hidden_by')
    .dropColumn('hidden_reason_code')
    .dropColumn('hidden_reason')
    .dropColumn('response')
    .dropColumn('response_by')
    .dropColumn('response_at')
    .dropColumn('moderation_rev')
    .execute();
}
