import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create sequence registration_seq`.execute(db);

  // One application per NIK per budget year (any agency, CPNS or PPPK): the unique constraint
  // makes two simultaneous registrations impossible to both win.
  await db.schema
    .createTable('applications')
    .addColumn('registration_no', 'text', (c) => c.primaryKey())
    .addColumn('round_id', 'text', (c) => c.notNull().references('rounds.round_id'))
    .addColumn('formation_id', 'text', (c) => c.notNull())
    .addColumn('budget_year', 'integer', (c) => c.notNull())
    .addColumn('nik', 'text', (c) => c.notNull())
    .addColumn('full_name', 'text', (c) => c.notNull())
    .addColumn('birth_date', 'date', (c) => c.notNull())
    .addColumn('sex', 'text', (c) => c.notNull().check(sql`sex in ('L','P')`))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('education_level', 'text', (c) => c.notNull())
    .addColumn('education_program', 'text', (c) => c.notNull())
    .addColumn('ipk', 'integer', (c) => c.notNull())
    .addColumn('experience_years', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('prior_predikat', 'text')
    .addColumn('nik_warnings', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('registered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('applications_formation_fk', ['round_id', 'formation_id'], 'formations', [
      'round_id',
      'formation_id',
    ])
    .addUniqueConstraint('applications_one_per_nik_year', ['nik', 'budget_year'])
    .execute();
  await db.schema
    .createIndex('applications_round_stage')
    .on('applications')
    .columns(['round_id', 'formation_id', 'stage'])
    .execute();

  // File bytes by content hash: the same file twice is stored once.
  await db.schema
    .createTable('document_blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('file_type', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('documents')
    .addColumn('document_id', 'bigserial', (c) => c.primaryKey())
    .addColumn('registration_no', 'text', (c) => c.notNull().references('applications.registration_no'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull().references('document_blobs.sha256'))
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('file_type', 'text', (c) => c.notNull())
    .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('documents_idempotent', ['registration_no', 'kind', 'sha256'])
    .execute();

  // Reviewer inbox: one row per task; decisions are workflow updates.
  await db.schema
    .createTable('tasks')
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('registration_no', 'text', (c) => c.notNull().references('applications.registration_no'))
    .addColumn('round_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('verification','sanggah')`))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('reviewer', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open','done','escalated')`))
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('tasks_reviewer_open').on('tasks').columns(['reviewer', 'status']).execute();

  await db.schema
    .createTable('verifications')
    .addColumn('registration_no', 'text', (c) => c.notNull().references('applications.registration_no'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull().check(sql`result in ('MS','TMS')`))
    .addColumn('reviewer', 'text', (c) => c.notNull())
    .addColumn('decisions', 'jsonb', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
    .addColumn('reannounce', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('verifications_pk', ['registration_no', 'stage'])
    .execute();

  await db.schema
    .createTable('sanggah')
    .addColumn('registration_no', 'text', (c) => c.notNull().references('applications.registration_no'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('filed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('answered_by', 'text')
    .addColumn('accepted', 'boolean')
    .addColumn('answer', 'text')
    .addColumn('answered_at', 'timestamptz')
    .addPrimaryKeyConstraint('sanggah_pk', ['registration_no', 'stage'])
    .execute();

  await db.schema
    .createTable('skd_scores')
    .addColumn('registration_no', 'text', (c) => c.primaryKey().references('applications.registration_no'))
    .addColumn('twk', 'integer', (c) => c.notNull())
    .addColumn('tiu', 'integer', (c) => c.notNull())
    .addColumn('tkp', 'integer', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('passed', 'boolean', (c) => c.notNull())
    .addColumn('passing_group', 'text', (c) => c.notNull())
    .addColumn('reused_from_year', 'integer')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('skb_results')
    .addColumn('registration_no', 'text', (c) => c.primaryKey().references('applications.registration_no'))
    .addColumn('selected', 'boolean', (c) => c.notNull())
    .addColumn('skd_rank', 'integer')
    .addColumn('score', 'integer')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('final_results')
    .addColumn('registration_no', 'text', (c) => c.primaryKey().references('applications.registration_no'))
    .addColumn('result', 'text', (c) => c.notNull().check(sql`result in ('lulus','lulus_optimalisasi','tidak_lulus')`))
    .addColumn('score_scaled', 'bigint', (c) => c.notNull())
    .addColumn('score_scale', 'bigint', (c) => c.notNull())
    .addColumn('score_display', 'text', (c) => c.notNull())
    .addColumn('rank', 'integer', (c) => c.notNull())
    .addColumn('placement_formation_id', 'text')
    .addColumn('breakdown', 'jsonb', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // NIP sequence per 15-digit prefix (birth date + TMT + sex); 999 is the last.
  await db.schema
    .createTable('nip_sequences')
    .addColumn('prefix', 'text', (c) => c.primaryKey())
    .addColumn('last_seq', 'integer', (c) => c.notNull().check(sql`last_seq between 0 and 999`))
    .execute();
  await db.schema
    .createTable('appointments')
    .addColumn('registration_no', 'text', (c) => c.primaryKey().references('applications.registration_no'))
    .addColumn('drh', 'jsonb')
    .addColumn('drh_submitted_at', 'timestamptz')
    .addColumn('nip', 'text', (c) => c.unique())
    .addColumn('tmt', 'date')
    .addColumn('formation_id', 'text')
    .addColumn('sk_number', 'text')
    .addColumn('sk_date', 'date')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'appointments',
    'nip_sequences',
    'final_results',
    'skb_results',
    'skd_scores',
    'sanggah',
    'verifications',
    'tasks',
    'documents',
    'document_blobs',
    'applications',
  ])
    await db.schema.dropTable(t).execute();
  await sql`drop sequence registration_seq`.execute(db);
}
