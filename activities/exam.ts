import { WorkflowNotFoundError } from '@temporalio/common';
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
import type { ActivityDeps } from './deps';

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
  const signalCandidate = async (registrationNo: string, sig: SkdResultSignal): Promise<boolean> => {
    if (!deps.client) throw new Error('exam activities need a Temporal client');
    try {
      await deps.client.workflow.getHandle(candidateWorkflowId(registrationNo)).signal(skdResultSignal, sig);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test(String((err as Error).message)))
        return false;
      throw err;
    }
  };

  return {
    async examSessionStarted(i: { sessionId: string; startedAt: string; deadline: string }): Promise<void> {
      await deps.db
        .updateTable('exam_sessions')
        .set({ status: 'in_progress', started_at: i.startedAt, deadline: i.deadline })
        .where('session_id', '=', i.sessionId)
        .where('status', '=', 'waiting')
        .execute();
    },

    async scoreExamSession(i: ScoreExamInput): Promise<ExamResult> {
      const keys = await itemKeys(deps.db, i.bankId, i.bankVersions, i.items);
      const scores = scoreExam(keys, i.answers);
      const app = await deps.db
        .selectFrom('applications as a')
        .innerJoin('rounds as r', 'r.round_id', 'a.round_id')
        .select(['a.category', 'r.config'])
        .where('a.registration_no', '=', i.registrationNo)
        .executeTakeFirstOrThrow();
      const config = app.config as RoundConfig;
      const outcome = skdOutcome(scores, app.category as Category, config.passingGrades);
      const total = skdTotal(scores);
      const importId = await onlineImportId(deps.db, i.roundId);
      await deps.db.transaction().execute(async (trx) => {
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
            passed: outcome.passed,
          })
          .where('session_id', '=', i.sessionId)
          .execute();
        await trx
          .insertInto('exam_scores')
          .values({
            round_id: i.roundId,
            kind: 'skd',
            registration_no: i.registrationNo,
            import_id: importId,
            ...scores,
            skb: null,
            interview: null,
            passed: outcome.passed,
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
      });
      await signalCandidate(i.registrationNo, { phaseKey: EXAM_SKD_PHASE_KEY, scores });
      return { ...scores, total, passed: outcome.passed, scoredAt: i.endedAt };
    },

    async recordExamAbsent(i: { sessionId: string; roundId: string; registrationNo: string; at: string }) {
      await deps.db
        .updateTable('exam_sessions')
        .set({ status: 'absent', ended_at: i.at, ended_by: 'slot_closed', answered: 0 })
        .where('session_id', '=', i.sessionId)
        .execute();
      await signalCandidate(i.registrationNo, {
        phaseKey: EXAM_SKD_PHASE_KEY,
        scores: { twk: 0, tiu: 0, tkp: 0 },
        absent: true,
      });
    },
  };
}

export type ExamActivities = ReturnType<typeof createExamActivities>;
