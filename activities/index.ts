import type { ActivityDeps } from './deps';
import { createRoundActivities } from './round';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRoundActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
