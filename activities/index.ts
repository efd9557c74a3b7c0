import type { ActivityDeps } from './deps';
import { createAuditActivities } from './audit';
import { createCandidateActivities } from './candidate';
import { createCareerActivities } from './career';
import { createRoundActivities } from './round';
import { createRoundOpsActivities } from './round-ops';
import { createExamActivities } from './exam';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRoundActivities(deps),
    ...createCandidateActivities(deps),
    ...createRoundOpsActivities(deps),
    ...createCareerActivities(deps),
    ...createAuditActivities(deps),
    ...createExamActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
