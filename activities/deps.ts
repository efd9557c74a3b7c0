import type { Db } from '../db/connection';

/**
 * What activities need. `faults` lets the fault-injection tests pause or crash a worker right
 * after a write and before the activity completes (the window where retries must not duplicate).
 */
export interface ActivityDeps {
  db: Db;
  faults?: { afterWrite?: (activity: string) => Promise<void> };
}
