import { allHandlersFinished, condition } from '@temporalio/workflow';
import type { ExamSessionState } from '../../contracts';
import { acts, type ExamRun, iso, local } from './state';

const refOf = ({ input }: ExamRun) => ({
  sessionId: input.sessionId,
  roundId: input.roundId,
  registrationNo: input.registrationNo,
});

/** Nobody opened the session inside its slot: it ends absent. */
export async function absent(r: ExamRun): Promise<ExamSessionState> {
  const s = r.s;
  s.status = 'absent';
  s.endedBy = 'slot_closed';
  s.endedAt = iso();
  await acts.recordExamAbsent({ ...refOf(r), at: s.endedAt });
  await condition(allHandlersFinished);
  return s;
}

/** From the first open: the deadline timer or the submit ends the session, then an activity scores it. */
export async function sit(r: ExamRun): Promise<ExamSessionState> {
  const { input, s } = r;
  await local.examSessionStarted({ sessionId: input.sessionId, startedAt: s.startedAt!, deadline: s.deadline! });
  await condition(() => r.submitted, Math.max(Date.parse(s.deadline!) - Date.now(), 1));
  s.endedBy = r.submitted ? 'submit' : 'timer';
  s.status = 'scoring';
  s.endedAt = iso();
  s.result = await acts.scoreExamSession({
    ...refOf(r),
    bankId: input.bankId,
    bankVersions: input.bankVersions,
    items: input.items,
    answers: { ...s.answers },
    endedBy: s.endedBy,
    endedAt: s.endedAt,
  });
  s.status = 'finished';
  await condition(allHandlersFinished);
  return s;
}
