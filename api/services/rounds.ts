import type { UpdateDefinition } from '@temporalio/common';
import { TypedSearchAttributes } from '@temporalio/common';
import {
  PHASE_RESTS_ON,
  type RoundConfig,
  type RoundConfigInput,
  validateRoundConfig,
  withDefaults,
} from '../../domain';
import { roundChain } from '../../contracts';
import {
  advancePhaseUpdate,
  extendDeadlineUpdate,
  roundIdAttr,
  roundStateQuery,
  roundWorkflowId,
  type AdvancePhaseInput,
  type DeadlineChange,
  type ExtendDeadlineInput,
  type PhaseChange,
  type RoundJob,
  type RoundHold,
  type RoundPhase,
  type RoundState,
} from '../../contracts';
import { classifyTemporalError, isWorkflowAlreadyStarted, isWorkflowNotFound } from '../../config/temporal-errors';
import { openDecisions } from '../../db/round-holds';
import { AppError, notFound } from '../errors';
import { QUERY_TIMEOUT_MS, type ServiceDeps } from './deps';
import { pageOfQuery, type Page, type PageRequest } from './paging';

export async function createRound(
  deps: ServiceDeps,
  input: RoundConfigInput,
  actor: string,
): Promise<{ roundId: string; workflowId: string; runId: string; config: RoundConfig }> {
  const config = withDefaults(input);
  const violations = validateRoundConfig(config);
  if (violations.length) throw new AppError(422, 'ROUND_CONFIG_INVALID', 'Konfigurasi seleksi tidak valid', violations);
  if (config.simulation && process.env.NODE_ENV === 'production' && process.env.ASN_ALLOW_SIMULATION !== '1')
    throw new AppError(
      422,
      'SIMULATION_NOT_ALLOWED',
      'Seleksi simulasi tidak diizinkan di lingkungan produksi (ASN_ALLOW_SIMULATION=1 untuk pelatihan)',
    );
  const existing = await deps.db
    .selectFrom('rounds')
    .select('round_id')
    .where('round_id', '=', config.roundId)
    .executeTakeFirst();
  if (existing) throw new AppError(409, 'ROUND_EXISTS', `Seleksi ${config.roundId} sudah ada`);
  const workflowId = roundWorkflowId(config.roundId);
  try {
    const handle = await deps.client.workflow.start('recruitmentRound', {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [{ config, createdBy: actor }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: new TypedSearchAttributes([{ key: roundIdAttr, value: config.roundId }]),
    });
    return { roundId: config.roundId, workflowId, runId: handle.firstExecutionRunId, config };
  } catch (err) {
    if (isWorkflowAlreadyStarted(err)) throw new AppError(409, 'ROUND_EXISTS', `Seleksi ${config.roundId} sudah ada`);
    throw err;
  }
}

/**
 * The round's state as recorded in PostgreSQL by its workflow's activities: the row (phase,
 * schedule with every extension), the phase changes and deadline changes from its audit chain,
 * the criteria versions and the finished jobs. Not a workflow query: a query replays the history
 * on a worker that no longer holds it (costly for a round, and after a worker crash it was seen to
 * place an Update differently from the later replay, failing the round). The workflow's
 * `roundState` query stays for auditors' tools, and answers for a round started a moment ago.
 */
export async function getRoundState(deps: ServiceDeps, roundId: string): Promise<RoundState> {
  const row = await deps.db
    .selectFrom('rounds')
    .select(['round_id', 'name', 'agency', 'budget_year', 'phase', 'config'])
    .where('round_id', '=', roundId)
    .executeTakeFirst();
  if (!row) {
    // Started a moment ago, not yet recorded by its first activity: its fresh workflow answers.
    try {
      return await deps.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        deps.client.workflow.getHandle(roundWorkflowId(roundId)).query(roundStateQuery),
      );
    } catch (err) {
      if (isWorkflowNotFound(err) || classifyTemporalError(err).kind === 'query-not-registered')
        throw notFound('Seleksi', roundId);
      throw err;
    }
  }
  const [audit, criteria, jobs] = await Promise.all([
    deps.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'reason', 'payload', 'occurred_at'])
      .where('chain', '=', roundChain(roundId))
      .where('action', 'in', ['round.phase', 'round.deadline_extended', 'round.held'])
      .orderBy('seq')
      .execute(),
    deps.db
      .selectFrom('criteria_versions')
      .select(['version', 'status'])
      .where('round_id', '=', roundId)
      .orderBy('version')
      .execute(),
    deps.db
      .selectFrom('round_jobs')
      .select(['job', 'requested_at', 'finished_at', 'signalled', 'skipped'])
      .where('round_id', '=', roundId)
      .orderBy('seq')
      .execute(),
  ]);
  const config = row.config as RoundConfig;
  const iso = (d: Date | string): string => new Date(d).toISOString();
  const phases: PhaseChange[] = audit
    .filter((a) => a.action === 'round.phase')
    .map((a) => ({ phase: (a.payload as { phase: RoundPhase }).phase, at: iso(a.occurred_at) }));
  const deadlineChanges: DeadlineChange[] = audit
    .filter((a) => a.action === 'round.deadline_extended')
    .map((a) => {
      const p = a.payload as { key: DeadlineChange['key']; from: string; to: string };
      return { key: p.key, from: p.from, to: p.to, actor: a.actor, reason: a.reason ?? '', at: iso(a.occurred_at) };
    });
  const held = await heldPhase(deps, roundId, audit, phases);
  return {
    roundId: row.round_id,
    name: row.name,
    agency: row.agency,
    budgetYear: row.budget_year,
    phase: row.phase as RoundPhase,
    phases,
    schedule: config.schedule,
    deadlineChanges,
    formations: config.formations.map((f) => ({
      formationId: f.formationId,
      unit: f.unit,
      jabatan: f.jabatan,
      quota: f.quota,
      category: f.category,
    })),
    criteriaVersion: criteria.length ? criteria[criteria.length - 1]!.version : 1,
    criteriaAdopted: criteria.some((c) => c.status === 'adopted'),
    jobs: jobs.map((j) => ({
      job: j.job as RoundJob,
      requestedAt: iso(j.requested_at),
      finishedAt: iso(j.finished_at),
      signalled: j.signalled,
      skipped: j.skipped,
    })),
    held,
  };
}

