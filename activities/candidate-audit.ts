import type { Db } from '../db/connection';
import { appendAuditInTransaction, auditedTransaction } from '../db/audit';
import { roundChain, type CandidateOutcome, type CandidateStage } from '../contracts';
import type { ActivityDeps } from './deps';

/** A connection inside a transaction (a kysely Transaction, or a connection after BEGIN). */
export type Trx = Db;

/** Whose registration an activity writes, in which round, at which instant. */
export interface Ctx {
  registrationNo: string;
  roundId: string;
  at: string;
}

/**
 * Writes `write`, the application's stage (when given) and the audit row keyed by the decision
 * (`key`) in one transaction; then the fault hook (after the write, before the completion).
 */
export type WithAudit = (
  c: Ctx,
  action: string,
  key: string,
  actor: string,
  reason: string | null,
  payload: unknown,
  write: (trx: Trx) => Promise<void>,
  stage?: CandidateStage,
  outcome?: CandidateOutcome | null,
) => Promise<void>;

/** What the candidate activities share: the activity dependencies and the audited writer. */
export type CandidateDeps = ActivityDeps & { withAudit: WithAudit };

export function auditedWriter({ db, faults }: ActivityDeps): WithAudit {
  return async (c, action, key, actor, reason, payload, write, stage, outcome) => {
    await auditedTransaction(db, async (trx) => {
      await write(trx);
      if (stage) {
        await trx
          .updateTable('applications')
          .set({ stage, ...(outcome !== undefined ? { outcome } : {}), updated_at: c.at })
          .where('registration_no', '=', c.registrationNo)
          .execute();
      }
      const audit = {
        chain: roundChain(c.roundId),
        idempotencyKey: `${c.registrationNo}:${key}`,
        actor,
        action,
        subject: c.registrationNo,
        reason,
        payload,
        occurredAt: c.at,
      };
      return { value: undefined, audit };
    });
    await faults?.afterWrite?.(action);
  };
}

/** Row lock on the application: a task assignment and a decision on it never interleave. */
export async function lockApplication(trx: Trx, registrationNo: string): Promise<void> {
  await trx
    .selectFrom('applications')
    .select('registration_no')
    .where('registration_no', '=', registrationNo)
    .forUpdate()
    .execute();
}

/** The candidate's open tasks of `kind` are done (their decision is written). */
export async function closeTasks(
  trx: Trx,
  registrationNo: string,
  kind: 'verification' | 'sanggah',
  at: string,
): Promise<void> {
  await trx
    .updateTable('tasks')
    .set({ status: 'done', closed_at: at })
    .where('registration_no', '=', registrationNo)
    .where('kind', '=', kind)
    .where('status', '=', 'open')
    .execute();
}

/**
 * What an ended process leaves behind, undone in its last write: its open tasks are cancelled;
 * the sanggah of `voidSanggah` (the window it was in when it ended, with no appeal on record in
 * the workflow) is removed; and, when it ended for a DRH not filled in (`drh_missed`), a DRH row
 * without a NIP is removed. Each exists only when a local activity wrote it inside a workflow task
 * that never completed (the worker stopped): the workflow then went another way, e.g. the
 * appeal's or the DRH's retry came after its deadline and was refused. The audit keeps the first
 * write and says why it was undone.
 */
export async function undoLeftovers(
  trx: Trx,
  c: Ctx & { voidSanggah?: string; outcome?: CandidateOutcome },
): Promise<void> {
  const cancelled = await trx
    .updateTable('tasks')
    .set({ status: 'cancelled', closed_at: c.at })
    .where('registration_no', '=', c.registrationNo)
    .where('status', '=', 'open')
    .returning(['task_id', 'reviewer'])
    .execute();
  for (const t of cancelled)
    await undone(trx, c, 'task.cancelled', `task-cancelled:${t.task_id}`, {
      reason: 'Proses pendaftaran sudah selesai; tugas ini tidak lagi dapat diputus',
      payload: { taskId: t.task_id, reviewer: t.reviewer },
    });
  if (c.outcome === 'drh_missed') {
    const drh = await trx
      .deleteFrom('appointments')
      .where('registration_no', '=', c.registrationNo)
      .where('nip', 'is', null)
      .returning(['drh_submitted_at'])
      .executeTakeFirst();
    if (drh)
      await undone(trx, c, 'drh.voided', 'drh-voided', {
        reason: 'DRH tidak pernah diterima oleh proses (batas waktu lewat sebelum pengisiannya selesai dicatat)',
        payload: { submittedAt: drh.drh_submitted_at ? new Date(drh.drh_submitted_at).toISOString() : null },
      });
  }
  if (!c.voidSanggah) return;
  const sanggah = await trx
    .deleteFrom('sanggah')
    .where('registration_no', '=', c.registrationNo)
    .where('stage', '=', c.voidSanggah)
    .where('answered_at', 'is', null)
    .returning(['filed_at'])
    .executeTakeFirst();
  if (sanggah)
    await undone(trx, c, 'sanggah.voided', `sanggah-voided:${c.voidSanggah}`, {
      reason: 'Sanggah tidak pernah diterima oleh proses (masa sanggah berakhir sebelum pengajuannya selesai dicatat)',
      payload: { stage: c.voidSanggah, filedAt: new Date(sanggah.filed_at).toISOString() },
    });
}

/** The audit row of an undone write: by the system, keyed once per candidate and write. */
function undone(
  trx: Trx,
  c: Ctx,
  action: string,
  key: string,
  what: { reason: string; payload: unknown },
): Promise<unknown> {
  return appendAuditInTransaction(trx, {
    chain: roundChain(c.roundId),
    idempotencyKey: `${c.registrationNo}:${key}`,
    actor: 'system',
    action,
    subject: c.registrationNo,
    occurredAt: c.at,
    ...what,
  });
}
