import { rankFinal } from '../../db/ranking';
import { adoptCriteriaUpdate, roundWorkflowId, type AdoptCriteriaInput } from '../../contracts';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';
import { pageOfArray, pageOfQuery, type PageRequest } from './paging';
import { loadRoundConfig } from './registrations';

/** Set the round's verifikator pool: every name a reviewer account (422 UNKNOWN_REVIEWER otherwise); sorted. */
export async function setRoundReviewers(
  deps: ServiceDeps,
  roundId: string,
  usernames: string[],
): Promise<{ usernames: string[] }> {
  await loadRoundConfig(deps, roundId);
  const names = [...new Set(usernames)];
  const found = await deps.db
    .selectFrom('users')
    .select('username')
    .where('role', '=', 'reviewer')
    .where('username', 'in', names)
    .execute();
  if (found.length !== names.length)
    throw new AppError(422, 'UNKNOWN_REVIEWER', 'Bukan akun verifikator', {
      unknown: names.filter((n) => !found.some((f) => f.username === n)),
    });
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('round_reviewers').where('round_id', '=', roundId).execute();
    await trx
      .insertInto('round_reviewers')
      .values(names.map((username) => ({ round_id: roundId, username })))
      .execute();
  });
  return { usernames: names.sort() };
}

/** Adopt the final criteria with HR's response to the comments (the round's Update). */
export async function adoptCriteria(
  deps: ServiceDeps,
  roundId: string,
  input: AdoptCriteriaInput,
  once: { updateId?: string },
) {
  await loadRoundConfig(deps, roundId);
  return deps.client.workflow
    .getHandle(roundWorkflowId(roundId))
    .executeUpdate(adoptCriteriaUpdate, { args: [input], ...once });
}

/** A page of a published ranking: by formation, then rank, then registration number. */
export async function rankingPage(
  deps: ServiceDeps,
  roundId: string,
  kind: 'skb_selection' | 'final',
  page: PageRequest,
) {
  await loadRoundConfig(deps, roundId);
  const of = deps.db.selectFrom('rankings').where('round_id', '=', roundId).where('kind', '=', kind);
  return pageOfQuery(
    page,
    async () => (await of.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n,
    (offset, limit) =>
      of
        .select([
          'registration_no as registrationNo',
          'formation_id as formationId',
          'rank',
          'result',
          'placement_formation_id as placementFormationId',
          'score_scaled as scoreScaled',
          'score_scale as scoreScale',
          'breakdown',
          'version',
        ])
        .orderBy('formation_id')
        .orderBy('rank')
        .orderBy('registration_no')
        .offset(offset)
        .limit(limit)
        .execute(),
  );
}

/** A page of the final ranking as it would be published now, not stored. */
export async function finalRankingPreview(deps: ServiceDeps, roundId: string, page: PageRequest) {
  const { config } = await loadRoundConfig(deps, roundId);
  return pageOfArray(await rankFinal(deps.db, config, 0, false), page);
}

/** Record that a candidate declined an optimalisasi seat (again: no change). */
export async function recordOptimalisasiDecline(
  deps: ServiceDeps,
  roundId: string,
  decline: { registrationNo: string; formationId: string },
  actor: string,
): Promise<{ recorded: true }> {
  await loadRoundConfig(deps, roundId);
  const application = await deps.db
    .selectFrom('applications')
    .select('registration_no')
    .where('round_id', '=', roundId)
    .where('registration_no', '=', decline.registrationNo)
    .executeTakeFirst();
  if (!application)
    throw new AppError(404, 'NOT_FOUND', `Pendaftaran ${decline.registrationNo} tidak ada pada seleksi ini`);
  await deps.db
    .insertInto('optimalisasi_declines')
    .values({
      round_id: roundId,
      registration_no: decline.registrationNo,
      formation_id: decline.formationId,
      recorded_by: actor,
    })
    .onConflict((oc) => oc.columns(['registration_no', 'formation_id']).doNothing())
    .execute();
  return { recorded: true };
}
