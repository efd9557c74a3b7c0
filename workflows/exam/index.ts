import { condition } from '@temporalio/workflow';
import type { ExamSessionInput, ExamSessionState } from '../../contracts';
import { installHandlers } from './handlers';
import { newRun } from './state';
import { absent, sit } from './steps';

/**
 * One candidate's exam session (docs/exam.md): waits for the first open inside the slot (else
 * absent), holds the clock from then (the timer submits by itself), takes answers as batched
 * updates acknowledged with a revision, scores in an activity (the keys never enter the
 * workflow) and returns the final state. State changes happen in the handlers before any await.
 */
export async function examSession(input: ExamSessionInput): Promise<ExamSessionState> {
  const r = newRun(input);
  installHandlers(r);
  await condition(() => r.s.status !== 'waiting', Math.max(Date.parse(input.slot.closesAt) - Date.now(), 1));
  return r.s.status === 'waiting' ? absent(r) : sit(r);
}
