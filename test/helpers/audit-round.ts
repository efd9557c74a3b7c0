import { expect } from 'vitest';
import type { ServiceDeps } from '../../api/services/deps';
import { createRound } from '../../api/services/rounds';
import { sampleRound } from '../fixtures';
import { DAY, registerCandidate } from './candidates';

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
  await expect
    .poll(
      async () =>
        (await deps.db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase,
      { timeout: 60_000, interval: 250 },
    )
    .toBe('registration');
  const registrationNos: string[] = [];
  for (let i = 0; i < n; i++)
    registrationNos.push((await registerCandidate(deps, roundId, { birthDate: `199${i % 10}-04-12` })).registrationNo);
  return { roundId, registrationNos };
}
