import { SKD_MAX } from './skd';
import { type RuleViolation, violation } from './errors';

/**
 * Integrated score (PermenPANRB 6/2024 Pasal 45(3)) extended with the formation's published
 * performance-based criteria. Every term is value / max × weight, so a score out of 100 is
 * Σ value_i × weight_i / max_i. Exactness: with L = lcm(max_i), each term times L is an integer,
 * so a score is kept as the integer `scaled` over the formation's `scale` (= L). Comparing two
 * scores cross-multiplies; no binary float ever takes part in a decision.
 *
 * Display rounding (the only one): truncate to 2 decimals, as in the regulation's worked example
 * (SKD 420 → 420/550 × 40 = 30.5454… → "30,54").
 */
export type PriorPredikat = 'Sangat Baik' | 'Baik' | 'Butuh Perbaikan' | 'Kurang' | 'Sangat Kurang';

export type Criterion =
  | { kind: 'experience'; weight: number; maxYears: number; label?: string }
  | { kind: 'interview'; weight: number; max: number; label?: string }
  | { kind: 'priorPerformance'; weight: number; points: Record<PriorPredikat, number>; label?: string };

export interface ScoringConfig {
  skdWeight: number;
  skbWeight: number;
  skbMax: number;
  criteria: Criterion[];
}

export const DEFAULT_PRIOR_PERFORMANCE_POINTS: Record<PriorPredikat, number> = {
  'Sangat Baik': 4,
  Baik: 3,
  'Butuh Perbaikan': 2,
  Kurang: 1,
  'Sangat Kurang': 0,
};

export interface ScoreInputs {
  skdTotal: number;
  skb: number;
  experienceYears?: number;
  interview?: number;
  priorPredikat?: PriorPredikat | null;
}

export interface ScoreTerm {
  key: 'skd' | 'skb' | Criterion['kind'];
  label: string;
  value: number;
  max: number;
  weight: number;
  /** term × scale, an integer */
  scaled: number;
  display: string;
}

export interface IntegratedScore {
  scaled: number;
  scale: number;
  display: string;
  terms: ScoreTerm[];
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

interface Term {
  key: ScoreTerm['key'];
  label: string;
  max: number;
  weight: number;
  value: (i: ScoreInputs) => number;
}

function termsOf(config: ScoringConfig): Term[] {
  const terms: Term[] = [
    { key: 'skd', label: 'SKD', max: SKD_MAX, weight: config.skdWeight, value: (i) => i.skdTotal },
    { key: 'skb', label: 'SKB', max: config.skbMax, weight: config.skbWeight, value: (i) => i.skb },
  ];
  for (const c of config.criteria) {
    if (c.kind === 'experience') {
      terms.push({
        key: c.kind,
        label: c.label ?? 'Pengalaman kerja (tahun)',
        max: c.maxYears,
        weight: c.weight,
        value: (i) => Math.min(i.experienceYears ?? 0, c.maxYears),
      });
    } else if (c.kind === 'interview') {
      terms.push({
        key: c.kind,
        label: c.label ?? 'Wawancara/interpersonal',
        max: c.max,
        weight: c.weight,
        value: (i) => i.interview ?? 0,
      });
    } else {
      const max = Math.max(...Object.values(c.points));
      terms.push({
        key: c.kind,
        label: c.label ?? 'Rekam kinerja sebelumnya',
        max,
        weight: c.weight,
        value: (i) => (i.priorPredikat ? c.points[i.priorPredikat] : 0),
      });
    }
  }
  return terms;
}

export function scoreScale(config: ScoringConfig): number {
  return termsOf(config).reduce((l, t) => lcm(l, t.max), 1);
}

/** Formats scaled/scale (points out of 100) truncated to 2 decimals with a decimal comma. */
export function displayScore(scaled: number, scale: number): string {
  const hundredths = Math.floor((scaled * 100) / scale);
  const whole = Math.floor(hundredths / 100);
  const frac = hundredths % 100;
  return `${whole},${String(frac).padStart(2, '0')}`;
}

export function validateScoreInputs(config: ScoringConfig, inputs: ScoreInputs): RuleViolation[] {
  const errors: RuleViolation[] = [];
  for (const t of termsOf(config)) {
    const v = t.value(inputs);
    if (!Number.isInteger(v) || v < 0 || v > t.max)
      errors.push(violation('SCORE_OUT_OF_RANGE', `${t.label}: nilai ${v} di luar 0–${t.max}`, t.key, { max: t.max }));
  }
  return errors;
}

export function integratedScore(config: ScoringConfig, inputs: ScoreInputs): IntegratedScore {
  const errors = validateScoreInputs(config, inputs);
  if (errors.length) throw new RangeError(errors.map((e) => e.message).join('; '));
  const scale = scoreScale(config);
  const terms: ScoreTerm[] = termsOf(config).map((t) => {
    const value = t.value(inputs);
    const scaled = value * t.weight * (scale / t.max);
    return {
      key: t.key,
      label: t.label,
      value,
      max: t.max,
      weight: t.weight,
      scaled,
      display: displayScore(scaled, scale),
    };
  });
  const scaled = terms.reduce((s, t) => s + t.scaled, 0);
  if (!Number.isSafeInteger(scaled * 100)) throw new RangeError('score scale too large for exact integers');
  return { scaled, scale, display: displayScore(scaled, scale), terms };
}

/** Exact comparison of two scores, possibly of formations with different scales (optimalisasi). */
export function compareScores(a: { scaled: number; scale: number }, b: { scaled: number; scale: number }): number {
  const l = BigInt(a.scaled) * BigInt(b.scale);
  const r = BigInt(b.scaled) * BigInt(a.scale);
  return l < r ? -1 : l > r ? 1 : 0;
}