/**
 * The phase the round holds back (its `round.held` row, the phase not begun since), with the
 * decisions it waits for read now (db/round-holds.ts, the same read as the workflow's).
 */
async function heldPhase(
  deps: ServiceDeps,
  roundId: string,
  audit: { action: string; payload: unknown; occurred_at: Date | string }[],
  phases: PhaseChange[],
): Promise<RoundHold | null> {
  const last = audit.filter((a) => a.action === 'round.held').at(-1);
  if (!last) return null;
  const p = last.payload as { phase: RoundPhase; until: string | null };
  const rests = PHASE_RESTS_ON[p.phase];
  if (!rests || phases.some((x) => x.phase === p.phase) || phases.at(-1)?.phase === 'closed') return null;
  const open = await openDecisions(deps.db, roundId, rests.kind, rests.stage);
  return { phase: p.phase, since: new Date(last.occurred_at).toISOString(), until: p.until ?? null, ...open };
}

type RoundListItem = { roundId: string; name: string; agency: string; budgetYear: number; phase: string };
const roundItem = (r: {
  round_id: string;
  name: string;
  agency: string;
  budget_year: number;
  phase: string;
}): RoundListItem => ({
  roundId: r.round_id,
  name: r.name,
  agency: r.agency,
  budgetYear: r.budget_year,
  phase: r.phase,
});

/** Every round, newest first (the portal's list). */
export async function listRounds(deps: ServiceDeps): Promise<RoundListItem[]> {
  const rows = await deps.db
    .selectFrom('rounds')
    .select(['round_id', 'name', 'agency', 'budget_year', 'phase'])
    .orderBy('created_at', 'desc')
    .orderBy('round_id')
    .execute();
  return rows.map(roundItem);
}

/** One page of the rounds, newest first (then by id: a stable order). */
export async function listRoundsPage(deps: ServiceDeps, p: PageRequest): Promise<Page<RoundListItem>> {
  return pageOfQuery(
    p,
    async () =>
      (
        await deps.db
          .selectFrom('rounds')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    async (offset, limit) =>
      (
        await deps.db
          .selectFrom('rounds')
          .select(['round_id', 'name', 'agency', 'budget_year', 'phase'])
          .orderBy('created_at', 'desc')
          .orderBy('round_id')
          .offset(offset)
          .limit(limit)
          .execute()
      ).map(roundItem),
  );
}

export async function extendDeadline(
  deps: ServiceDeps,
  roundId: string,
  req: Omit<ExtendDeadlineInput, 'actor'>,
  actor: string,
  updateId?: string,
): Promise<RoundState> {
  return updateRound(deps, roundId, extendDeadlineUpdate, { ...req, actor }, updateId);
}

/** An Update of the round's workflow (404 for an unknown round), once per update id. */
async function updateRound<A>(
  deps: ServiceDeps,
  roundId: string,
  update: UpdateDefinition<RoundState, [A]>,
  arg: A,
  updateId?: string,
): Promise<RoundState> {
  await getRoundState(deps, roundId); // 404 for an unknown round
  return deps.client.workflow
    .getHandle(roundWorkflowId(roundId))
    .executeUpdate(update, { args: [arg], ...(updateId ? { updateId } : {}) });
}

/**
 * A simulation round's current phase ends now and the next begins (issue 20): refused for a real
 * round (NOT_SIMULATION) and when `from` is not the current phase (WRONG_PHASE). Answers with the
 * round's state once the new phase is recorded.
 */
export async function advancePhase(
  deps: ServiceDeps,
  roundId: string,
  req: Omit<AdvancePhaseInput, 'actor'>,
  actor: string,
  updateId?: string,
): Promise<RoundState> {
  return updateRound(deps, roundId, advancePhaseUpdate, { ...req, actor }, updateId);
}
