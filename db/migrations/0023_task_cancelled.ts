import { type Kysely, sql } from 'kysely';

/**
 * A task can be `cancelled`: the candidate's process ended while it was open. A local activity
 * writes a task (or a sanggah) inside a workflow task; when the worker stops before that workflow
 * task completes, the workflow never saw the write, and may then take another path (a sanggah
 * retried after its window closed is refused). The process's end cancels what it left open
 * (activities/candidate-decisions.ts `recordStage`), so no reviewer is asked to decide for a
 * process that is over.
 *
 * And an index on the candidate's tasks: closing a candidate's tasks at each decision, and the
 * candidate's status read, looked them up by a scan of every task of every round.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tasks drop constraint if exists tasks_status_check`.execute(db);
  await sql`alter table tasks add constraint tasks_status_check
    check (status in ('open', 'done', 'escalated', 'cancelled'))`.execute(db);
  await sql`create index if not exists tasks_registration on tasks (registration_no)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists tasks_registration`.execute(db);
  await sql`update tasks set status = 'escalated' where status = 'cancelled'`.execute(db);
  await sql`alter table tasks drop constraint if exists tasks_status_check`.execute(db);
  await sql`alter table tasks add constraint tasks_status_check check (status in ('open', 'done', 'escalated'))`.execute(
    db,
  );
}
