import { startHarness, type Harness } from '../helpers/harness';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../db/audit';
import type { Db } from '../../db/connection';
import { withDefaults } from '../../domain';
import { extendDeadlineUpdate, roundStateQuery, roundWorkflowId } from '../../contracts';
import type { recruitmentRound } from '../../workflows/round';
import { sampleRound, wib } from '../fixtures';

const DAY = 86_400_000;
import { uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
const taskQueue = uniqueTaskQueue('round');

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db } = h);
});
afterAll(async () => {
  await h?.stop();
});

describe('recruitmentRound on the time-skipping server', () => {
  it('records the round once, walks every phase on durable timers and takes a deadline extension', async () => {
    const roundId = `ts-${Date.now()}`;
    // The schedule starts at the test server's "now" so the months of a round pass in seconds.
    const config = withDefaults(sampleRound(roundId));
    const handle = await env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', {
      taskQueue,
      workflowId: roundWorkflowId(roundId),
      args: [{ config, createdBy: 'hr.test' }],
    });

    // Wait for the first activity to have run (the query answers as soon as the workflow has started).
    await expect
      .poll(
        async () =>
          (await db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase,
        { timeout: 20_000 },
      )
      .toBeDefined();
    const state = await handle.query(roundStateQuery);
    expect(state.roundId).toBe(roundId);
    expect(state.formations.map((f) => f.formationId)).toEqual(['DINKES-PERAWAT', 'DISDIKBUD-GURU']);

    // Moving a deadline backwards is refused with a stable code; nothing changes.
    const closes = Date.parse(config.schedule.registrationCloses);
    await expect(
      handle.executeUpdate(extendDeadlineUpdate, {
        args: [{ key: 'registrationCloses', to: wib(closes - DAY), actor: 'hr.test', reason: 'salah' }],
      }),
    ).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof WorkflowUpdateFailedError && (e.cause as { type?: string }).type === 'INVALID_DEADLINE',
    );
    // Forward, before it passes, keeping the order: accepted and recorded.
    const newClose = wib(closes + 3 * DAY);
    const extended = await handle.executeUpdate(extendDeadlineUpdate, {
      args: [{ key: 'registrationCloses', to: newClose, actor: 'hr.test', reason: 'Gangguan server SSCASN' }],
    });
    expect(extended.schedule.registrationCloses).toBe(newClose);

    const final = await handle.result();
    expect(final.phase).toBe('closed');
    expect(final.phases.map((p) => p.phase)).toEqual([
      'consultation',
      'criteria_adoption',
      'registration',
      'administrative_check',
      'announcement',
      'skd',
      'skb',
      'final_announcement',
      'closed',
    ]);
    // The registration phase ended at the extended deadline, not the original one.
    const adminStart = final.phases.find((p) => p.phase === 'administrative_check')!.at;
    expect(Date.parse(adminStart)).toBeGreaterThanOrEqual(Date.parse(newClose));

    const rows = await db.selectFrom('rounds').selectAll().where('round_id', '=', roundId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.phase).toBe('closed');
    expect(
      await db.selectFrom('formations').select('formation_id').where('round_id', '=', roundId).execute(),
    ).toHaveLength(2);
    const audit = await db
      .selectFrom('audit_log')
      .select(['action'])
      .where('chain', '=', `round:${roundId}`)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'round.created',
      'round.deadline_extended',
      'round.phase',
      'round.phase',
      'criteria.adopted_unchanged', // nobody adopted the criteria before registration opened
      ...Array(7).fill('round.phase'),
    ]);
    expect(await verifyChain(db, `round:${roundId}`)).toMatchObject({ ok: true, rows: 12 });
  });
});
