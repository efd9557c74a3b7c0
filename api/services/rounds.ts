import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { type RoundConfig, type RoundConfigInput, validateRoundConfig, withDefaults } from '../../domain';
import { extendDeadlineUpdate, roundIdAttr, roundStateQuery, roundWorkflowId, type ExtendDeadlineInput, type RoundState } from '../../workflows/messages';
import { AppError, notFound } from '../errors';
import { QUERY_TIMEOUT_MS, type ServiceDeps } from './deps';

export async function createRound(deps: ServiceDeps, input: RoundConfigInput, actor: string): Promise<{ roundId: string; workflowId: string; runId: string; config: RoundConfig }> {
  const config = withDefaults(input);
  const violations = validateRoundConfig(config);
  if (violations.length) throw new AppError(422, 'ROUND_CONFIG_INVALID', 'Konfigurasi seleksi tidak valid', violations);
  if (config.simulation && process.env.NODE_ENV === 'production' && process.env.ASN_ALLOW_SIMULATION !== '1') throw new AppError(422, 'SIMULATION_NOT_ALLOWED', 'Seleksi simulasi tidak diizinkan di lingkungan produksi (ASN_ALLOW_SIMULATION=1 untuk pelatihan)');
  const existing = await deps.db.selectFrom('rounds').select('round_id').where('round_id', '=', config.roundId).executeTakeFirst();
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
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new AppError(409, 'ROUND_EXISTS', `Seleksi ${config.roundId} sudah ada`);
    throw err;
  }
}

export async function getRoundState(deps: ServiceDeps, roundId: string): Promise<RoundState> {
  const row = await deps.db.selectFrom('rounds').select('round_id').where('round_id', '=', roundId).executeTakeFirst();
  try {
    return await deps.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => deps.client.workflow.getHandle(roundWorkflowId(roundId)).query(roundStateQuery));
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError' || (!row && (err as Error).name === 'QueryNotRegisteredError')) throw notFound('Seleksi', roundId);
    throw err;
  }
}

export async function listRounds(deps: ServiceDeps): Promise<{ roundId: string; name: string; agency: string; budgetYear: number; phase: string }[]> {
  const rows = await deps.db.selectFrom('rounds').select(['round_id', 'name', 'agency', 'budget_year', 'phase']).orderBy('created_at', 'desc').limit(500).execute();
  return rows.map((r) => ({ roundId: r.round_id, name: r.name, agency: r.agency, budgetYear: r.budget_year, phase: r.phase }));
}

export async function extendDeadline(deps: ServiceDeps, roundId: string, req: Omit<ExtendDeadlineInput, 'actor'>, actor: string, updateId?: string): Promise<RoundState> {
  await getRoundState(deps, roundId); // 404 for an unknown round
  return deps.client.workflow.getHandle(roundWorkflowId(roundId)).executeUpdate(extendDeadlineUpdate, { args: [{ ...req, actor }], ...(updateId ? { updateId } : {}) });
}
