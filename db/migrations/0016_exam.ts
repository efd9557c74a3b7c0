import { type Kysely, sql } from 'kysely';

/**
 * The online SKD exam (issue 19, docs/exam.md): question banks by version (the item's text and
 * options in `body`, its key — the points of each option — in `key`, read only by scoring and
 * the auditor), HR's slot and accommodation per participant, and one row per exam session (its
 * workflow is exam/<session_id>; the row records the bank versions, the clock and the score).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('exam_bank_versions')
    .addColumn('bank_id', 'text', (c) => c.notNull())
    .addColumn('subtest', 'text', (c) => c.notNull().check(sql`subtest in ('twk','tiu','tkp')`))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('items', 'integer', (c) => c.notNull())
    .addColumn('imported_by', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('exam_bank_versions_pk', ['bank_id', 'subtest', 'version'])
    .execute();
  await db.schema
    .createTable('exam_bank_items')
    .addColumn('bank_id', 'text', (c) => c.notNull())
    .addColumn('subtest', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('key', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('exam_bank_items_pk', ['bank_id', 'subtest', 'version', 'item_id'])
    .addForeignKeyConstraint('exam_bank_items_version', ['bank_id', 'subtest', 'version'], 'exam_bank_versions', [
      'bank_id',
      'subtest',
      'version',
    ])
    .execute();
  await db.schema
    .createTable('exam_participants')
    .addColumn('round_id', 'text', (c) => c.notNull())
    .addColumn('registration_no', 'text', (c) => c.notNull().references('applications.registration_no'))
    .addColumn('slot_id', 'text')
    .addColumn('visual_disability', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('exam_participants_pk', ['round_id', 'registration_no'])
    .execute();
  await db.schema
    .createTable('exam_sessions')
    .addColumn('session_id', 'text', (c) => c.primaryKey())
    .addColumn('round_id', 'text', (c) => c.notNull())
    .addColumn('registration_no', 'text', (c) => c.notNull().references('applications.registration_no'))
    .addColumn('exam', 'text', (c) => c.notNull().check(sql`exam in ('skd')`))
    .addColumn('bank_id', 'text', (c) => c.notNull())
    .addColumn('bank_versions', 'jsonb', (c) => c.notNull())
    .addColumn('items', 'jsonb', (c) => c.notNull())
    .addColumn('seed', 'text', (c) => c.notNull())
    .addColumn('slot_id', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('waiting','in_progress','scoring','finished','absent')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('deadline', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('ended_by', 'text')
    .addColumn('answered', 'integer')
    .addColumn('answers', 'jsonb')
    .addColumn('twk', 'integer')
    .addColumn('tiu', 'integer')
    .addColumn('tkp', 'integer')
    .addColumn('total', 'integer')
    .addColumn('passed', 'boolean')
    .addUniqueConstraint('exam_sessions_one', ['round_id', 'registration_no', 'exam'])
    .execute();
  await sql`create index exam_sessions_round_status on exam_sessions (round_id, status, registration_no)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['exam_sessions', 'exam_participants', 'exam_bank_items', 'exam_bank_versions'])
    await db.schema.dropTable(t).execute();
}
