import { checkSanggahReason, validateDrh } from '../../domain';
import {
  answerSanggahUpdate,
  candidateWorkflowId,
  fileSanggahUpdate,
  submitDrhUpdate,
  verifyDocumentsUpdate,
  type CandidateStatus,
  type DocumentDecision,
} from '../../contracts';
import type { User } from '../../db/users';
import type { TasksTable } from '../../db/schema';
import type { Selectable } from 'kysely';
import { isWorkflowNotFound } from '../../config/temporal-errors';
import { AppError, notFound } from '../errors';
import type { ServiceDeps } from './deps';
import { pageOfQuery, type Page, type PageRequest } from './paging';
import { applicationOf, candidateStatus } from './documents';

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
/** A task row as the API shows it. */
function taskView(t: Selectable<TasksTable>): TaskView {
  return {
    taskId: t.task_id,
    registrationNo: t.registration_no,
    roundId: t.round_id,
    kind: t.kind,
    stage: t.stage,
    status: t.status,
    dueAt: new Date(t.due_at).toISOString(),
    createdAt: new Date(t.created_at).toISOString(),
  };
}

/** One page of the reviewer's tasks, soonest deadline first (then by id: a stable order). */
export async function myTasks(
  deps: ServiceDeps,
  reviewer: string,
  status: 'open' | 'all' = 'open',
  p: PageRequest = {},
): Promise<Page<TaskView>> {
  const mine = deps.db
    .selectFrom('tasks')
    .where('reviewer', '=', reviewer)
    .$if(status === 'open', (q) => q.where('status', '=', 'open'));
  return pageOfQuery(
    p,
    async () => (await mine.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n,
    async (offset, limit) =>
      (await mine.selectAll().orderBy('due_at').orderBy('task_id').offset(offset).limit(limit).execute()).map(taskView),
  );
}

/** What the reviewer sees for a task: documents with hashes and the NIK warnings. */
export async function taskDetail(
  deps: ServiceDeps,
  user: User,
  taskId: string,
): Promise<{ task: TaskView; status: CandidateStatus }> {
  const t = await deps.db.selectFrom('tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
  if (!t) throw notFound('Tugas', taskId);
  if (user.role === 'reviewer' && t.reviewer !== user.username)
    throw new AppError(403, 'NOT_ASSIGNED', 'Tugas ini tidak ditugaskan kepada Anda');
  return { task: taskView(t), status: await candidateStatus(deps, t.registration_no) };
}

/** A reviewer's decision on a task: a workflow Update (the validator's refusal becomes 409/422). */
export async function decideTask(
  deps: ServiceDeps,
  user: User,
  taskId: string,
  body: { decisions?: DocumentDecision[]; accepted?: boolean; answer?: string },
  updateId?: string,
): Promise<CandidateStatus> {
  const once = updateId ? { updateId } : {};
  const t = await deps.db.selectFrom('tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
  if (!t) throw notFound('Tugas', taskId);
  if (t.reviewer !== user.username) throw new AppError(403, 'NOT_ASSIGNED', 'Tugas ini tidak ditugaskan kepada Anda');
  // A retry (same Idempotency-Key) of a decision that went through finds the task closed: the
  // workflow answers it with the first outcome. Without a key a closed task is refused here.
  if (t.status !== 'open' && !updateId) throw taskFinished(t.status);
  if (t.kind === 'verification' && !body.decisions)
    throw new AppError(400, 'VALIDATION_FAILED', 'decisions wajib untuk tugas verifikasi');
  if (t.kind === 'sanggah' && (body.accepted === undefined || !body.answer))
    throw new AppError(400, 'VALIDATION_FAILED', 'accepted dan answer wajib untuk tugas jawab sanggah');
  const handle = deps.client.workflow.getHandle(candidateWorkflowId(t.registration_no));
  try {
    return t.kind === 'verification'
      ? await handle.executeUpdate(verifyDocumentsUpdate, {
          args: [{ reviewer: user.username, decisions: body.decisions! }],
          ...once,
        })
      : await handle.executeUpdate(answerSanggahUpdate, {
          args: [{ reviewer: user.username, accepted: body.accepted!, answer: body.answer! }],
          ...once,
        });
  } catch (err) {
    // The process ended without this decision (a repeat of one it took is answered by Temporal
    // with the first outcome): its task is cancelled at the end, or is about to be.
    if (isWorkflowNotFound(err)) throw taskFinished('cancelled');
    throw err;
  }
}

function taskFinished(status: string): AppError {
  return new AppError(
    409,
    'TASK_FINISHED',
    status === 'escalated'
      ? 'Tugas ini sudah dialihkan ke peninjau lain'
      : status === 'cancelled'
        ? 'Proses pendaftaran ini sudah selesai; tugas ini dibatalkan'
        : 'Tugas ini sudah diputus',
  );
}

/**
 * A candidate's Update, without asking the workflow first: the validator refuses a wrong stage,
 * and a process that has already ended answers NOT_FOUND (WorkflowNotFoundError), which becomes the clear 409
 * here (one round trip instead of a query and an update).
 */
async function candidateUpdate<A>(
  deps: ServiceDeps,
  registrationNo: string,
  run: (h: ReturnType<ServiceDeps['client']['workflow']['getHandle']>) => Promise<A>,
  closedCode: string,
  closedMessage: string,
): Promise<A> {
  await applicationOf(deps, registrationNo);
  try {
    return await run(deps.client.workflow.getHandle(candidateWorkflowId(registrationNo)));
  } catch (err) {
    if (isWorkflowNotFound(err)) throw new AppError(409, closedCode, closedMessage);
    throw err;
  }
}

export async function fileSanggah(
  deps: ServiceDeps,
  registrationNo: string,
  reason: string,
  updateId?: string,
): Promise<CandidateStatus> {
  const invalid = checkSanggahReason(reason);
  if (invalid.length) throw new AppError(422, 'INVALID_SANGGAH', invalid[0]!.message, invalid);
  return candidateUpdate(
    deps,
    registrationNo,
    (h) => h.executeUpdate(fileSanggahUpdate, { args: [{ reason }], ...(updateId ? { updateId } : {}) }),
    'WINDOW_CLOSED',
    'Masa sanggah telah berakhir; proses pendaftaran ini sudah selesai',
  );
}

/** Today's civil date in WIB (Asia/Jakarta, UTC+7, no daylight saving). */
export const todayWib = (ms: number = Date.now()): string => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10);

/**
 * The DRH, checked by the domain's rules against the registration (the NIP is built from its birth
 * date and sex) before it reaches the workflow; every problem at once as 422 INVALID_DRH.
 */
export async function submitDrh(
  deps: ServiceDeps,
  registrationNo: string,
  input: unknown,
  updateId?: string,
): Promise<CandidateStatus> {
  const a = await deps.db
    .selectFrom('applications')
    .select(['birth_date', 'sex', 'education_level'])
    .where('registration_no', '=', registrationNo)
    .executeTakeFirst();
  if (!a) throw notFound('Pendaftaran', registrationNo);
  const checked = validateDrh(input, {
    referenceDate: todayWib(),
    registration: { birthDate: a.birth_date, sex: a.sex, educationLevel: a.education_level },
  });
  if (!checked.ok)
    throw new AppError(
      422,
      'INVALID_DRH',
      `DRH belum benar: ${checked.errors.length} isian perlu diperbaiki`,
      checked.errors,
    );
  const drh = checked.value as unknown as Record<string, unknown>;
  return candidateUpdate(
    deps,
    registrationNo,
    (h) => h.executeUpdate(submitDrhUpdate, { args: [{ drh }], ...(updateId ? { updateId } : {}) }),
    'WINDOW_CLOSED',
    'Pengisian DRH sudah ditutup untuk pendaftaran ini',
  );
}
