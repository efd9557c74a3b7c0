import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import { appendAudit, appendAuditInTransaction } from '../db/audit';
import { appealable, openDecisions, type OpenDecisions } from '../db/round-holds';
import { canonicalJson } from '../db/canonical-json';
import type { Db } from '../db/connection';
import type { Database } from '../db/schema';
import type { Transaction } from 'kysely';
import { qualificationKey, type RoundConfig, type RoundSchedule } from '../domain';
import { roundChain, type DeadlineChange, type RoundHold, type RoundPhase } from '../contracts';
import type { ActivityDeps } from './deps';
import { notify } from './notifications';

/** What recordRound records: the frozen configuration, who started the round, when. */
interface RoundRecord {
  config: RoundConfig;
  createdBy: string;
  at: string;
}

/** Round activities. Every write is idempotent: natural keys + ON CONFLICT, audit rows by key. */
export function createRoundActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    recordRound: (i: RoundRecord) => recordRound(deps, i),
    recordPhase: (i: Parameters<typeof recordPhase>[1]) => recordPhase(db, i),
    recordDeadlineChange: (i: Parameters<typeof recordDeadlineChange>[1]) => recordDeadlineChange(db, i),
    /** The open decisions a held phase waits for (db/round-holds.ts; a local activity: one marker per look). */
    openDecisions: (i: { roundId: string; kind: 'verification' | 'sanggah'; stage: string }): Promise<OpenDecisions> =>
      openDecisions(db, i.roundId, i.kind, i.stage),
    /** How many candidates may appeal a decision of this stage (db/round-holds.ts; a local activity). */
    appealable: (i: { roundId: string; stage: 'administrasi' | 'skd' }): Promise<number> =>
      appealable(db, i.roundId, i.stage),
    recordHold: (i: Parameters<typeof recordHold>[1]) => recordHold(db, i),
    recordPhaseAdvance: (i: Parameters<typeof recordPhaseAdvance>[1]) => recordPhaseAdvance(db, i),
  };
}

export type RoundActivities = ReturnType<typeof createRoundActivities>;
export type { Db };

async function recordRound({ db, faults }: ActivityDeps, input: RoundRecord): Promise<{ created: boolean }> {
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
    await insertRound(trx, input);
    return true;
  });
  await faults?.afterWrite?.('recordRound');
  return { created };
}

/** The round's rows: the round, its formations, criteria version 1 (the draft) and the audit row. */
async function insertRound(trx: Transaction<Database>, input: RoundRecord): Promise<void> {
  const { config } = input;
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
}

async function recordPhase(
  db: Db,
  input: { roundId: string; phase: RoundPhase; at: string; reason?: string },
): Promise<void> {
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
}

/**
 * The round's record of a deadline change — the one authoritative copy of the schedule
 * (rounds.config.schedule; candidates confirm their copy with it, see activities/candidate.ts
 * roundDeadline). Only the changed key is written (jsonb_set), so two changes recorded at once
 * never undo each other, and criteria adoption (round-ops.ts) never writes the schedule.
 */
async function recordDeadlineChange(
  db: Db,
  input: { roundId: string; change: DeadlineChange; seq: number },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('rounds')
      .set({
        config: sql`jsonb_set(config, ${sql.val(`{schedule,${input.change.key}}`)}::text[], to_jsonb(${input.change.to}::text))`,
        updated_at: input.change.at,
      })
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
}

/** The round holds a phase back (once per phase): in its audit chain, where the API finds it. */
async function recordHold(db: Db, i: { roundId: string; hold: RoundHold }): Promise<void> {
  await appendAudit(db, {
    chain: roundChain(i.roundId),
    idempotencyKey: `held:${i.hold.phase}`,
    actor: 'system',
    action: 'round.held',
    subject: i.roundId,
    reason: `${i.hold.openTasks + i.hold.awaitingAssignment} keputusan belum selesai`,
    payload: {
      phase: i.hold.phase,
      until: i.hold.until,
      openTasks: i.hold.openTasks,
      awaitingAssignment: i.hold.awaitingAssignment,
    },
    occurredAt: i.hold.since,
  });
}

/**
 * A simulation round's phase begun now (issue 20): the instants moved to now in the round's record
 * (only those keys, jsonb_set, like an extension), and the advance in the audit chain.
 */
async function recordPhaseAdvance(
  db: Db,
  input: {
    roundId: string;
    from: RoundPhase;
    to: RoundPhase;
    moved: { key: keyof RoundSchedule; from: string }[];
    actor: string;
    reason: string;
    at: string;
  },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const m of input.moved)
      await trx
        .updateTable('rounds')
        .set({
          config: sql`jsonb_set(config, ${sql.val(`{schedule,${m.key}}`)}::text[], to_jsonb(${input.at}::text))`,
          updated_at: input.at,
        })
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
}
