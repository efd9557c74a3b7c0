import { sql } from 'kysely';
import {
  compareFinal,
  integratedScore,
  optimalisasi,
  qualificationKey,
  type OptimalisasiCandidate,
  type PriorPredikat,
  type RoundConfig,
  type ScoreTerm,
  scoringOf,
  type TieBreakKey,
} from '../domain';
import type { Db } from './connection';

/**
 * Rankings in SQL with window functions, in the domain's order. RANK() gives candidates tied
 * under every rule the same rank, so "rank ≤ 3 × quota" admits everyone tied at the cut-off,
 * exactly as `skbCut` in domain/ranking.ts does (a test compares both on thousands of rows).
 */
const TIE_KEYS: Record<TieBreakKey, string> = { tkp: 'tkp', tiu: 'tiu', twk: 'twk' };

export interface SkbSelectionRow {
  registrationNo: string;
  formationId: string;
  twk: number;
  tiu: number;
  tkp: number;
  total: number;
  rank: number;
  selected: boolean;
}

/** SKD passers per formation, ranked; `selected` when within multiplier × quota (ties at the cut all in). */
export async function rankSkbSelection(
  db: Db,
  config: Pick<RoundConfig, 'roundId' | 'skbCutMultiplier' | 'skbTieBreak'>,
): Promise<SkbSelectionRow[]> {
  const order = config.skbTieBreak.map((k) => sql.raw(`s.${TIE_KEYS[k]} desc`));
  const r = await sql<{
    registration_no: string;
    formation_id: string;
    twk: number;
    tiu: number;
    tkp: number;
    total: number;
    rank: string;
    quota: number;
  }>`
    with s as (
      select e.registration_no, e.twk, e.tiu, e.tkp, e.twk + e.tiu + e.tkp as total
        from exam_scores e where e.round_id = ${config.roundId} and e.kind = 'skd' and e.passed
      union all
      select k.registration_no, k.twk, k.tiu, k.tkp, k.total
        from skd_scores k join applications a2 on a2.registration_no = k.registration_no
       where a2.round_id = ${config.roundId} and k.reused_from_year is not null and k.passed
    )
    select s.registration_no, a.formation_id, s.twk, s.tiu, s.tkp, s.total, f.quota,
           rank() over (partition by a.formation_id order by s.total desc, ${sql.join(order)}) as rank
      from s
      join applications a on a.registration_no = s.registration_no
      join formations f on f.round_id = a.round_id and f.formation_id = a.formation_id
     order by a.formation_id, rank, s.registration_no`.execute(db);
  return r.rows.map((x) => ({
    registrationNo: x.registration_no,
    formationId: x.formation_id,
    twk: x.twk,
    tiu: x.tiu,
    tkp: x.tkp,
    total: x.total,
    rank: Number(x.rank),
    selected: Number(x.rank) <= x.quota * config.skbCutMultiplier,
  }));
}

export interface FinalRow {
  registrationNo: string;
  formationId: string;
  rank: number;
  result: 'lulus' | 'lulus_optimalisasi' | 'tidak_lulus';
  placementFormationId: string | null;
  scaled: number;
  scale: number;
  display: string;
  breakdown: ScoreTerm[];
}

/** The selected candidates' scores the final ranking integrates (a reused SKD from its earlier year). */
async function finalInputs(db: Db, roundId: string) {
  return db
    .selectFrom('rankings as sel')
    .innerJoin('applications as a', 'a.registration_no', 'sel.registration_no')
    .innerJoin('exam_scores as skb', (j) =>
      j.onRef('skb.registration_no', '=', 'sel.registration_no').on('skb.kind', '=', 'skb'),
    )
    .leftJoin('exam_scores as skd', (j) =>
      j.onRef('skd.registration_no', '=', 'sel.registration_no').on('skd.kind', '=', 'skd'),
    )
    .leftJoin('skd_scores as reused', (j) =>
      j.onRef('reused.registration_no', '=', 'sel.registration_no').on('reused.reused_from_year', 'is not', null),
    )
    .select([
      'sel.registration_no',
      'a.formation_id',
      'a.ipk',
      'a.birth_date',
      'a.experience_years',
      'a.prior_predikat',
      'skb.skb',
      'skb.interview',
      sql<number>`coalesce(skd.twk, reused.twk)`.as('twk'),
      sql<number>`coalesce(skd.tiu, reused.tiu)`.as('tiu'),
      sql<number>`coalesce(skd.tkp, reused.tkp)`.as('tkp'),
    ])
    .where('sel.round_id', '=', roundId)
    .where('sel.kind', '=', 'skb_selection')
    .where('sel.result', '=', 'selected')
    .execute();
}

