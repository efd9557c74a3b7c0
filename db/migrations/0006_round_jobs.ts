import { type Kysely, sql } from 'kysely';

/**
 * The round's jobs (imports, rankings, deadline notices) as they finish, written by the job's own
 * notification activity. With the phases, deadline changes and criteria already recorded, the API
 * reads a round's state from PostgreSQL instead of querying its workflow (a query replays the
 * history on a worker without it in cache, which is costly and, after a worker crash, was seen to
 * leave an Update ordered differently from its later replay).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('round_jobs')
    .addColumn('round_id', 'text', (c) => c.notNull().references('rounds.round_id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('phase_key', 'text', (c) => c.notNull())
    .addColumn('job', 'jsonb', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('signalled', 'integer', (c) => c.notNull())
    .addColumn('skipped', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('round_jobs_pk', ['round_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('round_jobs').execute();
}
