import type { Kysely } from 'kysely';

/** A candidate's own audit rows in order: the API reads a candidate's decisions from them (api/services/candidate-read.ts). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_log_subject').on('audit_log').columns(['chain', 'subject', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_log_subject').execute();
}
