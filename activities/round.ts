import { ApplicationFailure } from '@temporalio/common';
import { appendAuditInTransaction } from '../db/audit';
import { canonicalJson } from '../db/canonical-json';
import type { Db } from '../db/connection';
import { qualificationKey, type RoundConfig, type RoundSchedule } from '../domain';
import { roundChain, type DeadlineChange, type RoundPhase } from '../contracts';
import type { ActivityDeps } from './deps';
import { notify } from './notifications';

/** Round activities. Every write is idempotent: natural keys + ON CONFLICT, audit rows by key. */
export function createRoundActivities({ db, faults }: ActivityDeps) {
  return {
    async recordRound(input: { config: RoundConfig; createdBy: string; at: string }): Promise<{ created: boolean }> {
      const { config } = input;
      const created = await db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('rounds')
          .select(['config'])
          .where('round_id', '=', config.roundId)
          .executeTakeFirst();
        if (existing) {
          // A retry of this very activity finds its own row; anything else is a different round.
          if (canonicalJson(existing.config) !== canonicalJson(JSON.parse(JSON.stringify(config)))) {
            throw ApplicationFailure.nonRetryable(
              `round ${config.roundId} already exists with another configuration`,
              'RoundConflict',
            );
          }
          return false;
        }
        await trx
          .insertInto('rounds')
          .values({
            round_id: config.roundId,
            name: config.name,
            agency: config.agency,
            budget_year: config.budgetYear,
            config: JSON.stringify(config),
            phase: 'draft',
            created_by: input.createdBy,
          })
          .onConflict((oc) => oc.column('round_id').doNothing())
          .execute();
        await trx
          .insertInto('formations')
          .values(
            config.formations.map((f) => ({
              round_id: config.roundId,
              formation_id: f.formationId,
              unit: f.unit,
              jabatan: f.jabatan,
              education_level: f.educationLevel,
              education_key: qualificationKey(f),
              quota: f.quota,
              category: f.category,
              skb_max: f.skbMax,
            })),
          )
          .onConflict((oc) => oc.columns(['round_id', 'formation_id']).doNothing())
          .execute();
        // Criteria version 1: the draft published for public consultation.
        await trx
          .insertInto('criteria_versions')
          .values({
            round_id: config.roundId,
            version: 1,
            status: 'draft',
            formations: JSON.stringify(
              config.formations.map((f) => ({ formationId: f.formationId, scoring: f.scoring ?? null })),
            ),
            response: null,
            actor: input.createdBy,
            created_at: input.at,
          })
          .onConflict((oc) => oc.columns(['round_id', 'version']).doNothing())
          .execute();
        await appendAuditInTransaction(trx, {
          chain: roundChain(config.roundId),
          idempotencyKey: 'round.created',
          actor: input.createdBy,
          action: 'round.created',
          subject: config.roundId,
          payload: { formations: config.formations.length, budgetYear: config.budgetYear },
          occurredAt: input.at,
        });
        return true;
      });
      await faults?.afterWrite?.('recordRound');
      return { created };
    },

    async recordPhase(input: { roundId: string; phase: RoundPhase; at: string; reason?: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('rounds')
          .set({ phase: input.phase, updated_at: input.at })
          .where('round_id', '=', input.roundId)
          .execute();
        await appendAuditInTransaction(trx, {
          chain: roundChain(input.roundId),
          idempotencyKey: `phase:${input.phase}`,
          actor: 'system',
          action: 'round.phase',
          subject: input.roundId,
          reason: input.reason ?? null,
          payload: { phase: input.phase },
          occurredAt: input.at,
        });
      });
    },

    async recordDeadlineChange(input: { roundId: string; change: DeadlineChange; seq: number }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('rounds')
          .select(['config'])
          .where('round_id', '=', input.roundId)
          .executeTakeFirstOrThrow();
        const config = row.config as RoundConfig;
        config.schedule = { ...config.schedule, [input.change.key]: input.change.to };
        await trx
          .updateTable('rounds')
          .set({ config: JSON.stringify(config), updated_at: input.change.at })
          .where('round_id', '=', input.roundId)
          .execute();
        await appendAuditInTransaction(trx, {
          chain: roundChain(input.roundId),
          idempotencyKey: `deadline:${input.seq}`,
          actor: input.change.actor,
          action: 'round.deadline_extended',
          subject: input.roundId,
          reason: input.change.reason,
          payload: { key: input.change.key, from: input.change.from, to: input.change.to },
          occurredAt: input.change.at,
        });
        // The e-mails waiting for this instant move with it.
        if (input.change.key === 'announcementAt')
          await notify.announcementMoved(trx, input.roundId, input.change.from, input.change.to);
        if (input.change.key === 'drhDeadline')
          await notify.drhDeadlineMoved(trx, input.roundId, input.change.to, input.change.at);
      });
    },

    /**
     * A simulation round's phase advanced by HR (issue 20): the instants it moves to `at` (the
     * phase's start, and any earlier one still later than it) go into the round's schedule — the
     * candidates confirm their deadlines against it — with one audit row naming the actor and the
     * reason. Idempotent per phase begun.
     */
    async recordPhaseAdvance(input: {
      roundId: string;
      from: RoundPhase;
      to: RoundPhase;
      moved: { key: keyof RoundSchedule; from: string }[];
      actor: string;
      reason: string;
      at: string;
    }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('rounds')
          .select(['config'])
          .where('round_id', '=', input.roundId)
          .executeTakeFirstOrThrow();
        const config = row.config as RoundConfig;
        for (const m of input.moved) config.schedule = { ...config.schedule, [m.key]: input.at };
        await trx
          .updateTable('rounds')
          .set({ config: JSON.stringify(config), updated_at: input.at })
          .where('round_id', '=', input.roundId)
          .execute();
        await appendAuditInTransaction(trx, {
          chain: roundChain(input.roundId),
          idempotencyKey: `advance:${input.to}`,
          actor: input.actor,
          action: 'round.phase_advanced',
          subject: input.roundId,
          reason: input.reason,
          payload: { from: input.from, to: input.to, moved: input.moved, at: input.at },
          occurredAt: input.at,
        });
        for (const m of input.moved) {
          if (m.key === 'announcementAt') await notify.announcementMoved(trx, input.roundId, m.from, input.at);
          if (m.key === 'drhDeadline') await notify.drhDeadlineMoved(trx, input.roundId, input.at, input.at);
        }
      });
    },
  };
}

export type RoundActivities = ReturnType<typeof createRoundActivities>;
export type { Db };