/** Stores the integrated scores as the final ranking (pending) and ranks them in SQL. */
async function storeFinalScores(db: Db, roundId: string, scored: Scored[], version: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('rankings').where('round_id', '=', roundId).where('kind', '=', 'final').execute();
    for (let i = 0; i < scored.length; i += 1000) {
      await trx
        .insertInto('rankings')
        .values(
          scored.slice(i, i + 1000).map((r) => ({
            round_id: roundId,
            kind: 'final' as const,
            registration_no: r.registration_no,
            formation_id: r.formation_id,
            rank: 0,
            result: 'pending',
            score_scaled: r.score.scaled,
            score_scale: r.score.scale,
            breakdown: JSON.stringify(r.score.terms),
            version,
            skd_total: r.twk + r.tiu + r.tkp,
            tkp: r.tkp,
            tiu: r.tiu,
            twk: r.twk,
            ipk: r.ipk,
            birth_date: r.birth_date,
          })),
        )
        .execute();
    }
    await rankFinalInSql(trx, roundId);
  });
}

/**
 * Final ranking: integrated scores computed exactly by the domain (integers over the
 * formation's scale), stored, then ranked in SQL by Pasal 45(4): score → SKD total → TKP → TIU
 * → TWK → IPK → the older candidate (registration number only orders true ties for display).
 * The first `quota` pass; vacant seats go to optimalisasi (Pasal 47, domain).
 */
export async function rankFinal(db: Db, config: RoundConfig, version: number, store = true): Promise<FinalRow[]> {
  const rows = await finalInputs(db, config.roundId);
  const formations = new Map(config.formations.map((f) => [f.formationId, f]));
  const scored = rows.map((r) => {
    const f = formations.get(r.formation_id)!;
    const s = integratedScore(scoringOf(config, f), {
      skdTotal: r.twk + r.tiu + r.tkp,
      skb: r.skb ?? 0,
      experienceYears: r.experience_years,
      interview: r.interview ?? 0,
      priorPredikat: (r.prior_predikat as PriorPredikat | null) ?? null,
    });
    return { ...r, score: s };
  });
  if (!store) return rankInMemory(config, scored, await declinesOf(db, config.roundId));

  await storeFinalScores(db, config.roundId, scored, version);
  const ranked = await db
    .selectFrom('rankings')
    .select(['registration_no', 'formation_id', 'rank', 'score_scaled', 'score_scale', 'breakdown'])
    .where('round_id', '=', config.roundId)
    .where('kind', '=', 'final')
    .orderBy('formation_id')
    .orderBy('rank')
    .execute();
  const byNo = new Map(scored.map((s) => [s.registration_no, s]));
  const result = finish(
    config,
    ranked.map((r) => ({
      registrationNo: r.registration_no,
      formationId: r.formation_id,
      rank: r.rank,
      src: byNo.get(r.registration_no)!,
    })),
    await declinesOf(db, config.roundId),
  );
  await db.transaction().execute(async (trx) => {
    for (const r of result) {
      await trx
        .updateTable('rankings')
        .set({ result: r.result, placement_formation_id: r.placementFormationId })
        .where('kind', '=', 'final')
        .where('registration_no', '=', r.registrationNo)
        .execute();
    }
  });
  return result;
}

/** The order of Pasal 45(4), as SQL: used by the ranking and timed by bench:ranking. */
export const FINAL_ORDER_SQL =
  'score_scaled desc, skd_total desc, tkp desc, tiu desc, twk desc, ipk desc, birth_date asc, registration_no asc';

