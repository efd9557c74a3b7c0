import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { Db } from '../../db/connection';
import { withDefaults } from '../../domain';
import { roundWorkflowId } from '../../workflows/messages';
import type { recruitmentRound } from '../../workflows/round';
import { sampleRound } from '../fixtures';
import { spawnTs } from '../helpers/processes';
import { devServerEnv, testDb, uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Db;

beforeAll(async () => {
  env = await devServerEnv();
  db = testDb();
});
afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

describe('durability against the real dev server', () => {
  it('a worker SIGKILLed after its write, before the activity completes, is replaced; exactly one row', async () => {
    const taskQueue = uniqueTaskQueue('durability');
    const roundId = `kill-${Date.now()}`;
    const common = { DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: env.address, TASK_QUEUE: taskQueue, ASN_WORKFLOW_BUNDLE: inject('bundlePath') };
    // The schedule is already over, so the round runs straight through once the write succeeds.
    const config = withDefaults(sampleRound(roundId, {}, Date.now() - 400 * 86_400_000));

    const first = spawnTs('worker/main.ts', { ...common, ASN_FAULT_PAUSE_AFTER_WRITE: 'recordRound' });
    try {
      await first.waitFor('WORKER_READY');
      const handle = await env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', { taskQueue, workflowId: roundWorkflowId(roundId), args: [{ config, createdBy: 'hr.test' }] });
      await first.waitFor('FAULT_PAUSED recordRound');
      // The write is committed, the activity has not completed: kill the worker there.
      expect(await db.selectFrom('rounds').select('round_id').where('round_id', '=', roundId).execute()).toHaveLength(1);
      await first.kill('SIGKILL');

      const second = spawnTs('worker/main.ts', common);
      try {
        await second.waitFor('WORKER_READY');
        const result = await handle.result();
        expect(result.phase).toBe('closed');
      } finally {
        await second.kill('SIGTERM');
      }
      expect(await db.selectFrom('rounds').select('round_id').where('round_id', '=', roundId).execute()).toHaveLength(1);
      expect(await db.selectFrom('formations').select('formation_id').where('round_id', '=', roundId).execute()).toHaveLength(2);
      const created = await db.selectFrom('audit_log').select('seq').where('chain', '=', `round:${roundId}`).where('action', '=', 'round.created').execute();
      expect(created).toHaveLength(1);
      // The history shows the retry: the activity's attempt > 1 when it completed.
      const history = await handle.fetchHistory();
      const started = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
      expect(started[0]?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThan(1);
    } finally {
      await first.kill('SIGKILL');
    }
  }, 120_000);
});
