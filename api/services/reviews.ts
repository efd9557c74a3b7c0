import { answerSanggahUpdate, candidateWorkflowId, fileSanggahUpdate, submitDrhUpdate, verifyDocumentsUpdate, type CandidateStatus, type DocumentDecision } from '../../workflows/messages';
import type { User } from '../../db/users';
import { AppError, notFound } from '../errors';
import type { ServiceDeps } from './deps';
import { candidateStatus } from './documents';

export interface TaskView {
  taskId: string;
  registrationNo: string;
  roundId: string;
  kind: 'verification' | 'sanggah';
  stage: string;
  status: string;
  dueAt: string;
  createdAt: string;
}

/** The reviewer's inbox: open tasks assigned to them, soonest deadline first. */
export async function myTasks(deps: ServiceDeps, reviewer: string, status: 'open' | 'all' = 'open'): Promise<TaskView[]> {
  const rows = await deps.db.selectFrom('tasks').selectAll().where('reviewer', '=', reviewer).$if(status === 'open', (q) => q.where('status', '=', 'open')).orderBy('due_at').orderBy('task_id').limit(1000).execute();
  return rows.map((t) => ({ taskId: t.task_id, registrationNo: t.registration_no, roundId: t.round_id, kind: t.kind, stage: t.stage, status: t.status, dueAt: new Date(t.due_at).toISOString(), createdAt: new Date(t.created_at).toISOString() }));
}

/** What the reviewer sees for a task: documents with hashes and the NIK warnings. */
export async function taskDetail(deps: ServiceDeps, user: User, taskId: string): Promise<{ task: TaskView; status: CandidateStatus }> {
  const t = await deps.db.selectFrom('tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
  if (!t) throw notFound('Tugas', taskId);
  if (user.role === 'reviewer' && t.reviewer !== user.username) throw new AppError(403, 'NOT_ASSIGNED', 'Tugas ini tidak ditugaskan kepada Anda');
  const task: TaskView = { taskId: t.task_id, registrationNo: t.registration_no, roundId: t.round_id, kind: t.kind, stage: t.stage, status: t.status, dueAt: new Date(t.due_at).toISOString(), createdAt: new Date(t.created_at).toISOString() };
  return { task, status: await candidateStatus(deps, t.registration_no) };
}

/** A reviewer's decision on a task: a workflow Update (the validator's refusal becomes 409/422). */
export async function decideTask(deps: ServiceDeps, user: User, taskId: string, body: { decisions?: DocumentDecision[]; accepted?: boolean; answer?: string }, updateId?: string): Promise<CandidateStatus> {
  const once = updateId ? { updateId } : {};
  const t = await deps.db.selectFrom('tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
  if (!t) throw notFound('Tugas', taskId);
  if (t.reviewer !== user.username) throw new AppError(403, 'NOT_ASSIGNED', 'Tugas ini tidak ditugaskan kepada Anda');
  // A retry (same Idempotency-Key) of a decision that went through finds the task closed: the
  // workflow answers it with the first outcome. Without a key a closed task is refused here.
  if (t.status !== 'open' && !updateId) throw new AppError(409, 'TASK_FINISHED', t.status === 'escalated' ? 'Tugas ini sudah dialihkan ke peninjau lain' : 'Tugas ini sudah diputus');
  const handle = deps.client.workflow.getHandle(candidateWorkflowId(t.registration_no));
  if (t.kind === 'verification') {
    if (!body.decisions) throw new AppError(400, 'VALIDATION_FAILED', 'decisions wajib untuk tugas verifikasi');
    return handle.executeUpdate(verifyDocumentsUpdate, { args: [{ reviewer: user.username, decisions: body.decisions }], ...once });
  }
  if (body.accepted === undefined || !body.answer) throw new AppError(400, 'VALIDATION_FAILED', 'accepted dan answer wajib untuk tugas jawab sanggah');
  return handle.executeUpdate(answerSanggahUpdate, { args: [{ reviewer: user.username, accepted: body.accepted, answer: body.answer }], ...once });
}

async function openStatus(deps: ServiceDeps, registrationNo: string, closedCode: string, closedMessage: string): Promise<void> {
  const s = await candidateStatus(deps, registrationNo);
  if (s.outcome !== null || s.stage === 'ended' || s.stage === 'appointed') throw new AppError(409, closedCode, closedMessage);
}

export async function fileSanggah(deps: ServiceDeps, registrationNo: string, reason: string, updateId?: string): Promise<CandidateStatus> {
  await openStatus(deps, registrationNo, 'WINDOW_CLOSED', 'Masa sanggah telah berakhir; proses pendaftaran ini sudah selesai');
  return deps.client.workflow.getHandle(candidateWorkflowId(registrationNo)).executeUpdate(fileSanggahUpdate, { args: [{ reason }], ...(updateId ? { updateId } : {}) });
}

export async function submitDrh(deps: ServiceDeps, registrationNo: string, drh: Record<string, unknown>, updateId?: string): Promise<CandidateStatus> {
  await openStatus(deps, registrationNo, 'WINDOW_CLOSED', 'Pengisian DRH sudah ditutup untuk pendaftaran ini');
  return deps.client.workflow.getHandle(candidateWorkflowId(registrationNo)).executeUpdate(submitDrhUpdate, { args: [{ drh }], ...(updateId ? { updateId } : {}) });
}
