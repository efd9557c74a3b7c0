import { expect } from 'vitest';
import { candidateWorkflowId, verifyDocumentsUpdate, type RoundPhase } from '../../contracts';
import type { ServiceDeps } from '../../api/services/deps';
import { candidateWorkflowStatus, submitDocuments } from '../../api/services/documents';
import { importResults, requestRanking } from '../../api/services/imports';
import { advancePhase, createRound } from '../../api/services/rounds';
import { sampleRound } from '../fixtures';
import { DAY, PERAWAT_DOCS, registerCandidate, reviewers, uploadAll } from './candidates';

const POLL = { timeout: 60_000, interval: 250 };

export async function phaseOf(deps: ServiceDeps, roundId: string): Promise<string | undefined> {
  return (await deps.db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase;
}

/**
 * A real round workflow in its registration phase (its schedule started a month ago, so it walks
 * there at once) with `n` registered candidates, each with its own workflow: what the auditor's
 * verify, replay and re-derive jobs check.
 */
export async function roundWithCandidates(
  deps: ServiceDeps,
  roundId: string,
  n: number,
): Promise<{ roundId: string; registrationNos: string[] }> {
  await createRound(deps, sampleRound(roundId, {}, Date.now() - 32 * DAY), 'hr.test');
  await expect.poll(() => phaseOf(deps, roundId), POLL).toBe('registration');
  const registrationNos: string[] = [];
  for (let i = 0; i < n; i++)
    registrationNos.push((await registerCandidate(deps, roundId, { birthDate: `199${i % 10}-04-12` })).registrationNo);
  return { roundId, registrationNos };
}

/**
 * A simulation round walked by advancePhase to its SKD with three candidates whose decisions are
 * real (each made by its workflow): the first two verified MS, the third TMS. Nothing imported yet.
 */
export async function roundAtSkd(
  deps: ServiceDeps,
  roundId: string,
): Promise<{ roundId: string; registrationNos: string[] }> {
  await reviewers(deps.db, 1);
  await createRound(deps, sampleRound(roundId, { simulation: { dayMs: 60_000 } }), 'hr.test');
  await expect.poll(() => phaseOf(deps, roundId), POLL).toBe('draft');
  const advance = (from: RoundPhase) => advancePhase(deps, roundId, { from, reason: 'uji audit' }, 'hr.test');
  for (const from of ['draft', 'consultation', 'criteria_adoption'] as const) await advance(from);
  const registrationNos: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { registrationNo } = await registerCandidate(deps, roundId, { birthDate: `199${i}-04-12` });
    await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
    registrationNos.push(registrationNo);
  }
  await advance('registration');
  for (const [i, no] of registrationNos.entries()) {
    await expect.poll(async () => (await candidateWorkflowStatus(deps, no)).stage, POLL).toBe('verification');
    const s = await candidateWorkflowStatus(deps, no);
    const decisions = s.documents.map((d) =>
      i === 2 && d.kind === 'ijazah'
        ? { kind: d.kind, result: 'TMS' as const, reason: 'Ijazah tidak dilegalisasi' }
        : { kind: d.kind, result: 'MS' as const },
    );
    await deps.client.workflow
      .getHandle(candidateWorkflowId(no))
      .executeUpdate(verifyDocumentsUpdate, { args: [{ reviewer: s.reviewer!, decisions }] });
  }
  for (const from of ['administrative_check', 'announcement'] as const) await advance(from);
  await expect.poll(() => phaseOf(deps, roundId), POLL).toBe('skd');
  return { roundId, registrationNos };
}

/**
 * roundAtSkd, then SKD imported (the first candidate passes, the second fails) and the SKB
 * selection ranked: decisions that are all real. What re-derivation has to check.
 */
export async function roundWithDecisions(
  deps: ServiceDeps,
  roundId: string,
): Promise<{ roundId: string; registrationNos: string[] }> {
  const { registrationNos } = await roundAtSkd(deps, roundId);
  const [pass, fail] = registrationNos;
  await importResults(
    deps,
    roundId,
    'skd',
    `registration_no,twk,tiu,tkp\n${pass},120,150,200\n${fail},60,80,166\n`,
    'hr.test',
  );
  await expect
    .poll(async () => (await candidateWorkflowStatus(deps, pass!)).stage, POLL)
    .toBe('awaiting_skb_selection');
  await requestRanking(deps, roundId, 'skb_selection', 'hr.test');
  await expect.poll(async () => (await candidateWorkflowStatus(deps, pass!)).stage, POLL).toBe('awaiting_skb_score');
  return { roundId, registrationNos };
}
