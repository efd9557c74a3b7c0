import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('careers')
    .addColumn('nip', 'text', (c) => c.primaryKey())
    .addColumn('registration_no', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('jabatan', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('ladder_position', 'text')
    .addColumn('pns_at', 'date')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('end_reason', 'text')
    .execute();
  await db.schema
    .createTable('career_events')
    .addColumn('nip', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('career_events_pk', ['nip', 'year', 'seq'])
    .execute();
  // One row per employee, year and attempt (a returned or re-evaluated SKP is a new attempt).
  await db.schema
    .createTable('evaluations')
    .addColumn('nip', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('supervisor', 'text', (c) => c.notNull())
    .addColumn('hasil_kerja', 'text', (c) => c.notNull())
    .addColumn('perilaku', 'text', (c) => c.notNull())
    .addColumn('predikat', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('submitted','accepted','returned')`))
    .addColumn('return_reason', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('evaluations_pk', ['nip', 'year', 'attempt'])
    .execute();
  await db.schema.createIndex('evaluations_unit_year').on('evaluations').columns(['unit', 'year']).execute();
  await db.schema
    .createTable('unit_ratings')
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('rating', 'text', (c) => c.notNull())
    .addColumn('headcount', 'integer', (c) => c.notNull())
    .addColumn('unit_head', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('unit_ratings_pk', ['unit', 'year'])
    .execute();
  await db.schema
    .createTable('follow_ups')
    .addColumn('nip', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decision', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('follow_ups_pk', ['nip', 'year', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['follow_ups', 'unit_ratings', 'evaluations', 'career_events', 'careers'])
    await db.schema.dropTable(t).execute();
}
