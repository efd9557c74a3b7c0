import { type Kysely, sql } from 'kysely';

/**
 * Reviewer assignment in one round trip (issue 20). Every assignment in the system is serialised by
 * one advisory lock, held to the commit (the loads it reads are updated at the commit, migration
 * 0020). The lock was taken by one statement, then the pick (up to five queries, one for each
 * fallback of the pool's rules), the escalation of the attempt before and the task's insert each
 * made a round trip to a worker busy with the round's other candidates, while every other
 * assignment waited: when registration closed on 10,000 candidates, assigning their verification
 * tasks took five minutes. This function takes the lock, picks, escalates and inserts; the
 * transaction's one remaining message (the audit append and the COMMIT) releases it.
 *
 * The pick is the one the client made with its fallbacks, as one ordering: among the active
 * reviewers of the pool (every reviewer when the round names none), the first tier that has
 * anyone, then fewest open tasks, fewest tasks ever assigned, the username. A reviewer's tier is
 * the first of these sets it is not in: the earlier attempts' reviewers and the decider; the last
 * attempt's reviewer and the decider; the decider; the last attempt's reviewer; nobody.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function assign_reviewer_task(
      p_lock bigint, p_task_id text, p_registration_no text, p_round_id text, p_kind text, p_stage text,
      p_due_at timestamptz, p_created_at timestamptz, p_pool text[], p_exclude text[], p_decider text,
      p_escalates text, p_same_reviewer_note text)
    returns table (reviewer text, note text) language plpgsql volatile as $$
    declare
      v_last text[] := case when cardinality(p_exclude) > 0 then array[p_exclude[cardinality(p_exclude)]] else '{}'::text[] end;
      v_reviewer text;
      v_note text;
    begin
      perform pg_advisory_xact_lock(p_lock);
      select u.username into v_reviewer
        from users u left join reviewer_loads l on l.username = u.username
       where u.role = 'reviewer' and not u.disabled
         and (cardinality(p_pool) = 0 or u.username = any(p_pool))
       order by case
                  when not (u.username = any(p_exclude) or u.username is not distinct from p_decider) then 0
                  when not (u.username = any(v_last) or u.username is not distinct from p_decider) then 1
                  when u.username is distinct from p_decider then 2
                  when not (u.username = any(v_last)) then 3
                  else 4
                end,
                coalesce(l.open_tasks, 0), coalesce(l.assigned_tasks, 0), u.username
       limit 1;
      if v_reviewer is null then
        return;
      end if;
      v_note := case when v_reviewer is not distinct from p_decider then p_same_reviewer_note end;
      if p_escalates is not null then
        update tasks set status = 'escalated', closed_at = p_created_at where task_id = p_escalates and status = 'open';
      end if;
      insert into tasks (task_id, registration_no, round_id, kind, stage, reviewer, status, due_at, created_at, note)
        values (p_task_id, p_registration_no, p_round_id, p_kind, p_stage, v_reviewer, 'open', p_due_at, p_created_at,
                v_note);
      return query select v_reviewer, v_note;
    end $$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists assign_reviewer_task(bigint, text, text, text, text, text, timestamptz, timestamptz, text[], text[], text, text, text)`.execute(
    db,
  );
}
