import { auditedWriter, type CandidateDeps } from './candidate-audit';
import { appoint } from './candidate-appointment';
import {
  recordDocumentsSubmitted,
  recordSanggahAnswer,
  recordSanggahFiled,
  recordStage,
  recordVerification,
  roundDeadline,
} from './candidate-decisions';
import { recordDrh, recordFinal, recordSkbScore, recordSkbSelection, recordSkd } from './candidate-results';
import { assignTask } from './candidate-tasks';
import type { ActivityDeps } from './deps';

export { newCareerId, UNASSIGNED } from './candidate-appointment';
export { SAME_REVIEWER_NOTE } from './candidate-tasks';

/**
 * Candidate activities: each writes one stage outcome and its audit row in one transaction,
 * idempotently (natural keys, ON CONFLICT, audit rows keyed by decision), so a retry after a
 * crash between the write and the completion changes nothing. One function each: the round's
 * decisions and the reviewers' (candidate-decisions.ts), the exam and final results
 * (candidate-results.ts), the reviewers' tasks (candidate-tasks.ts), the appointment and the
 * career it starts (candidate-appointment.ts); the workflow calls them by these names.
 */
export function createCandidateActivities(deps: ActivityDeps) {
  const d: CandidateDeps = { ...deps, withAudit: auditedWriter(deps) };
  const bind =
    <I, O>(f: (d: CandidateDeps, i: I) => Promise<O>) =>
    (i: I): Promise<O> =>
      f(d, i);
  return {
    roundDeadline: bind(roundDeadline),
    recordStage: bind(recordStage),
    recordDocumentsSubmitted: bind(recordDocumentsSubmitted),
    assignTask: bind(assignTask),
    recordVerification: bind(recordVerification),
    recordSanggahFiled: bind(recordSanggahFiled),
    recordSanggahAnswer: bind(recordSanggahAnswer),
    recordSkd: bind(recordSkd),
    recordSkbSelection: bind(recordSkbSelection),
    recordSkbScore: bind(recordSkbScore),
    recordFinal: bind(recordFinal),
    recordDrh: bind(recordDrh),
    appoint: bind(appoint),
  };
}

export type CandidateActivities = ReturnType<typeof createCandidateActivities>;
