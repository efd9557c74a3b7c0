import { startHarness, type Harness } from '../helpers/harness';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../db/audit';
import { ROUND_PHASES, advancePhaseUpdate, roundWorkflowId, type RoundPhase } from '../../contracts';
import { withDefaults } from '../../domain';
import type { recruitmentRound } from '../../workflows/round';
import { sampleRound } from '../fixtures';
import { uniqueTaskQueue } from '../helpers/temporal';

// A real-time dev server and a schedule that begins tomorrow: no phase timer fires during the
// test, so every phase the rounds reach here was begun by advancePhase (issue 20).
let h: Harness;
const taskQueue = uniqueTaskQueue('round-advance');

beforeAll(async () => {
  h = await startHarness(taskQueue, { server: 'dev' });
});
afterAll(async () => {
  await h?.stop();
});

// The phases a round walks through (appointment follows the final announcement without a phase of its own).
const WALK = ROUND_PHASES.filter((p) => p !== 'appointment');
const rejection = (code: string) => (e: unknown) =>
  e instanceof WorkflowUpdateFailedError && (e.cause as { type?: string }).type === code;

async function start(roundId: string, simulation: boolean) {
  const config = withDefaults(sampleRound(roundId, simulation ? { simulation: { dayMs: 60_000 } } : {}));
  const handle = await h.env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', {
    taskQueue,
    workflowId: roundWorkflowId(roundId),
    args: [{ config, createdBy: 'hr.adv' }],
  });
  await expect
    .poll(
      async () =>
        (await h.db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase,
      { timeout: 20_000 },
    )
    .toBe('draft');
  return { config, handle };
}

describe('advancePhase', () => {
  it('is refused for a real round (NOT_SIMULATION) and changes nothing', async () => {
    const roundId = `adv-real-${Date.now()}`;
    const { handle } = await start(roundId, false);
    await expect(
      handle.executeUpdate(advancePhaseUpdate, { args: [{ from: 'draft', actor: 'hr.adv', reason: 'uji' }] }),
    ).rejects.toSatisfy(rejection('NOT_SIMULATION'));
    const row = await h.db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst();
    expect(row?.phase).toBe('draft');
    await handle.terminate('test done');
  });

  it('begins each next phase of a simulation round now, audited, and refuses a stale or unexplained request', async () => {
    const roundId = `adv-sim-${Date.now()}`;
    const { config, handle } = await start(roundId, true);
    await expect(
      handle.executeUpdate(advancePhaseUpdate, { args: [{ from: 'registration', actor: 'hr.adv', reason: 'uji' }] }),
    ).rejects.toSatisfy(rejection('WRONG_PHASE'));
    await expect(
      handle.executeUpdate(advancePhaseUpdate, { args: [{ from: 'draft', actor: 'hr.adv', reason: ' ' }] }),
    ).rejects.toSatisfy(rejection('INVALID_DECISION'));

    const began: RoundPhase[] = [];
    const t0 = Date.now();
    for (const from of WALK.slice(0, -1)) {
      const s = await handle.executeUpdate(advancePhaseUpdate, {
        args: [{ from, actor: 'hr.adv', reason: `pekerjaan tahap ${from} selesai` }],
      });
      expect(s.phase).toBe(WALK[WALK.indexOf(from) + 1]);
      began.push(s.phase);
    }
    expect(began).toEqual(WALK.slice(1));
    const final = await handle.result();
    expect(final.phase).toBe('closed');
    // Every instant up to the round's close moved to when its phase began (today, not months on).
    for (const k of ['registrationCloses', 'announcementAt', 'drhDeadline'] as const) {
      expect(Date.parse(final.schedule[k])).toBeGreaterThanOrEqual(t0 - 1_000);
      expect(Date.parse(final.schedule[k])).toBeLessThan(Date.parse(config.schedule.consultationOpens));
    }
    // The record the API and the candidates read has the same schedule.
    const row = await h.db.selectFrom('rounds').select(['phase', 'config']).where('round_id', '=', roundId).execute();
    expect(row[0]!.phase).toBe('closed');
    expect((row[0]!.config as typeof config).schedule.drhDeadline).toBe(final.schedule.drhDeadline);

    const audit = await h.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'reason', 'payload'])
      .where('chain', '=', `round:${roundId}`)
      .where('action', '=', 'round.phase_advanced')
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => [a.actor, a.reason, (a.payload as { to: string }).to])).toEqual(
      WALK.slice(0, -1).map((from, i) => ['hr.adv', `pekerjaan tahap ${from} selesai`, WALK[i + 1]]),
    );
    expect(await verifyChain(h.db, `round:${roundId}`)).toMatchObject({ ok: true });

    // The round is over: nothing more to advance.
    await expect(
      handle.executeUpdate(advancePhaseUpdate, { args: [{ from: 'closed', actor: 'hr.adv', reason: 'uji' }] }),
    ).rejects.toThrow();
  }, 120_000);
});
