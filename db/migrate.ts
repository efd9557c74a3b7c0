import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Db } from './connection';
import * as m0001 from './migrations/0001_rounds';
import * as m0002 from './migrations/0002_candidates';
import * as m0003 from './migrations/0003_round_operations';
import * as m0004 from './migrations/0004_careers';
import * as m0005 from './migrations/0005_registration_idempotency';
import * as m0006 from './migrations/0006_round_jobs';
import * as m0007 from './migrations/0007_audit_subject';
import * as m0008 from './migrations/0008_credentials';
import * as m0009 from './migrations/0009_audit_checkpoints';
import * as m0010 from './migrations/0010_career_id';
import * as m0011 from './migrations/0011_units_and_write_audit';
import * as m0012 from './migrations/0012_accounts';
import * as m0013 from './migrations/0013_mail_outbox';
import * as m0015 from './migrations/0015_console_review';
import * as m0016 from './migrations/0016_exam';
import * as m0017 from './migrations/0017_career_supervisor';
import * as m0018 from './migrations/0018_audit_jobs';
import * as m0019 from './migrations/0019_comment_moderation';
import * as m0020 from './migrations/0020_reviewer_loads';
import * as m0021 from './migrations/0021_audit_chain_head';
import * as m0022 from './migrations/0022_audit_append';
import * as m0023 from './migrations/0023_task_cancelled';
import * as m0024 from './migrations/0024_assign_reviewer_task';

/** Migrations in order; a static list so it works the same from source and from dist. */
const migrations: Record<string, Migration> = {
  '0001_rounds': m0001,
  '0002_candidates': m0002,
  '0003_round_operations': m0003,
  '0004_careers': m0004,
  '0005_registration_idempotency': m0005,
  '0006_round_jobs': m0006,
  '0007_audit_subject': m0007,
  '0008_credentials': m0008,
  '0009_audit_checkpoints': m0009,
  '0010_career_id': m0010,
  '0011_units_and_write_audit': m0011,
  '0012_accounts': m0012,
  '0013_mail_outbox': m0013,
  '0015_console_review': m0015,
  '0016_exam': m0016,
  '0017_career_supervisor': m0017,
  '0018_audit_jobs': m0018,
  '0019_comment_moderation': m0019,
  '0020_reviewer_loads': m0020,
  '0021_audit_chain_head': m0021,
  '0022_audit_append': m0022,
  '0023_task_cancelled': m0023,
  '0024_assign_reviewer_task': m0024,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

export async function migrateToLatest(db: Db): Promise<string[]> {
  // Numbers are handed out to parallel work and may land out of order (0010 before 0009): a
  // database that already ran a later one still gets the earlier one (each is independent).
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
