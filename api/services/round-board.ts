import type { ScoreTerm } from '../../domain';
import type { ServiceDeps } from './deps';
import { pageOfQuery, type Page, type PageRequest } from './paging';
import { loadRoundConfig } from './registrations';

/**
 * Read models of the staff console's round pages: a published ranking with names and each
 * breakdown, and the funnel per formation (the same stages as `funnel()`, grouped).
 */
export interface RankingPageRow {
  registrationNo: string;
  name: string;
  formationId: string;
  rank: number;
  result: string;
  placementFormationId: string | null;
  scoreScaled: string | null;
  scoreScale: string | null;
  breakdown: ScoreTerm[];
}

export async function rankingPage(
  deps: ServiceDeps,
  roundId: string,
  kind: 'skb_selection' | 'final',
  p: PageRequest,
): Promise<Page<RankingPageRow>> {
  await loadRoundConfig(deps, roundId);
  const of = deps.db
    .selectFrom('rankings as r')
    .innerJoin('applications as a', 'a.registration_no', 'r.registration_no')
    .where('r.round_id', '=', roundId)
    .where('r.kind', '=', kind);
  return pageOfQuery(
    p,
    async () => (await of.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n,
    async (offset, limit) =>
      (
        await of
          .select([
            'r.registration_no',
            'a.full_name',
            'r.formation_id',
            'r.rank',
            'r.result',
            'r.placement_formation_id',
            'r.score_scaled',
            'r.score_scale',
            'r.breakdown',
          ])
          .orderBy('r.formation_id')
          .orderBy('r.rank')
          .orderBy('r.registration_no')
          .offset(offset)
          .limit(limit)
          .execute()
      ).map((r) => ({
        registrationNo: r.registration_no,
        name: r.full_name,
        formationId: r.formation_id,
        rank: r.rank,
        result: r.result,
        placementFormationId: r.placement_formation_id,
        scoreScaled: r.score_scaled === null ? null : String(r.score_scaled),
        scoreScale: r.score_scale === null ? null : String(r.score_scale),
        breakdown: (Array.isArray(r.breakdown) ? r.breakdown : []) as ScoreTerm[],
      })),
  );
}

export const FUNNEL_STAGES = ['registered', 'ms', 'skdPassed', 'skbSelected', 'lulus', 'appointed'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/** How many candidates of each formation reached each stage (every formation of the round, zeros included). */
export async function funnelByFormation(
  deps: ServiceDeps,
  roundId: string,
): Promise<{ formationId: string; counts: Record<FunnelStage, number> }[]> {
  const { config } = await loadRoundConfig(deps, roundId);
  const db = deps.db;
  const byFormation = (rows: { formation_id: string; n: string | number | bigint }[]): Map<string, number> =>
    new Map(rows.map((r) => [r.formation_id, Number(r.n)]));
  const apps = db.selectFrom('applications as a').where('a.round_id', '=', roundId);
  const [registered, ms, skdPassed, skbSelected, lulus, appointed] = await Promise.all([
    apps
      .select(['a.formation_id', (eb) => eb.fn.countAll().as('n')])
      .groupBy('a.formation_id')
      .execute(),
    apps
      .innerJoin('verifications as v', 'v.registration_no', 'a.registration_no')
      .where('v.stage', '=', 'administrasi')
      .where('v.result', '=', 'MS')
      .select(['a.formation_id', (eb) => eb.fn.countAll().as('n')])
      .groupBy('a.formation_id')
      .execute(),
    apps
      .innerJoin('skd_scores as s', 's.registration_no', 'a.registration_no')
      .where('s.passed', '=', true)
      .select(['a.formation_id', (eb) => eb.fn.countAll().as('n')])
      .groupBy('a.formation_id')
      .execute(),
    db
      .selectFrom('rankings')
      .where('round_id', '=', roundId)
      .where('kind', '=', 'skb_selection')
      .where('result', '=', 'selected')
      .select(['formation_id', (eb) => eb.fn.countAll().as('n')])
      .groupBy('formation_id')
      .execute(),
    db
      .selectFrom('rankings')
      .where('round_id', '=', roundId)
      .where('kind', '=', 'final')
      .where('result', 'in', ['lulus', 'lulus_optimalisasi'])
      .select(['formation_id', (eb) => eb.fn.countAll().as('n')])
      .groupBy('formation_id')
      .execute(),
    apps
      .innerJoin('appointments as p', 'p.registration_no', 'a.registration_no')
      .where('p.nip', 'is not', null)
      .select(['a.formation_id', (eb) => eb.fn.countAll().as('n')])
      .groupBy('a.formation_id')
      .execute(),
  ]);
  const maps = { registered, ms, skdPassed, skbSelected, lulus, appointed };
  return config.formations.map((f) => ({
    formationId: f.formationId,
    counts: Object.fromEntries(
      FUNNEL_STAGES.map((s) => [
        s,
        byFormation(maps[s] as { formation_id: string; n: string }[]).get(f.formationId) ?? 0,
      ]),
    ) as Record<FunnelStage, number>,
  }));
}
