import { type Kysely, sql } from 'kysely';

/**
 * Who supervises each career (issue 18, "my team"): the supervisor's and the unit head's usernames
 * on the career row, written by the careers service after each assignment the workflow accepted
 * (the workflow stays the source of truth; a read of the career's status corrects a stale row).
 * Careers assigned before this migration get the last assignment their events recorded.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('careers').addColumn('supervisor', 'text').addColumn('unit_head', 'text').execute();
  await sql`
    update careers c set supervisor = e.m[1], unit_head = e.m[2]
    from (
      select distinct on (nip) nip, regexp_match(kind, '^atasan langsung: ([^;]+); kepala unit: (.+)$') as m
      from career_events where kind like 'atasan langsung: %'
      order by nip, year desc, seq desc
    ) e
    where e.nip = c.nip and e.m is not null`.execute(db);
  await sql`create index if not exists careers_supervisor on careers (supervisor, nip)`.execute(db);
  await sql`create index if not exists careers_unit_head on careers (unit_head, nip)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists careers_unit_head`.execute(db);
  await sql`drop index if exists careers_supervisor`.execute(db);
  await db.schema.alterTable('careers').dropColumn('supervisor').dropColumn('unit_head').execute();
}
