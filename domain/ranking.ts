import { compareIsoDate, type IsoDate } from './dates';
import { compareScores } from './integration';
import { type SkdScores, skdTotal } from './skd';

/**
 * Ranking rules. Every comparator is total: when every rule of the regulation ties, the
 * registration number (unique) decides the listing order only, so the same input always gives
 * the same output bit for bit, whatever order it arrives in. Selection rules never rely on that
 * last key: ties at the SKB cut are all admitted.
 */
export type TieBreakKey = 'tkp' | 'tiu' | 'twk';
export const DEFAULT_SKB_TIE_BREAK: TieBreakKey[] = ['tkp', 'tiu', 'twk'];

export interface SkdRankable {
  registrationNo: string;
  skd: SkdScores;
}

const byRegistrationNo = (a: { registrationNo: string }, b: { registrationNo: string }): number =>
  a.registrationNo < b.registrationNo ? -1 : a.registrationNo > b.registrationNo ? 1 : 0;

/** SKD order for the SKB cut: total, then the tie-break subtests (higher first). 0 = tied by the rules. */
export function compareSkdMerit(a: SkdScores, b: SkdScores, tieBreak: TieBreakKey[] = DEFAULT_SKB_TIE_BREAK): number {
  const d = skdTotal(b) - skdTotal(a);
  if (d !== 0) return d;
  for (const k of tieBreak) {
    if (a[k] !== b[k]) return b[k] - a[k];
  }
  return 0;
}

export interface SkbCutResult<T extends SkdRankable> {
  /** In rank order, with 1-based ranks shared by candidates tied under the rules. */
  ranked: { candidate: T; rank: number; selected: boolean }[];
  limit: number;
  selectedCount: number;
}

/**
 * Per formation: at most `multiplier × quota` of those who passed SKD go to SKB; candidates tied
 * with the last admitted one under every tie-break all go on.
 */
export function skbCut<T extends SkdRankable>(
  passed: T[],
  quota: number,
  multiplier = 3,
  tieBreak: TieBreakKey[] = DEFAULT_SKB_TIE_BREAK,
): SkbCutResult<T> {
  const limit = quota * multiplier;
  const sorted = [...passed].sort((a, b) => compareSkdMerit(a.skd, b.skd, tieBreak) || byRegistrationNo(a, b));
  const ranked: SkbCutResult<T>['ranked'] = [];
  let rank = 0;
  for (let i = 0; i < sorted.length; i++) {
    const c = sorted[i]!;
    const prev = sorted[i - 1];
    if (!prev || compareSkdMerit(prev.skd, c.skd, tieBreak) !== 0) rank = i + 1;
    ranked.push({ candidate: c, rank, selected: false });
  }
  const last = ranked[Math.min(limit, ranked.length) - 1];
  ranked.forEach((r, i) => {
    r.selected =
      last !== undefined && (i < limit || compareSkdMerit(r.candidate.skd, last.candidate.skd, tieBreak) === 0);
  });
  return { ranked, limit, selectedCount: ranked.filter((r) => r.selected).length };
}

export interface FinalRankable extends SkdRankable {
  score: { scaled: number; scale: number };
  /** IPK ×100 (3,75 → 375), or the average ijazah score ×100 for SMA. */
  ipk: number;
  birthDate: IsoDate;
}

/** Pasal 45(4): integrated score → SKD total → TKP → TIU → TWK → IPK → the older candidate. */
export function compareFinalMerit(a: FinalRankable, b: FinalRankable): number {
  return (
    compareScores(b.score, a.score) ||
    skdTotal(b.skd) - skdTotal(a.skd) ||
    b.skd.tkp - a.skd.tkp ||
    b.skd.tiu - a.skd.tiu ||
    b.skd.twk - a.skd.twk ||
    b.ipk - a.ipk ||
    compareIsoDate(a.birthDate, b.birthDate)
  );
}

export function compareFinal(a: FinalRankable, b: FinalRankable): number {
  return compareFinalMerit(a, b) || byRegistrationNo(a, b);
}

export type FinalResult = 'lulus' | 'lulus_optimalisasi' | 'tidak_lulus';

export interface RankedFinal<T> {
  candidate: T;
  rank: number;
  result: FinalResult;
}

/** Final ranking of one formation: the first `quota` in order pass. */
export function finalRanking<T extends FinalRankable>(candidates: T[], quota: number): RankedFinal<T>[] {
  return [...candidates]
    .sort(compareFinal)
    .map((candidate, i) => ({ candidate, rank: i + 1, result: i < quota ? 'lulus' : 'tidak_lulus' }));
}

export interface OptimalisasiFormation {
  formationId: string;
  unit: string;
  jabatan: string;
  /** Education qualification key, e.g. "S1|keperawatan,ners". */
  education: string;
  quota: number;
}

export interface OptimalisasiCandidate extends FinalRankable {
  formationId: string;
}

export interface Placement {
  registrationNo: string;
  fromFormationId: string;
  toFormationId: string;
}

/**
 * Pasal 47: a formation left vacant is filled by the best-ranked candidate who applied for the
 * same jabatan with the same education qualification, passed SKD, sat SKB and did not pass in
 * their own formation, even at another unit. A candidate may decline (`declined` holds
 * `registrationNo|formationId`); the next best is then offered the seat. Vacant formations are
 * filled in formationId order, one seat at a time, so a chain across units is reproducible.
 */
export function optimalisasi(
  formations: OptimalisasiFormation[],
  candidates: OptimalisasiCandidate[],
  declined: ReadonlySet<string> = new Set(),
): Placement[] {
  const byId = new Map(formations.map((f) => [f.formationId, f]));
  const lulus = new Set<string>();
  const filled = new Map<string, number>();
  const perFormation = new Map<string, OptimalisasiCandidate[]>();
  for (const c of candidates) {
    const list = perFormation.get(c.formationId) ?? [];
    list.push(c);
    perFormation.set(c.formationId, list);
  }
  for (const f of formations) {
    const ranked = finalRanking(perFormation.get(f.formationId) ?? [], f.quota);
    for (const r of ranked) if (r.result === 'lulus') lulus.add(r.candidate.registrationNo);
    filled.set(f.formationId, Math.min(f.quota, ranked.length));
  }
  const pool = [...candidates].filter((c) => !lulus.has(c.registrationNo)).sort(compareFinal);
  const placed = new Set<string>();
  const placements: Placement[] = [];
  const vacant = [...formations].sort((a, b) =>
    a.formationId < b.formationId ? -1 : a.formationId > b.formationId ? 1 : 0,
  );
  for (const f of vacant) {
    while ((filled.get(f.formationId) ?? 0) < f.quota) {
      const next = pool.find((c) => {
        const own = byId.get(c.formationId);
        return (
          !placed.has(c.registrationNo) &&
          c.formationId !== f.formationId &&
          own !== undefined &&
          own.jabatan === f.jabatan &&
          own.education === f.education &&
          !declined.has(`${c.registrationNo}|${f.formationId}`)
        );
      });
      if (!next) break;
      placed.add(next.registrationNo);
      placements.push({
        registrationNo: next.registrationNo,
        fromFormationId: next.formationId,
        toFormationId: f.formationId,
      });
      filled.set(f.formationId, (filled.get(f.formationId) ?? 0) + 1);
    }
  }
  return placements;
}
