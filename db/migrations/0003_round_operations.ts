import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Public consultation on the draft criteria.
  await db.schema
    .createTable('consultation_comments')
    .addColumn('comment_id', 'bigserial', (c) => c.primaryKey())
    .addColumn('round_id', 'text', (c) => c.notNull().references('rounds.round_id'))
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('criteria_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('criteria_versions')
    .addColumn('round_id', 'text', (c) => c.notNull().references('rounds.round_id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('draft','adopted')`))
    .addColumn('formations', 'jsonb', (c) => c.notNull())
    .addColumn('response', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('criteria_versions_pk', ['round_id', 'version'])
    .execute();

  // The verifikator pool of a round (empty: every reviewer account).
  await db.schema
    .createTable('round_reviewers')
    .addColumn('round_id', 'text', (c) => c.notNull().references('rounds.round_id'))
    .addColumn('username', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('round_reviewers_pk', ['round_id', 'username'])
    .execute();

  // Exam result imports: validated whole, stored in one transaction, idempotent by content hash.
  await db.schema
    .createTable('exam_imports')
    .addColumn('import_id', 'bigserial', (c) => c.primaryKey())
    .addColumn('round_id', 'text', (c) => c.notNull().references('rounds.round_id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('skd','skb')`))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('correction', 'boolean', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('imported_by', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('exam_imports_same_file', ['round_id', 'kind', 'sha256'])
    .execute();
  await db.schema
    .createTable('exam_scores')
    .addColumn('round_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('registration_no', 'text', (c) => c.notNull().references('applications.registration_no'))
    .addColumn('import_id', 'bigint', (c) => c.notNull().references('exam_imports.import_id'))
    .addColumn('twk', 'integer')
    .addColumn('tiu', 'integer')
    .addColumn('tkp', 'integer')
    .addColumn('skb', 'integer')
    .addColumn('interview', 'integer')
    .addColumn('passed', 'boolean')
    .addPrimaryKeyConstraint('exam_scores_pk', ['kind', 'registration_no'])
    .execute();

  // Rankings as published, with their breakdown.
  await db.schema
    .createTable('rankings')
    .addColumn('round_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('skb_selection','final')`))
    .addColumn('registration_no', 'text', (c) => c.notNull().references('applications.registration_no'))
    .addColumn('formation_id', 'text', (c) => c.notNull())
    .addColumn('rank', 'integer', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('placement_formation_id', 'text')
    .addColumn('score_scaled', 'bigint')
    .addColumn('score_scale', 'bigint')
    .addColumn('breakdown', 'jsonb', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    // The tie-break inputs of Pasal 45(4), kept with the score so one index serves the ranking.
    .addColumn('skd_total', 'integer')
    .addColumn('tkp', 'integer')
    .addColumn('tiu', 'integer')
    .addColumn('twk', 'integer')
    .addColumn('ipk', 'integer')
    .addColumn('birth_date', 'date')
    .addPrimaryKeyConstraint('rankings_pk', ['kind', 'registration_no'])
    .execute();
  await db.schema
    .createIndex('rankings_round')
    .on('rankings')
    .columns(['round_id', 'kind', 'formation_id', 'rank'])
    .execute();
  await sql`create index rankings_final_order on rankings (round_id, kind, formation_id, score_scaled desc, skd_total desc, tkp desc, tiu desc, twk desc, ipk desc, birth_date asc, registration_no asc)`.execute(
    db,
  );
  await db.schema
    .createTable('optimalisasi_declines')
    .addColumn('round_id', 'text', (c) => c.notNull())
    .addColumn('registration_no', 'text', (c) => c.notNull())
    .addColumn('formation_id', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('optimalisasi_declines_pk', ['registration_no', 'formation_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'round_reviewers',
    'optimalisasi_declines',
    'rankings',
    'exam_scores',
    'exam_imports',
    'criteria_versions',
    'consultation_comments',
  ])
    await db.schema.dropTable(t).execute();
}
