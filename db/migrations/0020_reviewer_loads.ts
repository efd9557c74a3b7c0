import { type Kysely, sql } from 'kysely';

/**
 * Each reviewer's load, kept by the database itself (issue 20): how many tasks they have open
 * and how many they were ever given. Reviewer assignment read both by counting every task of
 * every reviewer, under the one lock that serialises assignment — a count that grew with the
 * round, so each assignment got slower than the last (3,000 verification tasks took minutes).
 * A trigger on `tasks` keeps the counts exact whichever code path inserts, closes, reassigns
 * or deletes a task (at the commit: the counts are what committed); the existing tasks are
 * counted once here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reviewer_loads')
    .addColumn('username', 'text', (c) => c.primaryKey())
    .addColumn('open_tasks', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`open_tasks >= 0`),
    )
    .addColumn('assigned_tasks', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`assigned_tasks >= 0`),
    )
    .execute();
  await sql`
    insert into reviewer_loads (username, open_tasks, assigned_tasks)
    select reviewer, count(*) filter (where status = 'open'), count(*) from tasks group by reviewer
  `.execute(db);
  await sql`
    create function reviewer_loads_track() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        update reviewer_loads
           set open_tasks = open_tasks - (old.status = 'open')::int, assigned_tasks = assigned_tasks - 1
         where username = old.reviewer;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        insert into reviewer_loads as l (username, open_tasks, assigned_tasks)
        values (new.reviewer, (new.status = 'open')::int, 1)
        on conflict (username) do update
          set open_tasks = l.open_tasks + excluded.open_tasks, assigned_tasks = l.assigned_tasks + 1;
      end if;
      return null;
    end $$
  `.execute(db);
  // Deferred to the commit: the row of a reviewer's load is locked only while its transaction
  // commits, after every other lock it takes (the assignment lock, the round's audit chain).
  // Taken at the task's own write instead, a decision would hold the reviewer's row while it
  // waits in the round's audit chain queue, and the assignments to that reviewer behind it.
  await sql`
    create constraint trigger tasks_reviewer_loads after insert or delete or update of reviewer, status on tasks
    deferrable initially deferred for each row execute function reviewer_loads_track()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists tasks_reviewer_loads on tasks`.execute(db);
  await sql`drop function if exists reviewer_loads_track()`.execute(db);
  await db.schema.dropTable('reviewer_loads').ifExists().execute();
}