/** Ranks the stored final scores per formation with a window function. */
export function finalRankQuery(db: Db, roundId: string) {
  return sql<{ registration_no: string; pos: string }>`
    select registration_no, row_number() over (partition by formation_id order by ${sql.raw(FINAL_ORDER_SQL)}) as pos
      from rankings where round_id = ${roundId} and kind = 'final'`.execute(db);
}

export async function rankFinalInSql(db: Db, roundId: string): Promise<void> {
  await sql`
    update rankings r set rank = w.pos
      from (select registration_no, row_number() over (partition by formation_id order by ${sql.raw(FINAL_ORDER_SQL)}) as pos
              from rankings where round_id = ${roundId} and kind = 'final') w
     where r.kind = 'final' and r.registration_no = w.registration_no`.execute(db);
}

async function declinesOf(db: Db, roundId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('optimalisasi_declines')
    .select(['registration_no', 'formation_id'])
    .where('round_id', '=', roundId)
    .execute();
  return new Set(rows.map((r) => `${r.registration_no}|${r.formation_id}`));
}

type Scored = {
  registration_no: string;
  formation_id: string;
  ipk: number;
  birth_date: string;
  twk: number;
  tiu: number;
  tkp: number;
  score: ReturnType<typeof integratedScore>;
};

function finish(
  config: RoundConfig,
  ranked: { registrationNo: string; formationId: string; rank: number; src: Scored }[],
  declined: Set<string>,
): FinalRow[] {
  const quota = new Map(config.formations.map((f) => [f.formationId, f.quota]));
  const out: FinalRow[] = ranked.map((r) => ({
    registrationNo: r.registrationNo,
    formationId: r.formationId,
    rank: r.rank,
    result: r.rank <= (quota.get(r.formationId) ?? 0) ? 'lulus' : 'tidak_lulus',
    placementFormationId: null,
    scaled: r.src.score.scaled,
    scale: r.src.score.scale,
    display: r.src.score.display,
    breakdown: r.src.score.terms,
  }));
  const candidates: OptimalisasiCandidate[] = ranked.map((r) => ({
    registrationNo: r.registrationNo,
    formationId: r.formationId,
    score: r.src.score,
    skd: { twk: r.src.twk, tiu: r.src.tiu, tkp: r.src.tkp },
    ipk: r.src.ipk,
    birthDate: r.src.birth_date,
  }));
  const placements = optimalisasi(
    config.formations.map((f) => ({
      formationId: f.formationId,
      unit: f.unit,
      jabatan: f.jabatan,
      education: qualificationKey(f),
      quota: f.quota,
    })),
    candidates,
    declined,
  );
  const byNo = new Map(out.map((o) => [o.registrationNo, o]));
  for (const p of placements) {
    const o = byNo.get(p.registrationNo)!;
    o.result = 'lulus_optimalisasi';
    o.placementFormationId = p.toFormationId;
  }
  return out;
}

/** What the final ranking compares of a candidate. */
const finalKey = (s: Scored) => ({
  registrationNo: s.registration_no,
  score: s.score,
  skd: { twk: s.twk, tiu: s.tiu, tkp: s.tkp },
  ipk: s.ipk,
  birthDate: s.birth_date,
});

/** The same ranking without storing it (HR's preview before publishing). */
function rankInMemory(config: RoundConfig, scored: Scored[], declined: Set<string>): FinalRow[] {
  const groups = new Map<string, Scored[]>();
  for (const s of scored) groups.set(s.formation_id, [...(groups.get(s.formation_id) ?? []), s]);
  const ranked: { registrationNo: string; formationId: string; rank: number; src: Scored }[] = [];
  for (const [formationId, list] of groups) {
    const sorted = [...list].sort((a, b) => compareFinal(finalKey(a), finalKey(b)));
    sorted.forEach((s, i) => ranked.push({ registrationNo: s.registration_no, formationId, rank: i + 1, src: s }));
  }
  return finish(config, ranked, declined);
}
