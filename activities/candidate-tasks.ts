import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import { type AuditEntry, auditedTransaction } from '../db/audit';
import { roundChain } from '../contracts';
import { type Ctx, lockApplication, type Trx } from './candidate-audit';
import type { ActivityDeps } from './deps';

/** A reviewer's task to open: a verification or a sanggah answer, its attempt (2+: escalated) and due date. */
export type AssignInput = Ctx & {
  kind: 'verification' | 'sanggah';
  stage: string;
  attempt: number;
  exclude: string[];
  dueAt: string;
};
type Assigned = { taskId: string; reviewer: string };

/** The advisory lock key that serialises reviewer assignment (any number unique in this database). */
const ASSIGN_LOCK = 7_300_018;

/** Written on a sanggah task (and its audit row) when the pool has no reviewer but the decider. */
export const SAME_REVIEWER_NOTE =
  'Pool peninjau hanya berisi peninjau yang memutus TMS: sanggah ditugaskan kepada peninjau yang sama. SDM perlu menambah peninjau ke pool seleksi ini untuk pemeriksaan oleh pihak kedua.';

const taskIdOf = (i: AssignInput, attempt = i.attempt): string => `${i.registrationNo}:${i.kind}:${i.stage}:${attempt}`;

/** Opens the task of this attempt (idempotently: a retry finds the task it opened). */
export async function assignTask({ db, faults }: ActivityDeps, i: AssignInput): Promise<Assigned> {
  // The task's audit row is appended with the COMMIT (auditedTransaction): the assignment lock
  // and the round's chain lock are released with no round trip to the worker after the append.
  const out = await auditedTransaction(db, async (trx) => {
    // Serialised with the decision's own write (recordVerification, recordSanggahAnswer lock the same row).
    await lockApplication(trx, i.registrationNo);
    const already = await assignedAlready(trx, i);
    return already ? { value: already, audit: null } : openTask(trx, i);
  });
  await faults?.afterWrite?.('assignTask');
  return out;
}

/** The task this attempt already opened, or — its decision already written — the one before it. */
async function assignedAlready(trx: Trx, i: AssignInput): Promise<Assigned | undefined> {
  const taskId = taskIdOf(i);
  const existing = await trx.selectFrom('tasks').select(['reviewer']).where('task_id', '=', taskId).executeTakeFirst();
  if (existing) return { taskId, reviewer: existing.reviewer };
  if (i.attempt > 1 && (await decidedAlready(trx, i.registrationNo, i.kind, i.stage))) {
    // The deadline passed while the reviewer's decision was being written (a workflow that
    // took both in one task after a worker restart): nothing to escalate, no task reopened.
    const previous = await trx
      .selectFrom('tasks')
      .select(['task_id', 'reviewer'])
      .where('task_id', '=', taskIdOf(i, i.attempt - 1))
      .executeTakeFirst();
    return { taskId: previous?.task_id ?? taskId, reviewer: previous?.reviewer ?? i.exclude.at(-1) ?? '' };
  }
  return undefined;
}

/** A new task for the reviewer picked now; an earlier attempt's open task is escalated. */
async function openTask(trx: Trx, i: AssignInput): Promise<{ value: Assigned; audit: AuditEntry }> {
  const taskId = taskIdOf(i);
  // What does not depend on the others' assignments is read and written before the lock, so that
  // the lock is held for as few round trips as possible: every assignment in the system waits for it.
  const { pool, decider } = await candidatesFor(trx, i);
  await trx
    .updateTable('applications')
    .set({ stage: i.kind === 'verification' ? 'verification' : 'sanggah', updated_at: i.at })
    .where('registration_no', '=', i.registrationNo)
    .execute();
  // One assignment at a time: simultaneous assignments would otherwise all count the same loads
  // and pick the same reviewer. assign_reviewer_task (migration 0024) takes the lock, picks the
  // least-loaded reviewer by the pool's rules, escalates the attempt before and inserts the task
  // in one round trip; the lock is released at the commit, so the next one counts this task.
  // Lock order: application row, assignment lock, the round's audit chain (the append, sent with
  // the COMMIT), reviewer loads (at commit).
  const { rows } = await sql<{ reviewer: string; note: string | null }>`
    select reviewer, note from assign_reviewer_task(
      ${ASSIGN_LOCK}, ${taskId}, ${i.registrationNo}, ${i.roundId}, ${i.kind}, ${i.stage}, ${i.dueAt}, ${i.at},
      ${pool}::text[], ${i.exclude}::text[], ${decider ?? null}, ${i.attempt > 1 ? taskIdOf(i, i.attempt - 1) : null},
      ${SAME_REVIEWER_NOTE})`.execute(trx);
  const picked = rows[0];
  if (!picked)
    throw ApplicationFailure.retryable(
      'no reviewer account exists yet; create one with npm run user:create -- --role reviewer',
      'NO_REVIEWER',
    );
  const { reviewer, note } = picked;
  const audit = {
    chain: roundChain(i.roundId),
    idempotencyKey: `${i.registrationNo}:task:${taskId}`,
    actor: 'system',
    action: i.attempt > 1 ? 'task.escalated' : 'task.assigned',
    subject: i.registrationNo,
    reason: i.attempt > 1 ? `${i.exclude.at(-1)} tidak memutus sebelum tenggat` : note,
    payload: { taskId, reviewer, dueAt: i.dueAt, ...(note ? { note } : {}) },
    occurredAt: i.at,
  };
  return { value: { taskId, reviewer }, audit };
}

/** The round's reviewer pool (empty: every reviewer) and, for a sanggah, who decided the verification it contests. */
type Who = { pool: string[]; decider: string | undefined };
async function candidatesFor(trx: Trx, i: AssignInput): Promise<Who> {
  const pool = (
    await trx.selectFrom('round_reviewers').select('username').where('round_id', '=', i.roundId).execute()
  ).map((r) => r.username);
  const decider =
    i.kind === 'sanggah'
      ? (
          await trx
            .selectFrom('verifications')
            .select('reviewer')
            .where('registration_no', '=', i.registrationNo)
            .where('stage', '=', i.stage)
            .executeTakeFirst()
        )?.reviewer
      : undefined;
  return { pool, decider };
}

/** Whether the decision a task asks for is already recorded (a verification, an answered sanggah). */
async function decidedAlready(
  trx: Trx,
  registrationNo: string,
  kind: 'verification' | 'sanggah',
  stage: string,
): Promise<boolean> {
  const row =
    kind === 'verification'
      ? await trx
          .selectFrom('verifications')
          .select('registration_no')
          .where('registration_no', '=', registrationNo)
          .where('stage', '=', stage)
          .executeTakeFirst()
      : await trx
          .selectFrom('sanggah')
          .select('registration_no')
          .where('registration_no', '=', registrationNo)
          .where('stage', '=', stage)
          .where('answered_at', 'is not', null)
          .executeTakeFirst();
  return row !== undefined;
}
