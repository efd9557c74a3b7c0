import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities } from '../../activities';
import type { ActivityDeps } from '../../activities/deps';
import { temporalTools } from '../../config';
import { dataConverter } from '../../config/codec';
import { createDb, dropDatabase, ensureDatabase, type Db } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { createWorker } from '../../worker/worker';
import { ensureSearchAttributes } from '../../worker/search-attributes';
import { formationIdAttr, roundIdAttr, stageAttr } from '../../contracts';

let runtimeInstalled = false;
function quietRuntime(): void {
  installTestRuntime(new DefaultLogger('WARN'));
}

/** The SDK runtime's logger, once per test file (a file that captures the logs installs its own first). */
export function installTestRuntime(logger: DefaultLogger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger });
}

export function testDb(): Db {
  return createDb(inject('databaseUrl'), { max: 5 });
}

/** The Java time-skipping test server (long timers in seconds). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTools().testServer } },
    client: { dataConverter: dataConverter() },
  });
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** A real dev server (visibility, search attributes). */
export async function devServerEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    client: { dataConverter: dataConverter() },
    server: {
      executable: { type: 'existing-path', path: temporalTools().cli },
      ip: '127.0.0.1',
      searchAttributes: [roundIdAttr, formationIdAttr, stageAttr],
      extraArgs: ['--log-level', 'error'],
    },
  });
}

let taskQueueCounter = 0;
export function uniqueTaskQueue(prefix = 'test'): string {
  taskQueueCounter += 1;
  return `${prefix}-${process.pid}-${taskQueueCounter}`;
}

export async function testWorker(env: TestWorkflowEnvironment, deps: ActivityDeps, taskQueue: string): Promise<Worker> {
  return createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps: { client: env.client, ...deps },
    bundlePath: inject('bundlePath'),
  });
}

export { createActivities };

/** A database of the test file's own (created, migrated, dropped), for assertions on whole-table counts. */
export async function isolatedDb(): Promise<{ db: Db; url: string; drop: () => Promise<void> }> {
  const url = new URL(inject('databaseUrl'));
  url.pathname = `${url.pathname}_iso${process.pid}`;
  await ensureDatabase(url.toString());
  const db = createDb(url.toString(), { max: 5 });
  await migrateToLatest(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.destroy();
      await dropDatabase(url.toString());
    },
  };
}
