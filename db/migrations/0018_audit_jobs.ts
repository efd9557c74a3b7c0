import { type Kysely, sql } from 'kysely';

/**
 * The auditor's background jobs (issue 18): verify a round's chains, replay its histories (the
 * round, its candidates and its careers) or re-derive its decisions. One row per job with its
 * progress (done/total) and, once finished, its result; `instance_id` and `heartbeat_at` say
 * which API process runs it and that it is still alive, so a job whose process died is marked
 * `interrupted` instead of staying `running` forever.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_jobs')
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('verify','replay','rederive')`))
    .addColumn('round_id', 'text', (c) => c.notNull().references('rounds.round_id'))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued','running','succeeded','failed','interrupted')`),
    )
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ok', 'boolean')
    .addColumn('findings', 'integer')
    .addColumn('result', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('audit_jobs_requested').on('audit_jobs').columns(['requested_at', 'job_id']).execute();
  await db.schema
    .createIndex('audit_jobs_active')
    .on('audit_jobs')
    .column('status')
    .where(sql.ref('status'), 'in', ['queued', 'running'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_jobs').execute();
}
