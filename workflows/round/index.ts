import type { RoundInput, RoundState } from '../../contracts';
import { installHandlers } from './handlers';
import { newRound, PHASE_STARTS } from './state';
import {
  adoptDraftIfNone,
  beginPhase,
  closeCancelled,
  closeRound,
  recordRound,
  runJobs,
  untilPhaseStart,
} from './steps';

/**
 * One recruitment round, id `round/<roundId>`. Holds the frozen configuration, moves through the
 * phases on durable timers (HR may move a deadline forward before it passes), announces a stage
 * only once its decisions are settled (fairness.ts), and records each phase change. Its history
 * grows with phases, holds and jobs, never with the number of candidates.
 */
export async function recruitmentRound(input: RoundInput): Promise<RoundState> {
  const r = newRound(input);
  installHandlers(r);
  const jobs = runJobs(r);
  await recordRound(r, input.createdBy);
  for (const step of PHASE_STARTS) {
    await untilPhaseStart(r, step);
    if (step.phase === 'registration' && !r.cancelled) await adoptDraftIfNone(r);
    if (!r.cancelled) await beginPhase(r, step.phase);
    if (r.cancelled) return closeCancelled(r);
  }
  return closeRound(r, jobs);
}
