import type { Transaction } from 'kysely';
import { appendAuditInTransaction } from '../db/audit';
import { itemKeys, onlineImportId } from '../db/exam';
import { scoreExam, skdOutcome, skdTotal, type Category, type ExamSubtest, type RoundConfig } from '../domain';
import {
  candidateWorkflowId,
  EXAM_SKD_PHASE_KEY,
  roundChain,
  skdResultSignal,
  type ExamItemRef,
  type ExamResult,
  type SkdResultSignal,
} from '../contracts';
import type { Database } from '../db/schema';
import { workflowGone, type ActivityDeps } from './deps';

export interface ScoreExamInput {
  sessionId: string;
  roundId: string;
  registrationNo: string;
  bankId: string;
  bankVersions: Record<ExamSubtest, number>;
  items: ExamItemRef[];
  answers: Record<string, string>;
  endedBy: string;
  endedAt: string;
}

/**
 * The exam session's activities (workflows/exam): its row in PostgreSQL, the scoring with the
 * keys of the recorded bank versions (never passed through the workflow), and the result to the
 * candidate's workflow. Each is idempotent: a retry writes nothing twice, the candidate ignores a
 * repeated phase key.
 */
export function createExamActivities(deps: ActivityDeps) {
  return {
    examSessionStarted: (i: { sessionId: string; startedAt: string; deadline: string }) => examSessionStarted(deps, i),
    scoreExamSession: (i: ScoreExamInput) => scoreExamSession(deps, i),
    recordExamAbsent: (i: { sessionId: string; roundId: string; registrationNo: string; at: string }) =>
      recordExamAbsent(deps, i),
  };
}

async function examSessionStarted(
  { db }: ActivityDeps,
  i: { sessionId: string; startedAt: string; deadline: string },
): Promise<void> {
  await db
    .updateTable('exam_sessions')
    .set({ status: 'in_progress', started_at: i.startedAt, deadline: i.deadline })
    .where('session_id', '=', i.sessionId)
    .where('status', '=', 'waiting')
    .execute();
}

async function scoreExamSession(deps: ActivityDeps, i: ScoreExamInput): Promise<ExamResult> {
  const { db } = deps;
  const keys = await itemKeys(db, i.bankId, i.bankVersions, i.items);
  const scores = scoreExam(keys, i.answers);
  const app = await db
    .selectFrom('applications as a')
    .innerJoin('rounds as r', 'r.round_id', 'a.round_id')
    .select(['a.category', 'r.config'])
    .where('a.registration_no', '=', i.registrationNo)
    .executeTakeFirstOrThrow();
  const config = app.config as RoundConfig;
  const outcome = skdOutcome(scores, app.category as Category, config.passingGrades);
  const total = skdTotal(scores);
  const importId = await onlineImportId(db, i.roundId);
  await db.transaction().execute((trx) => writeScore(trx, i, { scores, total, passed: outcome.passed, importId }));
  await signalCandidate(deps, i.registrationNo, { phaseKey: EXAM_SKD_PHASE_KEY, scores });
  return { ...scores, total, passed: outcome.passed, scoredAt: i.endedAt };
}

/** The finished session, its SKD score and the audit row, together. */
async function writeScore(
  trx: Transaction<Database>,
  i: ScoreExamInput,
  r: { scores: ReturnType<typeof scoreExam>; total: number; passed: boolean; importId: string },
): Promise<void> {
  const { scores, total, passed } = r;
  await trx
    .updateTable('exam_sessions')
    .set({
      status: 'finished',
      ended_at: i.endedAt,
      ended_by: i.endedBy,
      answered: Object.keys(i.answers).length,
      answers: JSON.stringify(i.answers),
      ...scores,
      total,
      passed,
    })
    .where('session_id', '=', i.sessionId)
    .execute();
  await trx
    .insertInto('exam_scores')
    .values({
      round_id: i.roundId,
      kind: 'skd',
      registration_no: i.registrationNo,
      import_id: r.importId,
      ...scores,
      skb: null,
      interview: null,
      passed,
    })
    .onConflict((oc) => oc.columns(['kind', 'registration_no']).doNothing())
    .execute();
  await appendAuditInTransaction(trx, {
    chain: roundChain(i.roundId),
    idempotencyKey: `exam-scored:${i.sessionId}`,
    actor: 'system',
    action: 'exam.scored',
    subject: i.registrationNo,
    payload: { sessionId: i.sessionId, bankId: i.bankId, bankVersions: i.bankVersions, ...scores, total },
    occurredAt: i.endedAt,
  });
}

async function recordExamAbsent(
  deps: ActivityDeps,
  i: { sessionId: string; roundId: string; registrationNo: string; at: string },
): Promise<void> {
  await deps.db
    .updateTable('exam_sessions')
    .set({ status: 'absent', ended_at: i.at, ended_by: 'slot_closed', answered: 0 })
    .where('session_id', '=', i.sessionId)
    .execute();
  await signalCandidate(deps, i.registrationNo, {
    phaseKey: EXAM_SKD_PHASE_KEY,
    scores: { twk: 0, tiu: 0, tkp: 0 },
    absent: true,
  });
}

/** The result to the candidate's workflow; false when that workflow has ended. */
async function signalCandidate(deps: ActivityDeps, registrationNo: string, sig: SkdResultSignal): Promise<boolean> {
  if (!deps.client) throw new Error('exam activities need a Temporal client');
  try {
    await deps.client.workflow.getHandle(candidateWorkflowId(registrationNo)).signal(skdResultSignal, sig);
    return true;
  } catch (err) {
    if (workflowGone(err)) return false;
    throw err;
  }
}

export type ExamActivities = ReturnType<typeof createExamActivities>;
