import { type RuleViolation, violation } from './errors';

/** SKP (PermenPANRB 6/2022): predikat kinerja from hasil kerja and perilaku ratings. */
export const RATINGS = ['di_bawah', 'sesuai', 'di_atas'] as const;
export type Rating = (typeof RATINGS)[number];
export const PREDIKATS = ['Sangat Baik', 'Baik', 'Butuh Perbaikan', 'Kurang', 'Sangat Kurang'] as const;
export type Predikat = (typeof PREDIKATS)[number];

/** Rows: hasil kerja; columns: perilaku. "Kurang/Misconduct" is recorded as Kurang. */
const MATRIX: Record<Rating, Record<Rating, Predikat>> = {
  di_atas: { di_bawah: 'Kurang', sesuai: 'Baik', di_atas: 'Sangat Baik' },
  sesuai: { di_bawah: 'Kurang', sesuai: 'Baik', di_atas: 'Baik' },
  di_bawah: { di_bawah: 'Sangat Kurang', sesuai: 'Butuh Perbaikan', di_atas: 'Butuh Perbaikan' },
};

export function predikatKinerja(hasilKerja: Rating, perilaku: Rating): Predikat {
  return MATRIX[hasilKerja][perilaku];
}

export const UNIT_RATINGS = ['Istimewa', 'Baik', 'Butuh Perbaikan', 'Kurang', 'Sangat Kurang'] as const;
export type UnitRating = (typeof UNIT_RATINGS)[number];

/** Configurable distribution rule, percentages as integers. */
export interface DistributionRules {
  istimewaMaxSangatBaikPct: number;
  baikMaxBaikPct: number;
  baikRequiresOnePoor: boolean;
  poorUnitMinMatchingPct: number;
}
export const DEFAULT_DISTRIBUTION_RULES: DistributionRules = {
  istimewaMaxSangatBaikPct: 70,
  baikMaxBaikPct: 70,
  baikRequiresOnePoor: true,
  poorUnitMinMatchingPct: 60,
};

/**
 * Checks a unit's set of predikat against the unit's own rating. Returns the violations; never
 * changes anyone's predikat (a breaking set is returned to the evaluators).
 */
export function checkDistribution(
  unitRating: UnitRating,
  predikats: Predikat[],
  rules: DistributionRules = DEFAULT_DISTRIBUTION_RULES,
): RuleViolation[] {
  const n = predikats.length;
  if (n === 0) return [];
  const count = (p: Predikat): number => predikats.filter((x) => x === p).length;
  const out: RuleViolation[] = [];
  if (unitRating === 'Istimewa') {
    const sb = count('Sangat Baik');
    if (sb * 100 > rules.istimewaMaxSangatBaikPct * n) {
      out.push(
        violation(
          'DIST_ISTIMEWA_MAX_SANGAT_BAIK',
          `Unit berpredikat Istimewa: paling banyak ${rules.istimewaMaxSangatBaikPct}% Sangat Baik (ada ${sb} dari ${n})`,
          'predikat',
          { count: sb, total: n },
        ),
      );
    }
  } else if (unitRating === 'Baik') {
    const b = count('Baik');
    if (b * 100 > rules.baikMaxBaikPct * n) {
      out.push(
        violation(
          'DIST_BAIK_MAX_BAIK',
          `Unit berpredikat Baik: paling banyak ${rules.baikMaxBaikPct}% Baik (ada ${b} dari ${n})`,
          'predikat',
          { count: b, total: n },
        ),
      );
    }
    if (rules.baikRequiresOnePoor && count('Butuh Perbaikan') + count('Kurang') === 0) {
      out.push(
        violation(
          'DIST_BAIK_NEEDS_POOR',
          'Unit berpredikat Baik: sekurang-kurangnya satu pegawai Butuh Perbaikan atau Kurang',
          'predikat',
        ),
      );
    }
  } else {
    const m = count(unitRating);
    if (m * 100 < rules.poorUnitMinMatchingPct * n) {
      out.push(
        violation(
          'DIST_POOR_UNIT_MIN_MATCHING',
          `Unit berpredikat ${unitRating}: sekurang-kurangnya ${rules.poorUnitMinMatchingPct}% pegawai berpredikat ${unitRating} (ada ${m} dari ${n})`,
          'predikat',
          { count: m, total: n },
        ),
      );
    }
  }
  return out;
}

/** Peraturan BKN 3/2020 Pasal 32, in order. Each step is a recommendation a named official decides. */
export const LADDER = ['improvement_period', 'competency_retest', 'transfer', 'dismissal_recommendation'] as const;
export type LadderStep = (typeof LADDER)[number];

export function isPoor(p: Predikat): boolean {
  return p === 'Butuh Perbaikan' || p === 'Kurang' || p === 'Sangat Kurang';
}

export interface FollowUp {
  award: boolean;
  trainingPlan: boolean;
  coachingPlan: boolean;
  /** Months until a re-evaluation, when one is due. */
  reEvaluationMonths: number | null;
  /** The ladder step to recommend, or null. Never carried out automatically. */
  recommendation: LadderStep | null;
  /** The ladder position to carry into the next cycle if the recommendation is approved. */
  message: string;
}

/**
 * The follow-up for a predikat given the employee's ladder position (the last approved step, or
 * null). A good predikat clears the ladder; a poor one recommends the next step after the last
 * approved one; past the last step nothing more is recommended.
 */
export function followUp(predikat: Predikat, ladderPosition: LadderStep | null): FollowUp {
  if (predikat === 'Sangat Baik') {
    return {
      award: true,
      trainingPlan: true,
      coachingPlan: false,
      reEvaluationMonths: null,
      recommendation: null,
      message: 'Penghargaan dan rencana pengembangan kompetensi',
    };
  }
  if (predikat === 'Baik') {
    return {
      award: false,
      trainingPlan: false,
      coachingPlan: false,
      reEvaluationMonths: null,
      recommendation: null,
      message: 'Kinerja sesuai ekspektasi',
    };
  }
  const idx = ladderPosition === null ? 0 : LADDER.indexOf(ladderPosition) + 1;
  const recommendation = idx < LADDER.length ? LADDER[idx]! : null;
  return {
    award: false,
    trainingPlan: false,
    coachingPlan: true,
    reEvaluationMonths: 6,
    recommendation,
    message: recommendation
      ? `Bimbingan kinerja; rekomendasi: ${LADDER_LABELS[recommendation]}`
      : 'Bimbingan kinerja; tahapan Peraturan BKN 3/2020 telah habis',
  };
}

export const LADDER_LABELS: Record<LadderStep, string> = {
  improvement_period: 'kesempatan perbaikan 6 bulan',
  competency_retest: 'uji kompetensi ulang',
  transfer: 'pemindahan ke jabatan yang sesuai atau lebih rendah',
  dismissal_recommendation: 'rekomendasi pemberhentian dengan hormat tidak atas permintaan sendiri',
};
