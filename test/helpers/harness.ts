import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import type { ServiceDeps } from '../../api/services/deps';
import type { Db } from '../../db/connection';
import { devServerEnv, testDb, testWorker, timeSkippingEnv } from './temporal';

/**
 * A Temporal server (time-skipping by default; `server: 'dev'` for visibility, search attributes
 * and real time), the run's database and a running worker: what most workflow test files need.
 */
export interface Harness {
  env: TestWorkflowEnvironment;
  db: Db;
  deps: ServiceDeps;
  stop: () => Promise<void>;
}

export async function startHarness(
  taskQueue: string,
  opts: {
    activityDeps?: Omit<Partial<ActivityDeps>, 'db'>;
    db?: { db: Db; drop: () => Promise<void> };
    server?: 'time-skipping' | 'dev';
  } = {},
): Promise<Harness> {
  const env = opts.server === 'dev' ? await devServerEnv() : await timeSkippingEnv();
  const db = opts.db?.db ?? testDb();
  const worker = await testWorker(env, { db, ...opts.activityDeps }, taskQueue);
  const running = worker.run();
  return {
    env,
    db,
    deps: { db, client: env.client, connection: env.connection, taskQueue },
    stop: async () => {
      worker.shutdown();
      await running;
      await env.teardown();
      if (opts.db) await opts.db.drop();
      else await db.destroy();
    },
  };
}
