import { sql, type Selectable } from 'kysely';
import type { Db } from './connection';
import type { AuditJobsTable } from './schema';

/**
 * The auditor's background jobs (migration 0018): created queued, claimed and run by one API
 * process (api/services/audit-jobs.ts), which records progress and a heartbeat while it runs and
 * the result when it ends. A job whose process stopped heartbeating is marked `interrupted`.
 */
export type AuditJobKind = AuditJobsTable['kind'];
export type AuditJobStatus = AuditJobsTable['status'];
export type AuditJobRow = Selectable<AuditJobsTable>;

export const AUDIT_JOB_KINDS: readonly AuditJobKind[] = ['verify', 'replay', 'rederive'];
/** A job's id: a random UUID. */
export const AUDIT_JOB_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

export async function insertAuditJob(
  db: Db,
  job: { jobId: string; kind: AuditJobKind; roundId: string; requestedBy: string; instanceId: string },
): Promise<void> {
  await db
    .insertInto('audit_jobs')
    .values({
      job_id: job.jobId,
      kind: job.kind,
      round_id: job.roundId,
      status: 'queued',
      requested_by: job.requestedBy,
      instance_id: job.instanceId,
    })
    .execute();
}

/** Queued → running, only by the process that owns it (false when it was interrupted meanwhile). */
export async function markAuditJobRunning(db: Db, jobId: string, instanceId: string): Promise<boolean> {
  const r = await db
    .updateTable('audit_jobs')
    .set({ status: 'running', started_at: sql<Date>`now()`, heartbeat_at: sql<Date>`now()` })
    .where('job_id', '=', jobId)
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function recordAuditJobProgress(db: Db, jobId: string, done: number, total: number): Promise<void> {
  await db
    .updateTable('audit_jobs')
    .set({ done, total, heartbeat_at: sql<Date>`now()` })
    .where('job_id', '=', jobId)
    .where('status', '=', 'running')
    .execute();
}

/** The process's jobs are alive: one statement for all of them. */
export async function heartbeatAuditJobs(db: Db, instanceId: string): Promise<void> {
  await db
    .updateTable('audit_jobs')
    .set({ heartbeat_at: sql<Date>`now()` })
    .where('instance_id', '=', instanceId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

export async function finishAuditJob(
  db: Db,
  jobId: string,
  outcome:
    | { status: 'succeeded'; ok: boolean; findings: number; result: unknown; done: number; total: number }
    | { status: 'failed'; error: string },
): Promise<void> {
  const set =
    outcome.status === 'succeeded'
      ? {
          status: outcome.status,
          ok: outcome.ok,
          findings: outcome.findings,
          result: JSON.stringify(outcome.result),
          done: outcome.done,
          total: outcome.total,
        }
      : { status: outcome.status, error: outcome.error.slice(0, 2000) };
  await db
    .updateTable('audit_jobs')
    .set({ ...set, finished_at: sql<Date>`now()`, heartbeat_at: sql<Date>`now()` })
    .where('job_id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

/**
 * Queued or running jobs that no live process runs are marked `interrupted`: those whose
 * heartbeat is older than `staleMs` (a process heartbeats its jobs every few seconds, so another
 * API instance's live jobs stay as they are), or one process's own (`instanceId`, when it stops).
 * Returns how many.
 */
export async function markInterruptedAuditJobs(
  db: Db,
  which: { staleMs: number } | { instanceId: string },
): Promise<number> {
  const r = await db
    .updateTable('audit_jobs')
    .set({
      status: 'interrupted',
      finished_at: sql<Date>`now()`,
      error: 'Pekerjaan terhenti karena server API berhenti atau dimulai ulang; jalankan lagi',
    })
    .where('status', 'in', ['queued', 'running'])
    .where((eb) =>
      'instanceId' in which
        ? eb('instance_id', '=', which.instanceId)
        : eb('heartbeat_at', '<', sql<Date>`now() - make_interval(secs => ${which.staleMs / 1000})`),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function findAuditJob(db: Db, jobId: string): Promise<AuditJobRow | undefined> {
  return db.selectFrom('audit_jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
}

/** A page of jobs, newest first (optionally one round's), without their results. */
export async function listAuditJobs(
  db: Db,
  opts: { offset: number; limit: number; roundId?: string },
): Promise<{ total: number; rows: Omit<AuditJobRow, 'result'>[] }> {
  let q = db.selectFrom('audit_jobs');
  if (opts.roundId) q = q.where('round_id', '=', opts.roundId);
  const [count, rows] = await Promise.all([
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    q
      .select([
        'job_id',
        'kind',
        'round_id',
        'status',
        'requested_by',
        'requested_at',
        'started_at',
        'finished_at',
        'done',
        'total',
        'ok',
        'findings',
        'error',
        'instance_id',
        'heartbeat_at',
      ])
      .orderBy('requested_at', 'desc')
      .orderBy('job_id', 'desc')
      .offset(opts.offset)
      .limit(opts.limit)
      .execute(),
  ]);
  return { total: Number(count.n), rows };
}
