import type { ActivityDeps } from './deps';
import { createCandidateActivities } from './candidate';
import { createRoundActivities } from './round';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRoundActivities(deps),
    ...createCandidateActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
