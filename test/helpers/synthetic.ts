import { createRoundActivities } from '../../activities/round';
import type { Db } from '../../db/connection';
import { type RoundConfig, withDefaults } from '../../domain';
import { sampleRound } from '../fixtures';

/** The demo's seeded PRNG (mulberry32): synthetic data is reproducible from a seed. */
export { rng } from '../../demo/synthetic';
import { rng } from '../../demo/synthetic';

export interface SyntheticCandidate {
  registrationNo: string;
  formationId: string;
  twk: number;
  tiu: number;
  tkp: number;
  ipk: number;
  birthDate: string;
  scaled: number;
}

/**
 * Writes a round with `formations` formations and `n` candidates straight into PostgreSQL
 * (applications, SKD scores marked passed, and final-ranking rows with a shared scale), with
 * score ranges narrow enough that every tie-break is exercised.
 */
export async function syntheticRound(
  db: Db,
  roundId: string,
  formations: number,
  n: number,
  seed: number,
): Promise<{ config: RoundConfig; candidates: SyntheticCandidate[] }> {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const base = sampleRound(roundId);
  const config = withDefaults({
    ...base,
    budgetYear: 2100 - (seed % 90),
    formations: Array.from({ length: formations }, (_, f) => ({
      formationId: `F${String(f).padStart(4, '0')}`,
      unit: `Unit ${f % 17}`,
      jabatan: `Jabatan ${f % 5}`,
      educationLevel: 'S1' as const,
      educationPrograms: ['Manajemen'],
      quota: 1 + (f % 4),
      category: 'umum' as const,
      skbMax: 500,
    })),
  });
  await createRoundActivities({ db }).recordRound({ config, createdBy: 'bench', at: new Date().toISOString() });
  const candidates: SyntheticCandidate[] = Array.from({ length: n }, (_, i) => ({
    registrationNo: `${config.budgetYear}${String(seed % 1000).padStart(3, '0')}${String(i).padStart(5, '0')}`,
    formationId: config.formations[i % formations]!.formationId,
    twk: pick([65, 70, 75]),
    tiu: pick([80, 85, 90]),
    tkp: pick([166, 167, 168, 170]),
    ipk: pick([300, 325, 350]),
    birthDate: pick(['1995-01-01', '1995-01-02', '1996-06-30']),
    scaled: Math.floor(rand() * 6),
  }));
  for (let i = 0; i < candidates.length; i += 2000) {
    const chunk = candidates.slice(i, i + 2000);
    await db
      .insertInto('applications')
      .values(
        chunk.map((c) => ({
          registration_no: c.registrationNo,
          round_id: roundId,
          formation_id: c.formationId,
          budget_year: config.budgetYear,
          nik: `N${c.registrationNo}`,
          full_name: 'Sintetis',
          birth_date: c.birthDate,
          sex: 'L' as const,
          email: 'x@example.id',
          category: 'umum',
          education_level: 'S1',
          education_program: 'Manajemen',
          ipk: c.ipk,
          stage: 'awaiting_skb_selection',
        })),
      )
      .execute();
    const imp = await db
      .insertInto('exam_imports')
      .values({
        round_id: roundId,
        kind: 'skd',
        sha256: `${roundId}-${i}`,
        rows: chunk.length,
        correction: false,
        imported_by: 'bench',
      })
      .returning('import_id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('exam_scores')
      .values(
        chunk.map((c) => ({
          round_id: roundId,
          kind: 'skd' as const,
          registration_no: c.registrationNo,
          import_id: imp.import_id,
          twk: c.twk,
          tiu: c.tiu,
          tkp: c.tkp,
          passed: true,
        })),
      )
      .execute();
    await db
      .insertInto('rankings')
      .values(
        chunk.map((c) => ({
          round_id: roundId,
          kind: 'final' as const,
          registration_no: c.registrationNo,
          formation_id: c.formationId,
          rank: 0,
          result: 'pending',
          score_scaled: c.scaled,
          score_scale: 10,
          breakdown: '[]',
          version: 1,
          skd_total: c.twk + c.tiu + c.tkp,
          tkp: c.tkp,
          tiu: c.tiu,
          twk: c.twk,
          ipk: c.ipk,
          birth_date: c.birthDate,
        })),
      )
      .execute();
  }
  return { config, candidates };
}
